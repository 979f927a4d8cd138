/* cgroups, cgroupfs driver: mode detection, linux.cgroupsPath resolution,
 * create / enter / freeze / kill / pids / destroy, and the serialised form.
 * Resources live in cgroup-v1.c, cgroup-v2.c and cgroup-resources.c.
 *
 * Path rules (runc 1.1, libcontainer/cgroups/fs and fs2):
 *  - empty cgroupsPath: the container id, as a relative path;
 *  - absolute: below the root of each hierarchy;
 *  - relative: below the calling process's own cgroup in each hierarchy
 *    (v1: per controller from /proc/self/cgroup; v2/unified: the 0:: line).
 *  ".." components are refused, "." and empty components dropped.
 * In hybrid mode the same path is also created and joined in the unified
 * cgroup2 mount (placed relative to the 0:: line). */
#include "cgroup-internal.h"
#include "error.h"
#include "mountinfo.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
#define UNIFIED_ROOT "/sys/fs/cgroup/unified"

/* ------------------------------------------------------------------ */
/* small file helpers                                                  */

char *
berth_cgroup_read (const char *dir, const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  char *text = berth_read_file_at (AT_FDCWD, path, 1 << 20, NULL);
  if (text == NULL)
    return NULL;
  g_strchomp (text);
  return text;
}

bool
berth_cgroup_write (const char *dir, const char *file, const char *value,
                    const char *field, GError **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  if (!berth_write_file_at (AT_FDCWD, path, value))
    return berth_fail_errno (error, errno, "%s: write \"%s\" to %s", field, value, path);
  return true;
}

bool
berth_cgroup_write_cpuset (const char *dir, const BerthCpu *cpu, GError **error)
{
  if (cpu->cpus && *cpu->cpus
      && !berth_cgroup_write (dir, "cpuset.cpus", cpu->cpus, ".linux.resources.cpu.cpus", error))
    return false;
  if (cpu->mems && *cpu->mems
      && !berth_cgroup_write (dir, "cpuset.mems", cpu->mems, ".linux.resources.cpu.mems", error))
    return false;
  return true;
}

bool
berth_cgroup_file_exists (const char *dir, const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  return access (path, F_OK) == 0;
}

bool
berth_cgroup_word_in_list (const char *list, const char *word, const char *seps)
{
  g_auto (GStrv) words = g_strsplit_set (list ? list : "", seps, -1);
  for (char **w = words; *w; w++)
    if (strcmp (*w, word) == 0)
      return true;
  return false;
}

bool
berth_cgroup_v2_has_controller (const char *dir, const char *controller)
{
  g_autofree char *list = berth_cgroup_read (dir, "cgroup.controllers");
  return list != NULL && berth_cgroup_word_in_list (list, controller, " \n");
}

static void
sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* The sub-cgroups (subdirectories) of dir, from readdir's d_type: no stat
 * per control file (a v1 memory cgroup has ~30).  Empty when dir is gone. */
static GPtrArray *
sub_cgroups (const char *dir)
{
  GPtrArray *subs = g_ptr_array_new_with_free_func (g_free);
  DIR *d = opendir (dir);
  if (d == NULL)
    return subs;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      struct stat st;
      if (de->d_type == DT_DIR
          || (de->d_type == DT_UNKNOWN && fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode)))
        g_ptr_array_add (subs, g_build_filename (dir, de->d_name, NULL));
    }
  closedir (d);
  return subs;
}

/* ------------------------------------------------------------------ */
/* mode, mounts and the caller's own cgroups                           */

