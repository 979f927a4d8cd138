/* linux.sysctl: validation (runc's rules: only sysctls namespaced by a
 * namespace the container owns) and writes through the private procfs. */
#include "process-attrs.h"
#include "error.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

static const BerthNamespace *
find_namespace (const BerthSpec *spec, BerthNamespaceKind kind)
{
  if (spec->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].kind == kind)
      return &spec->linux_->namespaces[i];
  return NULL;
}

/* Is `path` the network namespace the caller is in (i.e. the host's, at
 * create time)? */
static bool
is_current_netns (const char *path)
{
  struct stat a, b;
  if (stat (path, &a) < 0 || stat ("/proc/self/ns/net", &b) < 0)
    return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* "net/ipv4/ip_forward" is accepted as well as "net.ipv4.ip_forward"
 * (runc >= 1.2).  Returns the dotted name used for the checks. */
static char *
sysctl_dotted_name (const char *key)
{
  if (strchr (key, '/') == NULL)
    return g_strdup (key);
  g_autofree char *k = g_strdup (key);
  g_strdelimit (k, "/", '.');
  return g_steal_pointer (&k);
}

/* The path below /proc/sys for a key: dots become slashes unless the key is
 * already in slash form (then dots are part of a name, e.g. "eth0.100"). */
static char *
sysctl_relpath (const char *key)
{
  g_autofree char *k = g_strdup (key);
  if (strchr (key, '/') == NULL)
    g_strdelimit (k, ".", '/');
  return g_strconcat ("sys/", k, NULL);
}

static bool
sysctl_key_sane (const char *key)
{
  if (key[0] == '\0' || key[0] == '.' || key[0] == '/')
    return false;
  g_auto (GStrv) parts = g_strsplit_set (key, "./", -1);
  for (char **p = parts; *p; p++)
    if (**p == '\0' || strcmp (*p, "..") == 0)
      return false;
  return true;
}

static bool
sysctl_check_one (const BerthSpec *spec, const char *key, bool check_host_netns, GError **error)
{
  static const char *const ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  if (!sysctl_key_sane (key))
    return berth_fail (error, ".linux.sysctl: invalid sysctl name \"%s\"", key);
  g_autofree char *name = sysctl_dotted_name (key);

  bool ipc = g_str_has_prefix (name, "fs.mqueue.");
  for (size_t i = 0; i < G_N_ELEMENTS (ipc_sysctls); i++)
    ipc = ipc || strcmp (name, ipc_sysctls[i]) == 0;
  if (ipc)
    {
      if (find_namespace (spec, BERTH_NS_IPC) == NULL)
        return berth_fail (error, ".linux.sysctl: sysctl \"%s\" is not allowed in the host's ipc namespace", key);
      return true;
    }
  if (g_str_has_prefix (name, "net."))
    {
      const BerthNamespace *ns = find_namespace (spec, BERTH_NS_NETWORK);
      if (ns == NULL || (check_host_netns && ns->path != NULL && is_current_netns (ns->path)))
        return berth_fail (error, ".linux.sysctl: sysctl \"%s\" is not allowed in the host's network namespace", key);
      return true;
    }
  if (find_namespace (spec, BERTH_NS_UTS) != NULL)
    {
      if (strcmp (name, "kernel.domainname") == 0)
        return true;
      if (strcmp (name, "kernel.hostname") == 0)
        return berth_fail (error, ".linux.sysctl: sysctl \"%s\" is not allowed as it conflicts with the OCI \"hostname\" field", key);
    }
  return berth_fail (error, ".linux.sysctl: sysctl \"%s\" is not in a separate kernel namespace", key);
}

static bool
sysctl_check_all (const BerthSpec *spec, bool check_host_netns, GError **error)
{
  if (spec->linux_ == NULL || spec->linux_->sysctl == NULL)
    return true;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, spec->linux_->sysctl);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (!sysctl_check_one (spec, key, check_host_netns, error))
      return false;
  return true;
}

bool
berth_sysctl_validate (const BerthSpec *spec, GError **error)
{
  return sysctl_check_all (spec, true, error);
}

/* Sorted so the writes (and the first error) are deterministic. */
static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

bool
berth_apply_sysctl (const BerthSpec *spec, int procfd, GError **error)
{
  if (spec->linux_ == NULL || spec->linux_->sysctl == NULL || g_hash_table_size (spec->linux_->sysctl) == 0)
    return true;
  /* Re-check the names (not the host netns: we may already be in the
   * container's); berth_sysctl_validate ran at create time. */
  if (!sysctl_check_all (spec, false, error))
    return false;
  guint n = 0;
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (spec->linux_->sysctl, &n);
  qsort (keys, n, sizeof *keys, compare_strings);
  for (guint i = 0; i < n; i++)
    {
      const char *key = keys[i];
      const char *value = g_hash_table_lookup (spec->linux_->sysctl, key);
      g_autofree char *relpath = sysctl_relpath (key);
      if (!berth_procfs_write (procfd, relpath, value ? value : "", error))
        {
          g_prefix_error (error, ".linux.sysctl: %s: ", key);
          return false;
        }
    }
  return true;
}
