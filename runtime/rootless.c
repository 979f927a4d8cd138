/* Rootless containers: detection, /etc/subuid and /etc/subgid, the id maps of
 * a new user namespace, processes found by pid namespace.  See rootless.h. */
#include "rootless.h"

#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SUBUID_PATH "/etc/subuid"
#define SUBGID_PATH "/etc/subgid"

/* ------------------------------------------------------------------ */
/* detection                                                           */

bool
berth_in_user_namespace (void)
{
  g_autofree char *map = berth_read_file_at (AT_FDCWD, "/proc/self/uid_map", 1 << 16, NULL);
  if (map == NULL)
    return false; /* no user namespaces in this kernel */
  unsigned long inside, outside, count;
  int consumed = 0;
  if (sscanf (map, "%lu %lu %lu%n", &inside, &outside, &count, &consumed) != 3)
    return true;
  const char *rest = map + consumed;
  while (*rest != '\0' && isspace ((unsigned char) *rest))
    rest++;
  return !(inside == 0 && outside == 0 && count == 4294967295UL && *rest == '\0');
}

bool
berth_rootless_auto (void)
{
  return geteuid () != 0 || berth_in_user_namespace ();
}

/* ------------------------------------------------------------------ */
/* /etc/subuid, /etc/subgid                                            */

GArray *
berth_subid_parse (const char *text, const char *user, uint32_t id)
{
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (BerthSubidRange));
  char id_text[16];
  snprintf (id_text, sizeof id_text, "%u", id);
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_strstrip (*l);
      if (**l == '\0' || **l == '#')
        continue;
      g_auto (GStrv) f = g_strsplit (*l, ":", -1);
      if (g_strv_length (f) != 3)
        continue;
      if (!((user != NULL && strcmp (f[0], user) == 0) || strcmp (f[0], id_text) == 0))
        continue;
      uint64_t start, count;
      if (!berth_parse_uint64 (f[1], UINT32_MAX, &start) || !berth_parse_uint64 (f[2], UINT32_MAX, &count)
          || count == 0 || start + count - 1 > UINT32_MAX)
        continue;
      BerthSubidRange r = { (uint32_t) start, (uint32_t) count };
      g_array_append_val (ranges, r);
    }
  return ranges;
}

/* ------------------------------------------------------------------ */
/* checking a mapping                                                  */

static bool
ranges_overlap (uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
  return a < b + b_len && b < a + a_len;
}

/* Is [start, start+len) covered by the union of the delegated ranges?
 * (Adjacent entries count as one range, as in shadow's newuidmap.) */
static bool
range_delegated (uint64_t start, uint64_t len, const GArray *delegated)
{
  uint64_t pos = start, end = start + len;
  bool progressed = true;
  while (pos < end && progressed)
    {
      progressed = false;
      for (guint i = 0; delegated != NULL && i < delegated->len; i++)
        {
          const BerthSubidRange *r = &g_array_index (delegated, BerthSubidRange, i);
          uint64_t r_end = (uint64_t) r->start + r->count;
          if (r->start <= pos && pos < r_end)
            {
              pos = r_end;
              progressed = true;
            }
        }
    }
  return pos >= end;
}