static bool
is_cgroup2 (const char *path)
{
  struct statfs st;
  return statfs (path, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

BerthCgroupMode
berth_cgroup_mode (void)
{
  static int cached = -1;
  int mode = __atomic_load_n (&cached, __ATOMIC_RELAXED);
  if (mode >= 0)
    return (BerthCgroupMode) mode;
  if (is_cgroup2 (CGROUP_ROOT))
    mode = BERTH_CGROUP_V2;
  else if (is_cgroup2 (UNIFIED_ROOT))
    mode = BERTH_CGROUP_HYBRID;
  else
    mode = BERTH_CGROUP_V1;
  __atomic_store_n (&cached, mode, __ATOMIC_RELAXED);
  return (BerthCgroupMode) mode;
}

const char *
berth_cgroup_mode_name (BerthCgroupMode mode)
{
  switch (mode)
    {
    case BERTH_CGROUP_V1: return "v1";
    case BERTH_CGROUP_HYBRID: return "hybrid";
    case BERTH_CGROUP_V2: return "v2";
    }
  return "?";
}

/* The cgroup and cgroup2 mounts of /proc/self/mountinfo. */
static GPtrArray *
read_cgroup_mounts (GError **error)
{
  g_autoptr (GPtrArray) mounts = berth_mount_info_read ("/proc/self/mountinfo");
  if (mounts == NULL)
    {
      berth_fail_errno (error, errno, "cgroup: read /proc/self/mountinfo");
      return NULL;
    }
  for (guint i = mounts->len; i-- > 0;)
    {
      const BerthMountInfo *m = mounts->pdata[i];
      if (strcmp (m->fstype, "cgroup") != 0 && strcmp (m->fstype, "cgroup2") != 0)
        g_ptr_array_remove_index (mounts, i); /* keeps the order */
    }
  return g_steal_pointer (&mounts);
}

typedef struct
{
  char *controllers;  /* "" for the 0:: line */
  char *path;
} OwnCgroup;

static void
own_cgroup_free (OwnCgroup *o)
{
  g_free (o->controllers);
  g_free (o->path);
  g_free (o);
}

static GPtrArray *
read_own_cgroups (GError **error)
{
  g_autofree char *text = berth_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, NULL);
  if (text == NULL)
    {
      berth_fail_errno (error, errno, "cgroup: read /proc/self/cgroup");
      return NULL;
    }
  g_autoptr (GPtrArray) own = g_ptr_array_new_with_free_func ((GDestroyNotify) own_cgroup_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, ":", 3);
      if (g_strv_length (f) != 3)
        continue;
      OwnCgroup *o = g_new0 (OwnCgroup, 1);
      o->controllers = g_strdup (f[1]);
      o->path = g_strdup (f[2]);
      g_ptr_array_add (own, o);
    }
  return g_steal_pointer (&own);
}

/* The mount of the v1 hierarchy named by a /proc/self/cgroup key. */
static const BerthMountInfo *
find_v1_mount (GPtrArray *mounts, const char *controllers)
{
  g_auto (GStrv) want = g_strsplit (controllers, ",", -1);
  const BerthMountInfo *found = NULL;
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthMountInfo *m = mounts->pdata[i];
      if (strcmp (m->fstype, "cgroup") != 0)
        continue;
      bool all = true;
      for (char **w = want; *w && all; w++)
        all = berth_cgroup_word_in_list (m->super_options, *w, ",");
      if (!all)
        continue;
      if (found == NULL || (strcmp (m->root, "/") == 0 && strcmp (found->root, "/") != 0))
        found = m;
    }
  return found;
}

static const BerthMountInfo *
find_v2_mount (GPtrArray *mounts, const char *mountpoint)
{
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthMountInfo *m = mounts->pdata[i];
      if (strcmp (m->fstype, "cgroup2") == 0 && strcmp (m->mountpoint, mountpoint) == 0)
        return m;
    }
  return NULL;
}

/* Clean a cgroupsPath: refuse "..", drop "." and empty components.
 * Returns "/a/b" for absolute input and "a/b" for relative input. */
