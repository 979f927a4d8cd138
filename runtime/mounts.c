/* spec.mounts[] applied fd-first with the new mount API; see mounts.h. */
#include "mounts.h"
#include "error.h"
#include "fs-safety.h"
#include "lsm.h"
#include "mount-options.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

bool
berth_mount_setattr (int fd, bool recursive, uint64_t attr_set, uint64_t attr_clr, uint64_t propagation,
                     GError **error)
{
  struct mount_attr attr = { .attr_set = attr_set, .attr_clr = attr_clr, .propagation = propagation };
  if (mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return berth_fail_errno (error, errno, "mount_setattr");
  return true;
}

bool
berth_move_mount (int mntfd, int target, const char *what, GError **error)
{
  if (move_mount (mntfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_fail_errno (error, errno, "%s: move_mount", what);
  return true;
}

/* The kernel's fs_context error log, if it has a line for us. */
static char *
fs_context_message (int fsfd)
{
  char buf[256];
  ssize_t n = read (fsfd, buf, sizeof buf - 1);
  if (n <= 2)
    return g_strdup ("");
  buf[n] = '\0';
  g_strchomp (buf);
  return g_strdup_printf (" (%s)", buf + 2); /* skip "e " */
}

int
berth_fs_mount_new (const char *type, const char *source, const char *data, const char *context,
                    unsigned long sb_flags, uint64_t attr, GError **error)
{
  berth_autofd int fsfd = fsopen (type, FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return berth_fail_errno (error, errno, "fsopen %s", type), -1;
  if (fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source != NULL ? source : type, 0) < 0)
    return berth_fail_errno (error, errno, "%s: source %s", type, source), -1;
  static const struct { unsigned long flag; const char *key; } sb_keys[] = {
    { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_LAZYTIME, "lazytime" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (sb_keys); i++)
    if ((sb_flags & sb_keys[i].flag) && fsconfig (fsfd, FSCONFIG_SET_FLAG, sb_keys[i].key, NULL, 0) < 0)
      return berth_fail_errno (error, errno, "%s: option %s", type, sb_keys[i].key), -1;
  if (data != NULL)
    {
      g_auto (GStrv) opts = g_strsplit (data, ",", -1);
      for (char **o = opts; *o != NULL; o++)
        {
          if (**o == '\0')
            continue;
          char *eq = strchr (*o, '=');
          int r;
          if (eq != NULL)
            {
              *eq = '\0';
              r = fsconfig (fsfd, FSCONFIG_SET_STRING, *o, eq + 1, 0);
            }
          else
            r = fsconfig (fsfd, FSCONFIG_SET_FLAG, *o, NULL, 0);
          if (r < 0)
            {
              int saved = errno;
              g_autofree char *msg = fs_context_message (fsfd);
              return berth_fail_errno (error, saved, "%s: option %s%s", type, *o, msg), -1;
            }
        }
    }
  if (context != NULL && fsconfig (fsfd, FSCONFIG_SET_STRING, "context", context, 0) < 0)
    {
      int saved = errno;
      g_autofree char *msg = fs_context_message (fsfd);
      return berth_fail_errno (error, saved, "%s: option context=\"%s\" (linux.mountLabel)%s", type, context, msg), -1;
    }
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      int saved = errno;
      g_autofree char *msg = fs_context_message (fsfd);
      return berth_fail_errno (error, saved, "mount %s%s", type, msg), -1;
    }
  int mnt = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) attr);
  if (mnt < 0)
    return berth_fail_errno (error, errno, "fsmount %s", type), -1;
  return mnt;
}

/* The per-mount attributes an option list asks for, as (set, clear). */
static void
top_level_attrs (const BerthMountOptions *o, uint64_t *ret_set, uint64_t *ret_clr)
{
  uint64_t set = berth_mount_flags_to_attr (o->flags);
  uint64_t clr = berth_mount_flags_to_attr (o->clear_flags) & ~(uint64_t) MOUNT_ATTR__ATIME;
  if ((o->flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
      || (o->clear_flags & (MS_NOATIME | MS_STRICTATIME)))
    clr |= MOUNT_ATTR__ATIME; /* set the atime mode (relatime = 0 if none given) */
  *ret_set = set;
  *ret_clr = clr;
}

static pid_t
pidfd_proc_pid (int pidfd)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/fdinfo/%d", pidfd);
  g_autofree char *info = berth_read_file_at (AT_FDCWD, path, 1 << 16, NULL);
  const char *p = info != NULL ? strstr (info, "\nPid:") : NULL;
  int64_t v;
  if (p == NULL)
    return errno = ENOENT, -1;
  p += 5;
  while (*p == ' ' || *p == '\t')
    p++;
  g_autofree char *num = g_strndup (p, strcspn (p, "\n"));
  if (!berth_parse_int64 (num, 1, INT32_MAX, &v))
    return errno = EINVAL, -1;
  return (pid_t) v;
}

/* A user namespace with the idmapped mount's mappings: a short-lived child
 * cloned into a new user namespace, its maps written from here, its
 * /proc/PID/ns/user kept open.  The only fork on the mount path. */
static int
idmap_userns (const BerthMount *m, const BerthSpec *spec, GError **error)
{
  const BerthIdMapping *uids = m->uidMappings, *gids = m->gidMappings;
  size_t n_uids = m->n_uidMappings, n_gids = m->n_gidMappings;
  if (n_uids == 0 && spec->linux_ != NULL)
    uids = spec->linux_->uidMappings, n_uids = spec->linux_->n_uidMappings;
  if (n_gids == 0 && spec->linux_ != NULL)
    gids = spec->linux_->gidMappings, n_gids = spec->linux_->n_gidMappings;
  if (n_uids == 0 || n_gids == 0)
    return berth_fail (error, "idmapped mount without uidMappings/gidMappings"), -1;

  int sync_pipe[2];
  if (pipe2 (sync_pipe, O_CLOEXEC) < 0)
    return berth_fail_errno (error, errno, "pipe2"), -1;
  int pidfd = -1;
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_NEWUSER | CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, NULL);
  if (pid == 0)
    {
      char c;
      close (sync_pipe[1]);
      while (read (sync_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  int saved = errno;
  close (sync_pipe[0]);
  if (pid < 0)
    {
      close (sync_pipe[1]);
      return berth_fail_errno (error, saved, "clone user namespace for idmapped mount"), -1;
    }

  /* Before pivot_root /proc is the host's, whose pid numbers differ from
   * ours when we are in a new pid namespace: the pidfd's fdinfo gives the
   * child's pid as that procfs sees it. */
  int nsfd = -1;
  const char *failed = NULL;
  pid_t proc_pid = pidfd_proc_pid (pidfd);
  close (pidfd);
  if (proc_pid <= 0)
    failed = "fdinfo", saved = errno;
  for (int which = 0; which < 2 && failed == NULL; which++)
    {
      const BerthIdMapping *maps = which == 0 ? uids : gids;
      size_t n = which == 0 ? n_uids : n_gids;
      g_autoptr (GString) s = g_string_new (NULL);
      for (size_t i = 0; i < n; i++)
        g_string_append_printf (s, "%u %u %u\n", maps[i].containerID, maps[i].hostID, maps[i].size);
      g_autofree char *path = g_strdup_printf ("/proc/%d/%s", proc_pid, which == 0 ? "uid_map" : "gid_map");
      if (!berth_write_file_at (AT_FDCWD, path, s->str))
        failed = which == 0 ? "uid_map" : "gid_map", saved = errno;
    }
  if (failed == NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/ns/user", proc_pid);
      nsfd = open (path, O_RDONLY | O_CLOEXEC);
      if (nsfd < 0)
        failed = "ns/user", saved = errno;
    }
  close (sync_pipe[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (failed != NULL)
    return berth_fail_errno (error, saved, "idmapped mount: write %s", failed), -1;
  return nsfd;
}

static bool
path_is (const char *clean_dest, const char *want)
{
  return strcmp (clean_dest, want) == 0;
}

/* "/a//b/../c/" -> "/a/c" (lexical, as the destination is matched by name). */
static char *
clean_destination (const char *dest)
{
  g_autofree char *abs = g_strconcat ("/", dest, NULL);
  return g_canonicalize_filename (abs, "/");
}

static int
open_proc_sys_destination (int rootfd, const char *dest, const char *what, GError **error)
{
  /* CVE-2019-19921 class: no symlink anywhere on the way to /proc or /sys. */
  int fd = berth_openat_in_root (rootfd, dest, O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
  if (fd == -ELOOP)
    return berth_fail_code (error, ELOOP, "%s: destination is a symlink", what), -1;
  if (fd == -ENOENT)
    return berth_create_in_root (rootfd, dest, true, what, error);
  if (fd < 0)
    return berth_fail_errno (error, -fd, "%s: open destination", what), -1;
  struct stat st = { 0 };
  if (fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      bool link = S_ISLNK (st.st_mode);
      close (fd);
      return berth_fail_code (error, link ? ELOOP : ENOTDIR, "%s: destination is %s", what,
                              link ? "a symlink" : "not a directory"), -1;
    }
  return fd;
}

/* The detached mount for a bind: a clone of the host source tree. */
static int
bind_source_tree (const char *source, bool recursive, const char *what, GError **error)
{
  int mnt = open_tree (AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (mnt < 0)
    return berth_fail_errno (error, errno, "%s: bind source %s", what, source), -1;
  return mnt;
}

/* Apply per-mount attributes to a bind clone.  In a user namespace the
 * source's nosuid/nodev/noexec/ro may be locked: mount_setattr only changes
 * what we name, so only an explicit "rw"/"suid"/... can hit EPERM, and then
 * we keep the locked flags as runc does. */
static bool
bind_set_attrs (int mnt, uint64_t set, uint64_t clr, const char *what, GError **error)
{
  if (set == 0 && clr == 0)
    return true;
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr };
  int r = mount_setattr (mnt, "", AT_EMPTY_PATH, &attr, sizeof attr);
  if (r < 0 && errno == EPERM && (clr & ~(uint64_t) MOUNT_ATTR__ATIME) != 0)
    {
      attr.attr_clr = clr & MOUNT_ATTR__ATIME;
      r = mount_setattr (mnt, "", AT_EMPTY_PATH, &attr, sizeof attr);
    }
  if (r < 0)
    return berth_fail_errno (error, errno, "%s: set mount flags", what);
  return true;
}

static bool
has_namespace (const BerthSpec *spec, BerthNamespaceKind kind)
{
  if (spec->linux_ == NULL)
    return false;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].kind == kind)
      return true;
  return false;
}

/* Type "cgroup": a tmpfs with one directory per v1 hierarchy of this process
 * (from /proc/self/cgroup), like runc's cgroup v1 layout.  With a cgroup
 * namespace each hierarchy is a fresh cgroup mount (rooted at the
 * namespace's root); without one, the container's own cgroup directory of the
 * host's /sys/fs/cgroup/<hierarchy> is bound (the host's standard layout is
 * assumed).  Combined hierarchies get per-controller symlinks ("cpu" ->
 * "cpu,cpuacct").  A host with only cgroup2 gets a cgroup2 mount instead.
 * The whole tree is read-only if the mount asks for "ro" (the default spec). */
static int
cgroup_v1_tree (const BerthSpec *spec, const BerthMountOptions *o, uint64_t attr, const char *what, GError **error)
{
  g_autofree char *self = berth_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 20, NULL);
  if (self == NULL)
    return berth_fail_errno (error, errno, "%s: read /proc/self/cgroup", what), -1;
  g_auto (GStrv) lines = g_strsplit (self, "\n", -1);
  bool any_v1 = false;
  for (char **l = lines; *l != NULL && !any_v1; l++)
    any_v1 = **l != '\0' && !g_str_has_prefix (*l, "0::");
  if (!any_v1)
    {
      g_autoptr (GError) local = NULL;
      int mnt = berth_fs_mount_new ("cgroup2", "cgroup2", o->data, NULL, 0, attr, &local);
      if (mnt < 0 && !g_error_matches (local, BERTH_ERROR, EPERM))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return g_prefix_error (error, "%s: ", what), -1;
        }
      if (mnt < 0)
        {
          mnt = bind_source_tree ("/sys/fs/cgroup", true, what, error);
          if (mnt >= 0 && !bind_set_attrs (mnt, attr, 0, what, error))
            {
              close (mnt);
              return -1;
            }
        }
      return mnt;
    }

  bool cgroupns = has_namespace (spec, BERTH_NS_CGROUP);
  berth_autofd int tmpfs = berth_fs_mount_new ("tmpfs", "tmpfs", "mode=755", berth_lsm_mount_label (spec), 0,
                                               attr & ~(uint64_t) MOUNT_ATTR_RDONLY, error);
  if (tmpfs < 0)
    return g_prefix_error (error, "%s: ", what), -1;
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, ":", 3);
      if (g_strv_length (f) != 3 || *f[1] == '\0')
        continue; /* the cgroup2 line of a hybrid host: left out, as runc does */
      const char *dir = g_str_has_prefix (f[1], "name=") ? f[1] + 5 : f[1];
      if (strchr (dir, '/') != NULL || strcmp (dir, "..") == 0 || strcmp (dir, ".") == 0)
        continue;
      if (mkdirat (tmpfs, dir, 0755) < 0)
        return berth_fail_errno (error, errno, "%s: mkdir %s", what, dir), -1;
      berth_autofd int target = openat (tmpfs, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (target < 0)
        return berth_fail_errno (error, errno, "%s: open %s", what, dir), -1;
      berth_autofd int hier = -1;
      if (!cgroupns)
        {
          g_autofree char *host = g_strdup_printf ("/sys/fs/cgroup/%s%s", dir, f[2]);
          hier = open_tree (AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        }
      if (hier < 0)
        {
          g_autofree char *data = NULL;
          if (g_str_has_prefix (f[1], "name="))
            data = g_strdup_printf ("none,%s", f[1]);
          else
            data = g_strdup (f[1]);
          hier = berth_fs_mount_new ("cgroup", "cgroup", data, NULL, 0, attr, error);
          if (hier < 0)
            return g_prefix_error (error, "%s: ", what), -1;
        }
      else if (!bind_set_attrs (hier, attr, 0, what, error))
        return -1;
      if (!berth_move_mount (hier, target, what, error))
        return -1;
      if (strchr (dir, ',') != NULL)
        {
          g_auto (GStrv) ctls = g_strsplit (dir, ",", -1);
          for (char **c = ctls; *c != NULL; c++)
            if (**c != '\0' && symlinkat (dir, tmpfs, *c) < 0 && errno != EEXIST)
              return berth_fail_errno (error, errno, "%s: symlink %s", what, *c), -1;
        }
    }
  if ((attr & MOUNT_ATTR_RDONLY) && !berth_mount_setattr (tmpfs, false, MOUNT_ATTR_RDONLY, 0, 0, error))
    return g_prefix_error (error, "%s: ", what), -1;
  return berth_steal_fd (&tmpfs);
}

/* linux.mountLabel goes, as runc does it, into the "context" option of
 * every fresh filesystem except proc, sysfs, mqueue (its root is labelled
 * after the mount instead) and cgroup2; binds keep their labels. */
static bool
label_as_context_option (const char *type)
{
  static const char *const unlabelled[] = { "proc", "sysfs", "mqueue", "cgroup2" };
  for (size_t i = 0; i < G_N_ELEMENTS (unlabelled); i++)
    if (strcmp (type, unlabelled[i]) == 0)
      return false;
  return true;
}

/* Make the detached mount for mounts[i]; *ret_is_dir says what the
 * destination must be. */
static int
make_detached_mount (const BerthSpec *spec, const BerthMount *m, const BerthMountOptions *o, bool is_bind,
                     const char *what, bool *ret_is_dir, GError **error)
{
  const char *type = m->type;
  uint64_t set, clr;
  top_level_attrs (o, &set, &clr);
  *ret_is_dir = true;

  if (is_bind)
    {
      if (m->source == NULL)
        return berth_fail (error, "%s: bind mount without a source", what), -1;
      berth_autofd int mnt = bind_source_tree (m->source, o->rbind, what, error);
      if (mnt < 0)
        return -1;
      struct stat st;
      if (fstat (mnt, &st) < 0)
        return berth_fail_errno (error, errno, "%s: fstat source", what), -1;
      *ret_is_dir = S_ISDIR (st.st_mode);
      if (o->idmap || o->ridmap || m->n_uidMappings > 0 || m->n_gidMappings > 0)
        {
          berth_autofd int userns = idmap_userns (m, spec, error);
          if (userns < 0)
            return g_prefix_error (error, "%s: ", what), -1;
          struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
          if (mount_setattr (mnt, "", AT_EMPTY_PATH | (o->ridmap || o->rbind ? AT_RECURSIVE : 0), &attr,
                             sizeof attr) < 0)
            return berth_fail_errno (error, errno, "%s: idmap", what), -1;
        }
      if (!bind_set_attrs (mnt, set, clr, what, error))
        return -1;
      return berth_steal_fd (&mnt);
    }

  if (type == NULL)
    return berth_fail (error, "%s: missing type", what), -1;
  if (o->idmap || o->ridmap)
    return berth_fail (error, "%s: idmap is only supported on bind mounts", what), -1;
  if (strcmp (type, "cgroup") == 0)
    return cgroup_v1_tree (spec, o, set, what, error);

  /* tmpcopyup: the tmpfs stays writable until the copy is done. */
  uint64_t attr = o->tmpcopyup ? set & ~(uint64_t) MOUNT_ATTR_RDONLY : set;
  g_autoptr (GError) local = NULL;
  const char *label = berth_lsm_mount_label (spec);
  bool mqueue = strcmp (type, "mqueue") == 0;
  int mnt = berth_fs_mount_new (type, m->source, o->data, label_as_context_option (type) ? label : NULL, o->flags,
                                attr, &local);
  if (mnt >= 0 && mqueue && label != NULL && !berth_lsm_label_mount_root (mnt, label, error))
    {
      close (mnt);
      return g_prefix_error (error, "%s: ", what), -1;
    }
  if (mnt >= 0)
    return mnt;
  /* Without the owning namespace (user namespace but no network namespace,
   * no cgroup namespace, no IPC namespace) the kernel refuses a fresh
   * sysfs/cgroup2/mqueue: bind the host's, as runc does. */
  const char *fallback = strcmp (type, "sysfs") == 0     ? "/sys"
                         : strcmp (type, "cgroup2") == 0 ? "/sys/fs/cgroup"
                         : strcmp (type, "mqueue") == 0  ? "/dev/mqueue"
                                                         : NULL;
  if (fallback != NULL && g_error_matches (local, BERTH_ERROR, EPERM))
    {
      mnt = bind_source_tree (fallback, true, what, error);
      if (mnt >= 0 && !bind_set_attrs (mnt, set, 0, what, error))
        {
          close (mnt);
          return -1;
        }
      return mnt;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return g_prefix_error (error, "%s: ", what), -1;
}

/* "remount": change the flags of what is already mounted at the destination. */
static bool
remount_existing (int rootfd, const char *dest, const BerthMountOptions *o, const char *what, GError **error)
{
  berth_autofd int fd = berth_openat_in_root (rootfd, dest, O_PATH, 0);
  if (fd < 0)
    return berth_fail_errno (error, -fd, "%s: open destination", what);
  uint64_t set, clr;
  top_level_attrs (o, &set, &clr);
  return bind_set_attrs (fd, set, clr, what, error);
}

static bool
copy_up (int destfd, int mnt, const char *what, GError **error)
{
  struct stat st;
  berth_autofd int root = openat (mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0 || fstat (destfd, &st) < 0)
    return berth_fail_errno (error, errno, "%s: tmpcopyup", what);
  if (!berth_copy_tree (destfd, root, error))
    return g_prefix_error (error, "%s: ", what), false;
  if (fchown (root, st.st_uid, st.st_gid) < 0 || fchmod (root, st.st_mode & 07777) < 0)
    return berth_fail_errno (error, errno, "%s: tmpcopyup: set owner/mode", what);
  return true;
}

bool
berth_mount_apply (int rootfd, const BerthSpec *spec, size_t index, BerthMountState *state, GError **error)
{
  const BerthMount *m = &spec->mounts[index];
  if (m->destination == NULL || *m->destination == '\0')
    return berth_fail (error, "mounts[%zu].destination: missing", index);
  g_autofree char *what = g_strdup_printf ("mounts[%zu] (%s)", index, m->destination);
  g_auto (BerthMountOptions) o = { 0 };
  if (!berth_mount_options_parse (m->options, &o, error))
    return g_prefix_error (error, "%s: ", what), false;
  g_autofree char *dest = clean_destination (m->destination);

  if (o.flags & MS_REMOUNT)
    return remount_existing (rootfd, dest, &o, what, error);

  const char *type = m->type != NULL ? m->type : "";
  bool is_bind = o.bind || o.rbind || strcmp (type, "bind") == 0;
  bool is_dir = true;
  berth_autofd int mnt = make_detached_mount (spec, m, &o, is_bind, what, &is_dir, error);
  if (mnt < 0)
    return false;

  berth_autofd int target = -1;
  if (!is_bind && (strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0))
    target = open_proc_sys_destination (rootfd, dest, what, error);
  else
    target = berth_create_in_root (rootfd, dest, is_dir, what, error);
  if (target < 0)
    return false;

  if (o.tmpcopyup && !is_bind && strcmp (type, "tmpfs") == 0)
    {
      if (!copy_up (target, mnt, what, error))
        return false;
      if ((o.flags & MS_RDONLY) && !berth_mount_setattr (mnt, false, MOUNT_ATTR_RDONLY, 0, 0, error))
        return g_prefix_error (error, "%s: ", what), false;
    }

  if (!berth_move_mount (mnt, target, what, error))
    return false;

  if (o.recursive_attrs && !berth_mount_setattr (mnt, true, o.attr_set, o.attr_clr, 0, error))
    return g_prefix_error (error, "%s: recursive options: ", what), false;
  if (o.propagation != 0
      && !berth_mount_setattr (mnt, (o.propagation & MS_REC) != 0, 0, 0, o.propagation & ~(unsigned long) MS_REC,
                               error))
    return g_prefix_error (error, "%s: propagation: ", what), false;

  if (path_is (dest, "/dev"))
    {
      state->dev_mounted = true;
      state->dev_is_bind = is_bind;
      if (state->dev_fd >= 0)
        close (state->dev_fd);
      state->dev_fd = !is_bind && strcmp (type, "tmpfs") == 0 ? berth_steal_fd (&mnt) : -1;
    }
  return true;
}
