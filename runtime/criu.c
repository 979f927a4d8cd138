/* Running CRIU and what a checkpoint keeps beside its images; see criu.h. */
#include "criu.h"

#include "error.h"
#include "json.h"
#include "mountinfo.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define MOUNTS_FILE "berth-mounts.json"
#define DESCRIPTORS_FILE "descriptors.json"

BerthCriu *
berth_criu_new (const char *action, const char *images_dir, const char *work_dir, GError **error)
{
  g_autofree char *criu = g_find_program_in_path ("criu");
  if (criu == NULL)
    {
      berth_fail_code (error, ENOENT, "criu not found in PATH: %s needs CRIU (Debian package criu)", action);
      return NULL;
    }
  BerthCriu *c = g_new0 (BerthCriu, 1);
  c->argv = g_ptr_array_new_with_free_func (g_free);
  c->pass_fds = g_array_new (FALSE, FALSE, sizeof (int));
  c->action = g_strdup (action);
  c->log_path = g_strdup_printf ("%s/%s.log", work_dir, action);
  g_ptr_array_add (c->argv, g_steal_pointer (&criu));
  g_ptr_array_add (c->argv, g_strdup (action));
  berth_criu_add (c, "--images-dir", images_dir);
  berth_criu_add (c, "--work-dir", work_dir);
  berth_criu_addf (c, "--log-file", "%s.log", action);
  berth_criu_add (c, "-v4", NULL);
  return c;
}

void
berth_criu_free (BerthCriu *c)
{
  g_ptr_array_unref (c->argv);
  g_array_unref (c->pass_fds);
  g_free (c->action);
  g_free (c->log_path);
  g_free (c);
}

void
berth_criu_add (BerthCriu *c, const char *opt, const char *value)
{
  g_ptr_array_add (c->argv, g_strdup (opt));
  if (value != NULL)
    g_ptr_array_add (c->argv, g_strdup (value));
}

void
berth_criu_addf (BerthCriu *c, const char *opt, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (c->argv, g_strdup (opt));
  g_ptr_array_add (c->argv, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

void
berth_criu_inherit_fd (BerthCriu *c, int fd, const char *key)
{
  berth_criu_addf (c, "--inherit-fd", "fd[%d]:%s", fd, key);
  g_array_append_val (c->pass_fds, fd);
}

/* The last telling "Error (file:line): what" line of CRIU's log, without its timestamp. */
static char *
last_log_error (const char *log_path)
{
  g_autofree char *log = berth_read_file_at (AT_FDCWD, log_path, 64 << 20, NULL);
  if (log == NULL)
    return NULL;
  /* CRIU's errors cascade: "Can't lookup mount=24 for fd=0 path=/dev/null",
   * then "Dump files (pid: 235) failed with -1", then "Dumping FAILED.".
   * The last line that is not one of the generic ones says why. */
  char *found = NULL;
  for (char *p = strstr (log, "Error ("); p != NULL; p = strstr (p + 1, "Error ("))
    {
      size_t len = strcspn (p, "\n");
      bool generic = memmem (p, len, "FAILED", 6) != NULL || memmem (p, len, "failed with -1", 14) != NULL;
      if (found == NULL || !generic)
        found = p;
    }
  if (found == NULL)
    return NULL;
  return g_strndup (found, strcspn (found, "\n"));
}

/* In the child, once in the container's cgroup: that cgroup is the root
 * the restored tasks' cgroups are placed under (--cgroup-root per
 * hierarchy; the v2 one as the default), whatever path the images recorded. */
static void
add_cgroup_roots (BerthCriu *c)
{
  g_autofree char *self = berth_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, NULL);
  g_auto (GStrv) lines = g_strsplit (self ? self : "", "\n", -1);
  g_ptr_array_remove_index (c->argv, c->argv->len - 1); /* the NULL */
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, ":", 3); /* ID:CONTROLLERS:PATH */
      if (g_strv_length (f) != 3)
        continue;
      if (f[1][0] == '\0')
        berth_criu_add (c, "--cgroup-root", f[2]);
      else
        {
          g_auto (GStrv) controllers = g_strsplit (f[1], ",", -1);
          for (char **ctl = controllers; *ctl != NULL; ctl++)
            berth_criu_addf (c, "--cgroup-root", "%s:%s", *ctl, f[2]);
        }
    }
  g_ptr_array_add (c->argv, NULL);
}

