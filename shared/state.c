#include "state.h"

#include "cgroup.h"
#include "error.h"
#include "json.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#define BERTH_ID_MAX 255
#define STATE_FILE "state.json"
#define EXIT_FILE "exit"
#define STATE_MAX_SIZE (4 * 1024 * 1024)

const char *
berth_status_name (BerthStatus status)
{
  static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
  return names[status];
}

void
berth_container_state_free (BerthContainerState *st)
{
  if (st == NULL)
    return;
  g_free (st->id);
  g_free (st->bundle);
  g_free (st->rootfs);
  g_free (st->created);
  g_free (st->owner);
  g_free (st->cgroup);
  g_clear_pointer (&st->annotations, g_hash_table_unref);
  g_clear_pointer (&st->extra, g_hash_table_unref);
  g_free (st);
}

bool
berth_id_validate (const char *id, GError **error)
{
  if (id == NULL || *id == '\0')
    return berth_fail (error, "container ID: must not be empty");
  size_t len = strlen (id);
  if (len > BERTH_ID_MAX)
    return berth_fail (error, "container ID: longer than %d characters", BERTH_ID_MAX);
  if (!g_ascii_isalnum (id[0]))
    return berth_fail (error, "container ID \"%s\": must start with a letter or digit", id);
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_.+-", *p) == NULL)
      return berth_fail (error, "container ID \"%s\": invalid character '%c' (allowed: A-Z a-z 0-9 _ . + -)", id, *p);
  return true;
}

int
berth_state_root_open (const char *root, bool create, GError **error)
{
  if (create && g_mkdir_with_parents (root, 0700) < 0)
    {
      berth_fail_errno (error, errno, "--root %s", root);
      return -1;
    }
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    berth_fail_errno (error, errno, "--root %s", root);
  return fd;
}

int
berth_state_dir_create (int root_fd, const char *id, GError **error)
{
  if (mkdirat (root_fd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        berth_fail_code (error, EEXIST, "container \"%s\" already exists", id);
      else
        berth_fail_errno (error, errno, "create state directory for \"%s\"", id);
      return -1;
    }
  int fd = openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    berth_fail_errno (error, errno, "open state directory for \"%s\"", id);
  return fd;
}

int
berth_state_dir_open (int root_fd, const char *id, GError **error)
{
  int fd = openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        berth_fail_code (error, ENOENT, "container \"%s\" does not exist", id);
      else
        berth_fail_errno (error, errno, "container \"%s\"", id);
    }
  return fd;
}

bool
berth_state_dir_remove (int root_fd, const char *id, GError **error)
{
  berth_autofd int fd = openat (root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? true : berth_fail_errno (error, errno, "remove state of \"%s\"", id);
  DIR *dir = fdopendir (fd);
  if (dir == NULL)
    return berth_fail_errno (error, errno, "remove state of \"%s\"", id);
  fd = -1; /* owned by dir now */
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (dir), de->d_name, 0) < 0 && errno != ENOENT)
        {
          int saved = errno;
          closedir (dir);
          return berth_fail_errno (error, saved, "remove state of \"%s\": %s", id, de->d_name);
        }
    }
  closedir (dir);
  if (unlinkat (root_fd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berth_fail_errno (error, errno, "remove state of \"%s\"", id);
  return true;
}

bool
berth_state_lock (int dir_fd, GError **error)
{
  while (flock (dir_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return berth_fail_errno (error, errno, "lock container state");
  return true;
}

static bool
replace_file (int dir_fd, const char *name, const char *data, size_t len, mode_t mode, bool durable, GError **error)
{
  g_autofree char *tmp = g_strdup_printf (".%s.tmp", name);
  berth_autofd int fd = openat (dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return berth_fail_errno (error, errno, "write %s", name);
  if (!berth_write_all (fd, data, len) || (durable && fsync (fd) < 0))
    {
      int saved = errno;
      unlinkat (dir_fd, tmp, 0);
      return berth_fail_errno (error, saved, "write %s", name);
    }
  if (renameat (dir_fd, tmp, dir_fd, name) < 0)
    {
      int saved = errno;
      unlinkat (dir_fd, tmp, 0);
      return berth_fail_errno (error, saved, "rename %s", name);
    }
  return true;
}

bool
berth_atomic_write (int dir_fd, const char *name, const char *data, size_t len, mode_t mode, GError **error)
{
  return replace_file (dir_fd, name, data, len, mode, true, error);
}

bool
berth_runtime_file_write (int dir_fd, const char *name, const char *data, size_t len, mode_t mode, GError **error)
{
  return replace_file (dir_fd, name, data, len, mode, false, error);
}

static void
add_string_map (JsonBuilder *b, const char *member, GHashTable *map)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  if (map != NULL)
    {
      g_autoptr (GList) keys = g_list_sort (g_hash_table_get_keys (map), (GCompareFunc) strcmp);
      for (GList *l = keys; l; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          json_builder_add_string_value (b, g_hash_table_lookup (map, l->data));
        }
    }
  json_builder_end_object (b);
}

static void
add_string (JsonBuilder *b, const char *member, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder *b, const char *member, gint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
}

static char *
builder_to_string (JsonBuilder *b, bool pretty)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, pretty);
}

bool
berth_state_write (int dir_fd, const BerthContainerState *st, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "id", st->id);
  add_int (b, "pid", st->pid);
  add_int (b, "pid_start_time", (gint64) st->pid_start_time);
  add_string (b, "bundle", st->bundle);
  add_string (b, "rootfs", st->rootfs);
  add_string (b, "created", st->created);
  add_string (b, "owner", st->owner);
  add_int (b, "owner_uid", st->owner_uid);
  add_string (b, "cgroup", st->cgroup);
  json_builder_set_member_name (b, "rootless");
  json_builder_add_boolean_value (b, st->rootless);
  add_int (b, "shim_pid", st->shim_pid);
  add_string_map (b, "annotations", st->annotations);
  add_string_map (b, "extra", st->extra);
  json_builder_end_object (b);
  g_autofree char *text = builder_to_string (b, false);
  return berth_atomic_write (dir_fd, STATE_FILE, text, strlen (text), 0600, error);
}