static char *
clean_cgroups_path (const char *path, const char *field, GError **error)
{
  bool absolute = path[0] == '/';
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr (GString) out = g_string_new (absolute ? "" : NULL);
  for (char **p = parts; *p; p++)
    {
      if (**p == '\0' || strcmp (*p, ".") == 0)
        continue;
      if (strcmp (*p, "..") == 0)
        {
          berth_fail (error, "%s: \"%s\" must not contain \"..\"", field, path);
          return NULL;
        }
      if (absolute || out->len > 0)
        g_string_append_c (out, '/');
      g_string_append (out, *p);
    }
  if (out->len == 0)
    {
      berth_fail (error, "%s: \"%s\" names no cgroup below the root", field, path);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The directory for inner (cleaned) in a hierarchy mounted as m, where the
 * calling process sits in own_path. */
static char *
hierarchy_dir (const BerthMountInfo *m, const char *own_path, const char *inner)
{
  if (inner[0] == '/')
    return g_build_filename (m->mountpoint, inner, NULL);
  const char *own = own_path;
  if (strcmp (m->root, "/") != 0 && g_str_has_prefix (own, m->root))
    own += strlen (m->root);
  return g_build_filename (m->mountpoint, own, inner, NULL);
}

static void
v1_dir_free (BerthCgroupV1Dir *d)
{
  g_free (d->controllers);
  g_free (d->dir);
  g_free (d);
}

static BerthCgroup *
cgroup_new (BerthCgroupMode mode)
{
  BerthCgroup *cg = g_new0 (BerthCgroup, 1);
  cg->mode = mode;
  cg->v1 = g_ptr_array_new_with_free_func ((GDestroyNotify) v1_dir_free);
  cg->unified_fd = -1;
  return cg;
}

void
berth_cgroup_free (BerthCgroup *cg)
{
  if (cg == NULL)
    return;
  g_free (cg->path);
  g_ptr_array_unref (cg->v1);
  g_free (cg->unified_dir);
  berth_close_fdp (&cg->unified_fd);
  g_free (cg);
}

const char *
berth_cgroup_v1_dir (const BerthCgroup *cg, const char *controller)
{
  for (guint i = 0; i < cg->v1->len; i++)
    {
      const BerthCgroupV1Dir *d = cg->v1->pdata[i];
      if (berth_cgroup_word_in_list (d->controllers, controller, ","))
        return d->dir;
    }
  return NULL;
}

const char *
berth_cgroup_dir (const BerthCgroup *cg, const char *controller)
{
  if (controller == NULL || cg->mode == BERTH_CGROUP_V2)
    return cg->unified_dir;
  const char *dir = berth_cgroup_v1_dir (cg, controller);
  if (dir == NULL && cg->mode == BERTH_CGROUP_HYBRID && cg->unified_dir
      && berth_cgroup_v2_has_controller (cg->unified_dir, controller))
    return cg->unified_dir;
  return dir;
}

BerthCgroupMode
berth_cgroup_get_mode (const BerthCgroup *cg)
{
  return cg->mode;
}

const char *
berth_cgroup_get_path (const BerthCgroup *cg)
{
  return cg->path;
}

BerthCgroup *
berth_cgroup_resolve (const char *cgroups_path, const char *id, GError **error)
{
  const char *raw = cgroups_path != NULL && *cgroups_path ? cgroups_path : id;
  if (raw == NULL || *raw == '\0')
    {
      berth_fail (error, ".linux.cgroupsPath: empty and no container id");
      return NULL;
    }
  g_autofree char *inner = clean_cgroups_path (raw, ".linux.cgroupsPath", error);
  if (inner == NULL)
    return NULL;
  g_autoptr (GPtrArray) mounts = read_cgroup_mounts (error);
  if (mounts == NULL)
    return NULL;
  g_autoptr (GPtrArray) own = read_own_cgroups (error);
  if (own == NULL)
    return NULL;

  g_autoptr (BerthCgroup) cg = cgroup_new (berth_cgroup_mode ());
  cg->path = g_steal_pointer (&inner);
  for (guint i = 0; i < own->len; i++)
    {
      const OwnCgroup *o = own->pdata[i];
      if (o->controllers[0] == '\0')
        {
          if (cg->mode == BERTH_CGROUP_V1)
            continue;
          const BerthMountInfo *m = find_v2_mount (mounts, cg->mode == BERTH_CGROUP_V2 ? CGROUP_ROOT : UNIFIED_ROOT);
          if (m != NULL)
            cg->unified_dir = hierarchy_dir (m, o->path, cg->path);
          continue;
        }
      if (cg->mode == BERTH_CGROUP_V2)
        continue;
      const BerthMountInfo *m = find_v1_mount (mounts, o->controllers);
      if (m == NULL)
        continue;
      BerthCgroupV1Dir *d = g_new0 (BerthCgroupV1Dir, 1);
      d->controllers = g_strdup (o->controllers);
      d->dir = hierarchy_dir (m, o->path, cg->path);
      g_ptr_array_add (cg->v1, d);
    }
  if (cg->mode == BERTH_CGROUP_V2 && cg->unified_dir == NULL)
    {
      berth_fail_code (error, ENOENT, "cgroup: no cgroup2 mount at " CGROUP_ROOT " for this process");
      return NULL;
    }
  if (cg->mode != BERTH_CGROUP_V2 && cg->v1->len == 0)
    {
      berth_fail_code (error, ENOENT, "cgroup: no cgroup v1 hierarchy mounted for this process");
      return NULL;
    }
  return g_steal_pointer (&cg);
}

/* ------------------------------------------------------------------ */
/* create                                                              */

/* mkdir -p that records the directories it created (outermost first). */
static bool
mkdir_recorded (const char *dir, GPtrArray *created, GError **error)
{
  if (mkdir (dir, 0755) == 0)
    {
      g_ptr_array_add (created, g_strdup (dir));
      return true;
    }
  if (errno == EEXIST)
    return true;
  if (errno != ENOENT)
    return berth_fail_errno (error, errno, "cgroup: mkdir %s", dir);
  g_autofree char *parent = g_path_get_dirname (dir);
  if (strcmp (parent, dir) == 0 || !mkdir_recorded (parent, created, error))
    return strcmp (parent, dir) == 0 ? berth_fail_errno (error, ENOENT, "cgroup: mkdir %s", dir) : false;
  if (mkdir (dir, 0755) == 0)
    {
      g_ptr_array_add (created, g_strdup (dir));
      return true;
    }
  if (errno == EEXIST)
    return true;
  return berth_fail_errno (error, errno, "cgroup: mkdir %s", dir);
}

static void
rmdir_created (GPtrArray *created)
{
  for (guint i = created->len; i > 0; i--)
    rmdir (created->pdata[i - 1]);
}

static bool
rootless_tolerable (int err)
{
  return err == EACCES || err == EPERM || err == EROFS;
}

static bool
create_dirs (BerthCgroup *cg, bool rootless, GPtrArray *created, GError **error)
{
  for (guint i = 0; i < cg->v1->len;)
    {
      BerthCgroupV1Dir *d = cg->v1->pdata[i];
      g_autoptr (GError) local = NULL;
      if (!mkdir_recorded (d->dir, created, &local))
        {
          if (rootless && rootless_tolerable (local->code))
            {
              g_ptr_array_remove_index (cg->v1, i);
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return false;
        }
      if (berth_cgroup_word_in_list (d->controllers, "cpuset", ",") && !berth_cgroup_v1_prepare_cpuset (d->dir, error))
        return false;
      i++;
    }
  if (cg->unified_dir != NULL)
    {
      g_autoptr (GError) local = NULL;
      if (!mkdir_recorded (cg->unified_dir, created, &local))
        {
          if (!(rootless || cg->mode == BERTH_CGROUP_HYBRID) || !rootless_tolerable (local->code))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return false;
            }
          g_clear_pointer (&cg->unified_dir, g_free);
        }
    }
  return true;
}

static bool
apply_resources (BerthCgroup *cg, const BerthResources *r, bool update, bool rootless, GError **error)
{
  BerthResources empty = { 0 };
  if (r == NULL)
    r = &empty;
  if (!berth_cgroup_resources_validate (cg, r, error))
    return false;
  if (cg->mode == BERTH_CGROUP_V2)
    return berth_cgroup_v2_apply (cg, cg->unified_dir, r, update, error);
  if (!berth_cgroup_v1_apply (cg, r, update, error))
    return false;
  if (cg->mode == BERTH_CGROUP_HYBRID)
    return berth_cgroup_v2_apply_hybrid (cg, r, error);
  return true;
}

static bool
apply_devices (BerthCgroup *cg, const BerthResources *r, GError **error)
{
  const BerthDeviceCgroupRule *rules = r ? r->devices : NULL;
  size_t n = r ? r->n_devices : 0;
  if (cg->mode == BERTH_CGROUP_V2)
    return berth_cgroup_devices_bpf_apply (cg->unified_dir, rules, n, error);
  const char *dir = berth_cgroup_v1_dir (cg, "devices");
  if (dir == NULL)
    return true;
  return berth_cgroup_v1_devices_apply (dir, rules, n, error);
}

BerthCgroup *
berth_cgroup_create (const char *cgroups_path, const char *id,
                     const BerthResources *resources, bool rootless, GError **error)
{
  g_autoptr (BerthCgroup) cg = berth_cgroup_resolve (cgroups_path, id, error);
  if (cg == NULL)
    return NULL;
  BerthResources empty = { 0 };
  if (!berth_cgroup_resources_validate (cg, resources ? resources : &empty, error))
    return NULL;
  g_autoptr (GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  bool ok = create_dirs (cg, rootless, created, error);
  /* Rootless without delegation: no hierarchy is writable; run without a
   * cgroup (NULL, no error; the caller warns once), as runc does. */
  if (ok && rootless && cg->v1->len == 0 && cg->unified_dir == NULL)
    {
      rmdir_created (created); /* parents made before a leaf was refused */
      return NULL;
    }
  if (ok && cg->mode == BERTH_CGROUP_V2)
    {
      /* runc: enable every available controller from the root down. */
      g_autofree char *avail = berth_cgroup_read (CGROUP_ROOT, "cgroup.controllers");
      g_auto (GStrv) ctrls = g_strsplit_set (avail ? avail : "", " \n", -1);
      ok = berth_cgroup_v2_enable_controllers (CGROUP_ROOT, cg->unified_dir, (const char *const *) ctrls, error);
    }
  if (ok)
    ok = apply_resources (cg, resources, false, rootless, error);
  if (ok && !rootless)
    ok = apply_devices (cg, resources, error);
  if (!ok)
    {
      rmdir_created (created);
      g_prefix_error (error, "create cgroup %s: ", cg->path);
      return NULL;
    }
  return g_steal_pointer (&cg);
}

bool
berth_cgroup_update (BerthCgroup *cg, const BerthResources *resources, GError **error)
{
  if (!apply_resources (cg, resources, true, false, error))
    return g_prefix_error (error, "update cgroup %s: ", cg->path), false;
  return true;
}

int
berth_cgroup_unified_fd (BerthCgroup *cg)
{
  if (cg->unified_fd < 0 && cg->unified_dir != NULL)
    cg->unified_fd = open (cg->unified_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return cg->unified_fd;
}

bool
berth_cgroup_delegate (BerthCgroup *cg, uid_t uid, gid_t gid, GError **error)
{
  if (cg->mode != BERTH_CGROUP_V2 || cg->unified_dir == NULL)
    return true;
  static const char *const files[] = { ".", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" };
  for (size_t i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (cg->unified_dir, files[i], NULL);
      if (chown (path, uid, gid) < 0 && errno != ENOENT)
        return berth_fail_errno (error, errno, "cgroup: delegate %s to %u:%u", path, (unsigned) uid, (unsigned) gid);
    }
  return true;
}

bool
berth_cgroup_enter (BerthCgroup *cg, pid_t pid, GError **error)
{
  g_autofree char *value = g_strdup_printf ("%d", (int) pid);
  for (guint i = 0; i < cg->v1->len; i++)
    {
      BerthCgroupV1Dir *d = cg->v1->pdata[i];
      if (!berth_cgroup_write (d->dir, "cgroup.procs", value, "cgroup", error))
        return g_prefix_error (error, "enter pid %d: ", (int) pid), false;
    }
  if (cg->unified_dir != NULL
      && !berth_cgroup_write (cg->unified_dir, "cgroup.procs", value, "cgroup", error))
    return g_prefix_error (error, "enter pid %d: ", (int) pid), false;
  return true;
}

/* The directory rel below dir (dir itself for NULL); it must exist. */
static char *
sub_dir (const char *dir, const char *rel, GError **error)
{
  if (rel == NULL)
    return g_strdup (dir);
  g_autofree char *path = g_build_filename (dir, rel, NULL);
  struct stat st;
  int err = stat (path, &st) < 0 ? errno : S_ISDIR (st.st_mode) ? 0 : ENOTDIR;
  if (err != 0)
    {
      berth_fail_errno (error, err, "--cgroup: no sub-cgroup %s", path);
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* The relative path for a hierarchy holding these controllers (a comma or
 * space separated list): its controllers' own entry, else the "" one.
 * Matched names are added to used. */
static bool
pick_sub_path (GHashTable *clean, GHashTable *used, const char *controllers, const char **ret, GError **error)
{
  const char *rel = NULL;
  g_auto (GStrv) names = g_strsplit_set (controllers, ", \n", -1);
  for (char **n = names; *n; n++)
    {
      const char *r = **n ? g_hash_table_lookup (clean, *n) : NULL;
      if (r == NULL)
        continue;
      g_hash_table_add (used, g_strdup (*n));
      if (rel != NULL && strcmp (rel, r) != 0)
        return berth_fail (error, "--cgroup: controllers \"%s\" share one hierarchy: give them one path", controllers);
      rel = r;
    }
  *ret = rel ? rel : g_hash_table_lookup (clean, "");
  return true;
}

BerthCgroup *
berth_cgroup_sub (const BerthCgroup *cg, GHashTable *subs, GError **error)
{
  g_autoptr (GHashTable) clean = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, subs);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      g_autofree char *c = clean_cgroups_path (value, "--cgroup", error);
      if (c == NULL)
        return NULL;
      /* Always below the container's cgroup: a leading '/' is not the root. */
      g_hash_table_insert (clean, g_strdup (key), g_strdup (c[0] == '/' ? c + 1 : c));
    }
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (BerthCgroup) out = cgroup_new (cg->mode);
  out->path = g_strdup (cg->path);
  for (guint i = 0; i < cg->v1->len; i++)
    {
      const BerthCgroupV1Dir *d = cg->v1->pdata[i];
      const char *rel = NULL;
      BerthCgroupV1Dir *nd = g_new0 (BerthCgroupV1Dir, 1);
      g_ptr_array_add (out->v1, nd);
      nd->controllers = g_strdup (d->controllers);
      if (!pick_sub_path (clean, used, d->controllers, &rel, error) || (nd->dir = sub_dir (d->dir, rel, error)) == NULL)
        return NULL;
    }
  if (cg->unified_dir != NULL)
    {
      /* Its controllers are those it lists (hybrid: e.g. hugetlb; v2: all). */
      g_autofree char *list = berth_cgroup_read (cg->unified_dir, "cgroup.controllers");
      const char *rel = NULL;
      if (!pick_sub_path (clean, used, list ? list : "", &rel, error)
          || (out->unified_dir = sub_dir (cg->unified_dir, rel, error)) == NULL)
        return NULL;
    }
  g_hash_table_iter_init (&it, clean);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (*(char *) key != '\0' && !g_hash_table_contains (used, key))
      {
        berth_fail_code (error, ENOENT, "--cgroup \"%s:%s\": the container has no \"%s\" cgroup controller",
                         (char *) key, (char *) g_hash_table_lookup (subs, key), (char *) key);
        return NULL;
      }
  return g_steal_pointer (&out);
}

/* ------------------------------------------------------------------ */
/* freeze, pids, kill                                                  */

bool
berth_cgroup_freeze (BerthCgroup *cg, bool frozen, GError **error)
{
  if (cg->mode == BERTH_CGROUP_V2)
    return berth_cgroup_v2_freeze (cg->unified_dir, frozen, error);
  return berth_cgroup_v1_freeze (cg, frozen, error);
}

bool
berth_cgroup_is_frozen (BerthCgroup *cg)
{
  if (cg->mode == BERTH_CGROUP_V2)
    {
      g_autofree char *events = berth_cgroup_read (cg->unified_dir, "cgroup.events");
      return events != NULL && strstr (events, "frozen 1") != NULL;
    }
  const char *dir = berth_cgroup_v1_dir (cg, "freezer");
  g_autofree char *state = dir ? berth_cgroup_read (dir, "freezer.state") : NULL;
  return state != NULL && strcmp (state, "FROZEN") == 0;
}

/* The directory whose cgroup.procs list the container's processes. */
static const char *
procs_dir (const BerthCgroup *cg)
{
  if (cg->mode == BERTH_CGROUP_V2)
    return cg->unified_dir;
  static const char *const prefer[] = { "freezer", "pids", "memory", "cpu", NULL };
  for (const char *const *c = prefer; *c; c++)
    {
      const char *dir = berth_cgroup_v1_dir (cg, *c);
      if (dir != NULL)
        return dir;
    }
  return cg->v1->len > 0 ? ((BerthCgroupV1Dir *) cg->v1->pdata[0])->dir : NULL;
}

static bool
collect_pids (const char *dir, GArray *pids, GError **error)
{
  g_autofree char *text = berth_cgroup_read (dir, "cgroup.procs");
  if (text == NULL)
    {
      if (errno == ENOENT)
        return true;
      return berth_fail_errno (error, errno, "cgroup: read %s/cgroup.procs", dir);
    }
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      int64_t v;
      if (berth_parse_int64 (*l, 1, INT32_MAX, &v))
        {
          pid_t p = (pid_t) v;
          g_array_append_val (pids, p);
        }
    }
  g_autoptr (GPtrArray) subs = sub_cgroups (dir);
  for (guint i = 0; i < subs->len; i++)
    if (!collect_pids (subs->pdata[i], pids, error))
      return false;
  return true;
}

GArray *
berth_cgroup_pids (BerthCgroup *cg, GError **error)
{
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  const char *dir = procs_dir (cg);
  if (dir != NULL && !collect_pids (dir, pids, error))
    return NULL;
  return g_steal_pointer (&pids);
}

bool
berth_cgroup_kill_all (BerthCgroup *cg, int signo, GError **error)
{
  if (cg->mode == BERTH_CGROUP_V2 && signo == SIGKILL && berth_cgroup_file_exists (cg->unified_dir, "cgroup.kill"))
    {
      if (berth_cgroup_write (cg->unified_dir, "cgroup.kill", "1", "cgroup.kill", error))
        return true;
      if (!g_error_matches (*error, BERTH_ERROR, ENOENT))
        return false;
      g_clear_error (error);
      return true;
    }
  bool can_freeze = cg->mode == BERTH_CGROUP_V2 ? berth_cgroup_file_exists (cg->unified_dir, "cgroup.freeze")
                                                : berth_cgroup_v1_dir (cg, "freezer") != NULL;
  bool was_frozen = can_freeze && berth_cgroup_is_frozen (cg);
  if (can_freeze && !was_frozen && !berth_cgroup_freeze (cg, true, NULL))
    can_freeze = false; /* e.g. already gone: signal anyway */
  g_autoptr (GArray) pids = berth_cgroup_pids (cg, error);
  bool ok = pids != NULL;
  for (guint i = 0; ok && i < pids->len; i++)
    if (kill (g_array_index (pids, pid_t, i), signo) < 0 && errno != ESRCH)
      ok = berth_fail_errno (error, errno, "cgroup: kill %d", (int) g_array_index (pids, pid_t, i));
  if (can_freeze && !was_frozen)
    {
      g_autoptr (GError) local = NULL;
      if (!berth_cgroup_freeze (cg, false, &local) && ok)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          ok = false;
        }
    }
  return ok;
}

/* ------------------------------------------------------------------ */
/* destroy                                                             */

/* Wait (bounded) until a v2 cgroup is unpopulated. */
static void
v2_wait_unpopulated (const char *dir, int timeout_ms)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.events", NULL);
  berth_autofd int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  for (;;)
    {
      char buf[512];
      ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
      if (n < 0)
        return;
      buf[n] = '\0';
      if (strstr (buf, "populated 0") != NULL)
        return;
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      if (left <= 0)
        return;
      struct pollfd p = { fd, POLLPRI, 0 };
      if (poll (&p, 1, (int) MIN (left, 50)) < 0 && errno != EINTR)
        return;
    }
}

/* rmdir dir and its sub-cgroups, deepest first, retrying EBUSY until the
 * deadline. ENOENT is success.  The common case, a leaf, is one rmdir: the
 * sub-cgroups are only looked for when it fails (EBUSY). */
static bool
remove_tree (const char *dir, bool v2, gint64 deadline, GError **error)
{
  if (rmdir (dir) == 0 || errno == ENOENT)
    return true;
  {
    g_autoptr (GPtrArray) subs = sub_cgroups (dir);
    for (guint i = 0; i < subs->len; i++)
      if (!remove_tree (subs->pdata[i], v2, deadline, error))
        return false;
  }
  unsigned delay = 1;
  for (;;)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return true;
      if (errno != EBUSY || g_get_monotonic_time () >= deadline)
        return berth_fail_errno (error, errno, "cgroup: rmdir %s", dir);
      if (v2)
        v2_wait_unpopulated (dir, (int) MAX (1, (deadline - g_get_monotonic_time ()) / 1000));
      sleep_ms (delay);
      delay = MIN (delay * 2, 64);
    }
}

bool
berth_cgroup_destroy (BerthCgroup *cg, GError **error)
{
  g_autoptr (GError) kill_error = NULL;
  g_autoptr (GArray) pids = berth_cgroup_pids (cg, NULL);
  if (pids != NULL && pids->len > 0)
    berth_cgroup_kill_all (cg, SIGKILL, &kill_error);
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  bool ok = true;
  for (guint i = 0; i < cg->v1->len; i++)
    {
      BerthCgroupV1Dir *d = cg->v1->pdata[i];
      g_autoptr (GError) local = NULL;
      if (!remove_tree (d->dir, false, deadline, &local) && ok)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          ok = false;
        }
    }
  if (cg->unified_dir != NULL)
    {
      g_autoptr (GError) local = NULL;
      if (!remove_tree (cg->unified_dir, true, deadline, &local) && ok)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          ok = false;
        }
    }
  if (!ok)
    {
      if (kill_error != NULL)
        g_prefix_error (error, "(%s) ", kill_error->message);
      g_prefix_error (error, "destroy cgroup %s: ", cg->path);
    }
  return ok;
}