bool
berth_criu_run (BerthCriu *c, BerthCgroup *enter, GError **error)
{
  g_ptr_array_add (c->argv, NULL);
  pid_t pid = fork ();
  if (pid < 0)
    return berth_fail_errno (error, errno, "fork criu");
  if (pid == 0)
    {
      g_autoptr (GError) local = NULL;
      if (enter != NULL && !berth_cgroup_enter (enter, getpid (), &local))
        {
          dprintf (STDERR_FILENO, "berth: criu %s: %s\n", c->action, local->message);
          _exit (126);
        }
      if (enter != NULL)
        add_cgroup_roots (c);
      for (guint i = 0; i < c->pass_fds->len; i++)
        {
          int fd = g_array_index (c->pass_fds, int, i);
          fcntl (fd, F_SETFD, fcntl (fd, F_GETFD) & ~FD_CLOEXEC);
        }
      execv (c->argv->pdata[0], (char **) c->argv->pdata);
      dprintf (STDERR_FILENO, "berth: exec %s: %s\n", (char *) c->argv->pdata[0], g_strerror (errno));
      _exit (127);
    }
  g_ptr_array_remove_index (c->argv, c->argv->len - 1);
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return berth_fail_errno (error, errno, "wait for criu");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return true;
  g_autofree char *why = last_log_error (c->log_path);
  g_autofree char *how = WIFEXITED (status) ? g_strdup_printf ("exit status %d", WEXITSTATUS (status))
                                            : g_strdup_printf ("signal %d", WTERMSIG (status));
  return berth_fail_code (error, EIO, "criu %s failed (%s): %s (log: %s)", c->action, how,
                          why ? why : "no error line in its log", c->log_path);
}

void
berth_external_mount_free (BerthExternalMount *m)
{
  g_free (m->destination);
  g_free (m->source);
  g_free (m);
}

static BerthExternalMount *
external_mount_new (const char *destination, const char *source)
{
  BerthExternalMount *m = g_new0 (BerthExternalMount, 1);
  m->destination = g_strdup (destination);
  m->source = g_strdup (source);
  return m;
}

/* prefix is "/" or a path that path equals or lies below. */
static bool
path_within (const char *path, const char *prefix)
{
  size_t n = strlen (prefix);
  if (strcmp (prefix, "/") == 0)
    return path[0] == '/';
  return strncmp (path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool
is_bind (const BerthMount *m)
{
  if (m->type != NULL && strcmp (m->type, "bind") == 0)
    return true;
  for (char **o = m->options; o != NULL && *o != NULL; o++)
    if (strcmp (*o, "bind") == 0 || strcmp (*o, "rbind") == 0)
      return true;
  return false;
}

/* The spec's bind mount on destination, or NULL. */
static const BerthMount *
spec_bind_at (const BerthSpec *spec, const char *destination)
{
  const BerthMount *found = NULL;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const BerthMount *m = &spec->mounts[i];
      if (!is_bind (m) || m->destination == NULL)
        continue;
      g_autofree char *dest = g_canonicalize_filename (m->destination, "/");
      if (strcmp (dest, destination) == 0)
        found = m; /* the last one is the visible one */
    }
  return found;
}

/* Where the mounted directory or file m of the container is on the host:
 * the host mount of the same filesystem whose root holds m's root. */
static char *
host_path_of (GPtrArray *host, const BerthMountInfo *m)
{
  const BerthMountInfo *best = NULL;
  for (guint i = 0; i < host->len; i++)
    {
      const BerthMountInfo *h = host->pdata[i];
      if (strcmp (h->dev, m->dev) == 0 && path_within (m->root, h->root)
          && (best == NULL || strlen (h->root) >= strlen (best->root)))
        best = h;
    }
  if (best == NULL)
    return NULL;
  const char *rest = strcmp (best->root, "/") == 0 ? m->root : m->root + strlen (best->root);
  return strcmp (best->mountpoint, "/") == 0 ? g_strdup (*rest ? rest : "/") : g_strconcat (best->mountpoint, rest, NULL);
}

/* A bind of something the container has mounted itself (a part of its
 * rootfs, its own /proc/sys): CRIU restores it from the images.  Only whole
 * filesystems and the rootfs count as the container's own: two binds of
 * one outside file (/dev/null on several masked paths) are both external. */
static bool
inside_container (GPtrArray *mounts, const BerthMountInfo *m)
{
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthMountInfo *n = mounts->pdata[i];
      bool own = strcmp (n->root, "/") == 0 || strcmp (n->mountpoint, "/") == 0;
      if (n != m && own && strcmp (n->dev, m->dev) == 0 && path_within (m->root, n->root))
        return true;
    }
  return false;
}