bool
berth_id_mappings_check (const BerthIdMapping *maps, size_t n, bool is_gid, bool privileged, uint32_t own_id,
                         const char *user, const char *subid_path, const GArray *delegated,
                         BerthIdMapMethod *ret_method, GError **error)
{
  const char *field = is_gid ? "gidMappings" : "uidMappings";
  *ret_method = BERTH_IDMAP_NONE;
  if (n == 0)
    return true;
  for (size_t i = 0; i < n; i++)
    {
      const BerthIdMapping *m = &maps[i];
      if (m->size == 0)
        return berth_fail (error, "config.json: .linux.%s[%zu]: size must be at least 1", field, i);
      if ((uint64_t) m->containerID + m->size - 1 > UINT32_MAX - 1 || (uint64_t) m->hostID + m->size - 1 > UINT32_MAX - 1)
        return berth_fail (error, "config.json: .linux.%s[%zu]: range %u+%u goes past the largest id", field, i,
                           m->hostID, m->size);
      for (size_t j = 0; j < i; j++)
        {
          const BerthIdMapping *o = &maps[j];
          if (ranges_overlap (m->containerID, m->size, o->containerID, o->size))
            return berth_fail (error, "config.json: .linux.%s[%zu]: container range %u-%u overlaps .linux.%s[%zu] (%u-%u)",
                               field, i, m->containerID, m->containerID + m->size - 1, field, j, o->containerID,
                               o->containerID + o->size - 1);
          if (ranges_overlap (m->hostID, m->size, o->hostID, o->size))
            return berth_fail (error, "config.json: .linux.%s[%zu]: host range %u-%u overlaps .linux.%s[%zu] (%u-%u)",
                               field, i, m->hostID, m->hostID + m->size - 1, field, j, o->hostID,
                               o->hostID + o->size - 1);
        }
    }
  if (privileged || (n == 1 && maps[0].size == 1 && maps[0].hostID == own_id))
    {
      *ret_method = BERTH_IDMAP_DIRECT;
      return true;
    }
  for (size_t i = 0; i < n; i++)
    {
      const BerthIdMapping *m = &maps[i];
      if (m->size == 1 && m->hostID == own_id)
        continue;
      if (delegated == NULL || delegated->len == 0)
        return berth_fail_code (error, EPERM,
                                "config.json: .linux.%s[%zu]: host range %u-%u needs an entry for user %s in %s (only %s id %u may be mapped without one)",
                                field, i, m->hostID, m->hostID + m->size - 1, user, subid_path, is_gid ? "group" : "user",
                                own_id);
      if (!range_delegated (m->hostID, m->size, delegated))
        return berth_fail_code (error, EPERM, "config.json: .linux.%s[%zu]: host range %u-%u is not delegated to user %s in %s",
                                field, i, m->hostID, m->hostID + m->size - 1, user, subid_path);
    }
  *ret_method = BERTH_IDMAP_HELPER;
  return true;
}

static bool
check_one (const BerthIdMapping *maps, size_t n, bool is_gid, BerthIdMapMethod *ret, GError **error)
{
  uid_t euid = geteuid ();
  bool privileged = euid == 0;
  uint32_t own = is_gid ? (uint32_t) getegid () : (uint32_t) euid;
  /* The file is only needed for ranges beyond our own id: a mapping that
   * passes without it is written directly. */
  if (berth_id_mappings_check (maps, n, is_gid, privileged, own, "", "", NULL, ret, NULL))
    return true;

  g_autofree char *user = berth_passwd_user_name (euid);
  if (user == NULL)
    user = g_strdup_printf ("%u", (unsigned) euid);
  const char *path = is_gid ? SUBGID_PATH : SUBUID_PATH;
  g_autofree char *text = berth_read_file_at (AT_FDCWD, path, 16 << 20, NULL);
  if (text == NULL && errno != ENOENT)
    return berth_fail_errno (error, errno, "config.json: .linux.%s: read %s", is_gid ? "gidMappings" : "uidMappings", path);
  /* shadow matches subuid lines by user name or uid, subgid lines by user
   * name or gid as well. */
  g_autoptr (GArray) ranges = berth_subid_parse (text, user, own);
  if (!berth_id_mappings_check (maps, n, is_gid, privileged, own, user, path, ranges, ret, error))
    return false;
  if (*ret == BERTH_IDMAP_HELPER)
    {
      const char *helper = is_gid ? "newgidmap" : "newuidmap";
      g_autofree char *found = g_find_program_in_path (helper);
      if (found == NULL)
        return berth_fail_code (error, ENOENT, "config.json: .linux.%s: mapping more than your own id needs %s (install Debian's uidmap package)",
                                is_gid ? "gidMappings" : "uidMappings", helper);
    }
  return true;
}