/* ------------------------------------------------------------------ */
/* serialised form: "mode=hybrid;path=x/y;v1:memory=/sys/...;unified=/sys/..."
 * keys and values URI-escaped (so ';' and '=' never appear inside). */

static char *
esc (const char *s)
{
  return g_uri_escape_string (s, "/:,@", FALSE);
}

char *
berth_cgroup_serialize (const BerthCgroup *cg)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *path = esc (cg->path);
  g_string_append_printf (out, "mode=%s;path=%s", berth_cgroup_mode_name (cg->mode), path);
  for (guint i = 0; i < cg->v1->len; i++)
    {
      const BerthCgroupV1Dir *d = cg->v1->pdata[i];
      g_autofree char *k = esc (d->controllers), *v = esc (d->dir);
      g_string_append_printf (out, ";v1:%s=%s", k, v);
    }
  if (cg->unified_dir != NULL)
    {
      g_autofree char *v = esc (cg->unified_dir);
      g_string_append_printf (out, ";unified=%s", v);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

BerthCgroup *
berth_cgroup_deserialize (const char *text, GError **error)
{
  g_autoptr (BerthCgroup) cg = cgroup_new (BERTH_CGROUP_V1);
  bool have_mode = false;
  g_auto (GStrv) items = g_strsplit (text ? text : "", ";", -1);
  for (char **it = items; *it; it++)
    {
      const char *eq = strchr (*it, '=');
      if (eq == NULL)
        goto bad;
      g_autofree char *key_raw = g_strndup (*it, eq - *it);
      g_autofree char *value = g_uri_unescape_string (eq + 1, NULL);
      if (value == NULL)
        goto bad;
      if (strcmp (key_raw, "mode") == 0)
        {
          have_mode = true;
          if (strcmp (value, "v1") == 0)
            cg->mode = BERTH_CGROUP_V1;
          else if (strcmp (value, "hybrid") == 0)
            cg->mode = BERTH_CGROUP_HYBRID;
          else if (strcmp (value, "v2") == 0)
            cg->mode = BERTH_CGROUP_V2;
          else
            goto bad;
        }
      else if (strcmp (key_raw, "path") == 0)
        g_free (cg->path), cg->path = g_steal_pointer (&value);
      else if (strcmp (key_raw, "unified") == 0)
        g_free (cg->unified_dir), cg->unified_dir = g_steal_pointer (&value);
      else if (g_str_has_prefix (key_raw, "v1:"))
        {
          g_autofree char *ctrl = g_uri_unescape_string (key_raw + 3, NULL);
          if (ctrl == NULL || value[0] != '/')
            goto bad;
          BerthCgroupV1Dir *d = g_new0 (BerthCgroupV1Dir, 1);
          d->controllers = g_steal_pointer (&ctrl);
          d->dir = g_steal_pointer (&value);
          g_ptr_array_add (cg->v1, d);
        }
      else
        goto bad;
    }
  if (!have_mode || cg->path == NULL || (cg->mode == BERTH_CGROUP_V2 && cg->unified_dir == NULL)
      || (cg->unified_dir != NULL && cg->unified_dir[0] != '/'))
    goto bad;
  return g_steal_pointer (&cg);
bad:
  berth_fail (error, "cgroup: malformed saved cgroup \"%s\"", text ? text : "");
  return NULL;
}