GPtrArray *
berth_criu_external_mounts_of (GPtrArray *mounts, GPtrArray *host, const BerthSpec *spec, GError **error)
{
  g_autoptr (GPtrArray) external = g_ptr_array_new_with_free_func ((GDestroyNotify) berth_external_mount_free);
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthMountInfo *m = mounts->pdata[i];
      if (strcmp (m->mountpoint, "/") == 0)
        continue; /* the rootfs: CRIU's --root */
      const BerthMount *bind = spec_bind_at (spec, m->mountpoint);
      /* A whole filesystem (proc, a tmpfs) is mounted again by CRIU; a bind
       * of the spec is external even from inside the rootfs, as with runc. */
      if (bind == NULL && (strcmp (m->root, "/") == 0 || inside_container (mounts, m)))
        continue;
      if (strchr (m->mountpoint, ':') != NULL)
        {
          berth_fail (error, "checkpoint: mount %s: CRIU's --ext-mount-map cannot name a path with ':'", m->mountpoint);
          return NULL;
        }
      g_autofree char *source = host_path_of (host, m);
      if (source == NULL && bind != NULL)
        source = g_strdup (bind->source);
      if (source == NULL)
        {
          berth_fail (error, "checkpoint: mount %s: its source (%s on device %s) is not mounted on the host", m->mountpoint,
                      m->root, m->dev);
          return NULL;
        }
      g_ptr_array_add (external, external_mount_new (m->mountpoint, source));
    }
  return g_steal_pointer (&external);
}

GPtrArray *
berth_criu_external_mounts (pid_t pid, const BerthSpec *spec, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/mountinfo", (int) pid);
  g_autoptr (GPtrArray) mounts = berth_mount_info_read (path);
  if (mounts == NULL)
    {
      berth_fail_errno (error, errno, "read %s", path);
      return NULL;
    }
  g_autoptr (GPtrArray) host = berth_mount_info_read ("/proc/self/mountinfo");
  if (host == NULL)
    {
      berth_fail_errno (error, errno, "read /proc/self/mountinfo");
      return NULL;
    }
  return berth_criu_external_mounts_of (mounts, host, spec, error);
}

static bool
write_json (const char *images_dir, const char *name, JsonBuilder *b, GError **error)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, true);
  berth_autofd int dir_fd = open (images_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return berth_fail_errno (error, errno, "--image-path %s", images_dir);
  return berth_atomic_write (dir_fd, name, text, strlen (text), 0600, error);
}

/* NULL with error ENOENT when the file is absent. */
static JsonParser *
read_json (const char *images_dir, const char *name, JsonNodeType type, GError **error)
{
  g_autofree char *path = g_build_filename (images_dir, name, NULL);
  g_autofree char *text = berth_read_file_at (AT_FDCWD, path, 16 << 20, NULL);
  if (text == NULL)
    {
      berth_fail_errno (error, errno, "%s", path);
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_data (parser, text, -1, &local))
    {
      berth_fail_code (error, EINVAL, "%s: %s", path, local->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS (json_parser_get_root (parser), type))
    {
      berth_fail_code (error, EINVAL, "%s: not a JSON %s", path, type == JSON_NODE_ARRAY ? "array" : "object");
      return NULL;
    }
  return g_steal_pointer (&parser);
}

bool
berth_criu_write_external_mounts (const char *images_dir, GPtrArray *mounts, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthExternalMount *m = mounts->pdata[i];
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "destination");
      json_builder_add_string_value (b, m->destination);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, m->source);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return write_json (images_dir, MOUNTS_FILE, b, error);
}

/* A recorded source that is not one of the bundle's binds: only what the
 * runtime itself binds in may come from the images (a hostile image must
 * not bind "/" into the container): a default device (a masked file is the
 * host's /dev/null) or one of the spec's, or a host cgroup directory. */