bool
berth_id_map_plan (const BerthLinux *lx, BerthIdMapPlan *ret_plan, GError **error)
{
  ret_plan->uid = ret_plan->gid = BERTH_IDMAP_NONE;
  if (lx == NULL)
    return true;
  return check_one (lx->uidMappings, lx->n_uidMappings, false, &ret_plan->uid, error)
         && check_one (lx->gidMappings, lx->n_gidMappings, true, &ret_plan->gid, error);
}

/* ------------------------------------------------------------------ */
/* writing the maps                                                    */

static bool
write_direct (pid_t pid, const char *file, const char *field, const BerthIdMapping *maps, size_t n, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  for (size_t i = 0; i < n; i++)
    g_string_append_printf (text, "%u %u %u\n", maps[i].containerID, maps[i].hostID, maps[i].size);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  if (!berth_write_file_at (AT_FDCWD, path, text->str))
    {
      int saved = errno;
      if (saved == EPERM && geteuid () == 0 && berth_in_user_namespace ())
        return berth_fail_errno (error, saved, "config.json: .linux.%s: write %s (berth runs in a user namespace: every host id must be mapped in /proc/self/%s)",
                                 field, file, file);
      return berth_fail_errno (error, saved, "config.json: .linux.%s: write %s", field, file);
    }
  return true;
}

/* newuidmap PID inside outside count ...: its stderr becomes the error. */
static bool
run_helper (pid_t pid, const char *helper, const char *field, const BerthIdMapping *maps, size_t n, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup (helper));
  g_ptr_array_add (argv, g_strdup_printf ("%d", (int) pid));
  for (size_t i = 0; i < n; i++)
    {
      g_ptr_array_add (argv, g_strdup_printf ("%u", maps[i].containerID));
      g_ptr_array_add (argv, g_strdup_printf ("%u", maps[i].hostID));
      g_ptr_array_add (argv, g_strdup_printf ("%u", maps[i].size));
    }
  g_ptr_array_add (argv, NULL);
  g_autofree char *err_text = NULL;
  int status = 0;
  g_autoptr (GError) spawn_error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err_text, &status, &spawn_error))
    return berth_fail_code (error, ENOENT, "config.json: .linux.%s: run %s: %s", field, helper, spawn_error->message);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_strstrip (err_text);
      for (char *c = err_text; *c; c++)
        if (*c == '\n')
          *c = ' ';
      return berth_fail_code (error, EPERM, "config.json: .linux.%s: %s failed: %s", field, helper,
                              *err_text ? err_text : "(no message)");
    }
  return true;
}

bool
berth_id_map_write (pid_t pid, const BerthLinux *lx, const BerthIdMapPlan *plan, GError **error)
{
  if (lx == NULL)
    return true;
  if (plan->uid == BERTH_IDMAP_DIRECT
      && !write_direct (pid, "uid_map", "uidMappings", lx->uidMappings, lx->n_uidMappings, error))
    return false;
  if (plan->uid == BERTH_IDMAP_HELPER && !run_helper (pid, "newuidmap", "uidMappings", lx->uidMappings, lx->n_uidMappings, error))
    return false;
  if (plan->gid == BERTH_IDMAP_DIRECT)
    {
      /* An unprivileged gid_map needs setgroups denied first (user_namespaces(7)). */
      if (geteuid () != 0)
        {
          char path[64];
          snprintf (path, sizeof path, "/proc/%d/setgroups", (int) pid);
          if (!berth_write_file_at (AT_FDCWD, path, "deny") && errno != ENOENT)
            return berth_fail_errno (error, errno, "config.json: .linux.gidMappings: write \"deny\" to setgroups");
        }
      if (!write_direct (pid, "gid_map", "gidMappings", lx->gidMappings, lx->n_gidMappings, error))
        return false;
    }
  /* newgidmap leaves setgroups allowed when subordinate ranges are mapped. */
  if (plan->gid == BERTH_IDMAP_HELPER && !run_helper (pid, "newgidmap", "gidMappings", lx->gidMappings, lx->n_gidMappings, error))
    return false;
  return true;
}