static GHashTable *
read_string_map (JsonObject *obj, const char *member)
{
  GHashTable *map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return map;
  JsonObject *m = json_node_get_object (node);
  g_autoptr (GList) members = json_object_get_members (m);
  for (GList *l = members; l; l = l->next)
    {
      const char *v = json_object_get_string_member_with_default (m, l->data, NULL);
      if (v != NULL)
        g_hash_table_insert (map, g_strdup (l->data), g_strdup (v));
    }
  return map;
}

BerthContainerState *
berth_state_read (int dir_fd, GError **error)
{
  size_t len = 0;
  g_autofree char *text = berth_read_file_at (dir_fd, STATE_FILE, STATE_MAX_SIZE, &len);
  if (text == NULL)
    {
      berth_fail_errno (error, errno, "read container state");
      return NULL;
    }
  if (len == 0)
    {
      /* Empty (truncated by hand, or a crash of an older berth that did not
       * fsync it): as if never written, so the container reads as
       * half-created and `delete --force` removes it. */
      berth_fail_code (error, ENOENT, "container state is empty");
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    {
      berth_fail (error, "container state file is corrupt");
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      berth_fail (error, "container state file is corrupt");
      return NULL;
    }
  JsonObject *o = json_node_get_object (root);
  BerthContainerState *st = g_new0 (BerthContainerState, 1);
  st->id = g_strdup (json_object_get_string_member_with_default (o, "id", NULL));
  st->pid = (pid_t) json_object_get_int_member_with_default (o, "pid", 0);
  st->pid_start_time = (uint64_t) json_object_get_int_member_with_default (o, "pid_start_time", 0);
  st->bundle = g_strdup (json_object_get_string_member_with_default (o, "bundle", NULL));
  st->rootfs = g_strdup (json_object_get_string_member_with_default (o, "rootfs", NULL));
  st->created = g_strdup (json_object_get_string_member_with_default (o, "created", NULL));
  st->owner = g_strdup (json_object_get_string_member_with_default (o, "owner", NULL));
  st->owner_uid = (uid_t) json_object_get_int_member_with_default (o, "owner_uid", 0);
  st->cgroup = g_strdup (json_object_get_string_member_with_default (o, "cgroup", NULL));
  st->rootless = json_object_get_boolean_member_with_default (o, "rootless", false);
  st->shim_pid = (pid_t) json_object_get_int_member_with_default (o, "shim_pid", 0);
  st->annotations = read_string_map (o, "annotations");
  st->extra = read_string_map (o, "extra");
  if (st->id == NULL)
    {
      berth_container_state_free (st);
      berth_fail (error, "container state file is corrupt: no id");
      return NULL;
    }
  return st;
}

BerthStatus
berth_state_status (int dir_fd, const BerthContainerState *st)
{
  if (!berth_proc_is_alive (st->pid, st->pid_start_time))
    return BERTH_STATUS_STOPPED;
  struct stat sb;
  if (fstatat (dir_fd, "start.sock", &sb, AT_SYMLINK_NOFOLLOW) == 0)
    return BERTH_STATUS_CREATED;
  if (st->cgroup != NULL)
    {
      g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (st->cgroup, NULL);
      if (cg != NULL && berth_cgroup_is_frozen (cg))
        return BERTH_STATUS_PAUSED;
    }
  return BERTH_STATUS_RUNNING;
}

static char *
oci_json (const BerthContainerState *st, BerthStatus status, int exit_status, bool pretty)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "ociVersion", "1.2.0");
  add_string (b, "id", st->id);
  add_string (b, "status", berth_status_name (status));
  add_int (b, "pid", status == BERTH_STATUS_STOPPED ? 0 : st->pid);
  add_string (b, "bundle", st->bundle);
  add_string (b, "rootfs", st->rootfs);
  add_string (b, "created", st->created);
  add_string (b, "owner", st->owner != NULL ? st->owner : "");
  add_string_map (b, "annotations", st->annotations);
  if (exit_status >= 0)
    add_int (b, "exitStatus", exit_status);
  json_builder_end_object (b);
  return builder_to_string (b, pretty);
}

char *
berth_state_oci_json (const BerthContainerState *st, BerthStatus status)
{
  return oci_json (st, status, -1, false);
}

char *
berth_state_oci_json_pretty (const BerthContainerState *st, BerthStatus status, int exit_status)
{
  return oci_json (st, status, exit_status, true);
}

bool
berth_state_write_exit_status (int dir_fd, int status, GError **error)
{
  char buf[32];
  int n = g_snprintf (buf, sizeof buf, "%d", status);
  return berth_atomic_write (dir_fd, EXIT_FILE, buf, (size_t) n, 0600, error);
}

int
berth_state_read_exit_status (int dir_fd)
{
  g_autofree char *text = berth_read_file_at (dir_fd, EXIT_FILE, 64, NULL);
  int64_t v;
  if (text == NULL || !berth_parse_int64 (g_strstrip (text), 0, 65535, &v))
    return -1;
  return (int) v;
}