static bool
recorded_source_allowed (const char *source, const BerthSpec *spec)
{
  /* A cgroup directory need not exist yet: restore makes the container's
   * cgroup later (and CRIU fails on a source that is missing then). */
  if (path_within (source, "/sys/fs/cgroup"))
    return strstr (source, "/..") == NULL;
  struct stat sb;
  if (stat (source, &sb) < 0 || (!S_ISCHR (sb.st_mode) && !S_ISBLK (sb.st_mode)))
    return false;
  for (size_t i = 0; S_ISCHR (sb.st_mode) && i < berth_n_default_devices; i++)
    if (sb.st_rdev == makedev (berth_default_devices[i].major, berth_default_devices[i].minor))
      return true;
  for (size_t i = 0; spec->linux_ != NULL && i < spec->linux_->n_devices; i++)
    {
      const BerthDevice *d = &spec->linux_->devices[i];
      bool block = strcmp (d->type, "b") == 0;
      if (block == S_ISBLK (sb.st_mode) && sb.st_rdev == makedev (d->major, d->minor))
        return true;
    }
  return false;
}

GPtrArray *
berth_criu_restore_mounts (const char *images_dir, const BerthSpec *spec, GError **error)
{
  g_autoptr (GPtrArray) mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) berth_external_mount_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonParser) parser = read_json (images_dir, MOUNTS_FILE, JSON_NODE_ARRAY, &local);
  if (parser == NULL && !g_error_matches (local, BERTH_ERROR, ENOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  JsonArray *recorded = parser ? json_node_get_array (json_parser_get_root (parser)) : NULL;
  for (guint i = 0; recorded != NULL && i < json_array_get_length (recorded); i++)
    {
      JsonObject *o = json_array_get_object_element (recorded, i);
      const char *dest = o ? json_object_get_string_member_with_default (o, "destination", NULL) : NULL;
      const char *source = o ? json_object_get_string_member_with_default (o, "source", NULL) : NULL;
      if (dest == NULL || source == NULL)
        {
          berth_fail_code (error, EINVAL, "%s/%s: entry %u: needs \"destination\" and \"source\" strings", images_dir,
                           MOUNTS_FILE, i);
          return NULL;
        }
      const BerthMount *bind = spec_bind_at (spec, dest);
      if (bind == NULL && !recorded_source_allowed (source, spec))
        {
          berth_fail_code (error, EPERM, "%s/%s: entry %u: %s for %s is not a device or cgroup directory the "
                           "container may have, nor a bind of the bundle", images_dir, MOUNTS_FILE, i, source, dest);
          return NULL;
        }
      g_ptr_array_add (mounts, external_mount_new (dest, bind ? bind->source : source));
    }
  if (recorded == NULL) /* runc's images: its binds are all it marks external */
    for (size_t i = 0; i < spec->n_mounts; i++)
      if (is_bind (&spec->mounts[i]) && spec->mounts[i].destination != NULL)
        {
          g_autofree char *dest = g_canonicalize_filename (spec->mounts[i].destination, "/");
          g_ptr_array_add (mounts, external_mount_new (dest, spec->mounts[i].source));
        }
  return g_steal_pointer (&mounts);
}

char **
berth_criu_read_stdio_links (pid_t pid)
{
  char **links = g_new0 (char *, 4);
  for (int fd = 0; fd < 3; fd++)
    {
      char path[64], target[4096];
      snprintf (path, sizeof path, "/proc/%d/fd/%d", (int) pid, fd);
      ssize_t n = readlink (path, target, sizeof target - 1);
      links[fd] = g_strndup (target, n > 0 ? (size_t) n : 0);
    }
  return links;
}

bool
berth_criu_write_descriptors (const char *images_dir, char **links, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (char **l = links; *l != NULL; l++)
    json_builder_add_string_value (b, *l);
  json_builder_end_array (b);
  return write_json (images_dir, DESCRIPTORS_FILE, b, error);
}

char **
berth_criu_read_descriptors (const char *images_dir, GError **error)
{
  g_autoptr (JsonParser) parser = read_json (images_dir, DESCRIPTORS_FILE, JSON_NODE_ARRAY, error);
  if (parser == NULL)
    return NULL;
  JsonArray *a = json_node_get_array (json_parser_get_root (parser));
  g_autoptr (GStrvBuilder) links = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      const char *s = json_array_get_string_element (a, i);
      g_strv_builder_add (links, s ? s : "");
    }
  return g_strv_builder_end (links);
}
