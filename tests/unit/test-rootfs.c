/* Real-kernel tests of the rootfs setup (needs root; skipped otherwise).
 * Each case forks a child that unshares a mount and a pid namespace and
 * forks again so the grandchild is pid 1 of the new pid namespace (as the
 * container init is); it builds a busybox rootfs in a temp dir, calls
 * berth_rootfs_prepare/finish with a hand-built spec and checks the result
 * with stat/statfs and /proc/self/mountinfo.  Nothing leaks into the host:
 * every mount lives in the child's mount namespace (made rslave first). */
#include "../../runtime/rootfs.h"
#include "../../runtime/lsm.h"
#include "../../runtime/mounts.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- helpers used inside the grandchild: failing = exit 1 with a message */

#define CHECK(cond, ...)                                                                                               \
  do                                                                                                                   \
    {                                                                                                                  \
      if (!(cond))                                                                                                     \
        {                                                                                                              \
          fprintf (stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                                    \
          fprintf (stderr, __VA_ARGS__);                                                                               \
          fprintf (stderr, " (errno %s)\n", g_strerror (errno));                                                       \
          _exit (1);                                                                                                   \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

static long
fs_type (const char *path)
{
  struct statfs s;
  if (statfs (path, &s) < 0)
    return -1;
  return (long) s.f_type;
}

static bool
is_char_dev (const char *path, unsigned maj, unsigned min)
{
  struct stat st;
  return lstat (path, &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == maj && minor (st.st_rdev) == min;
}

static bool
mountinfo_has (const char *mountpoint)
{
  g_autofree char *info = NULL;
  if (!g_file_get_contents ("/proc/self/mountinfo", &info, NULL, NULL))
    return false;
  g_autofree char *needle = g_strdup_printf (" %s ", mountpoint);
  for (char *l = info; l != NULL && *l != '\0';)
    {
      char *nl = strchr (l, '\n');
      if (nl)
        *nl = '\0';
      /* field 5 is the mountpoint: skip 4 fields */
      char *p = l;
      for (int i = 0; i < 4 && p; i++)
        p = strchr (p + 1, ' ');
      if (p && g_str_has_prefix (p, needle))
        return true;
      l = nl ? nl + 1 : NULL;
    }
  return false;
}

static void
write_file (const char *path, const char *content, mode_t mode)
{
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  g_assert_cmpint (chmod (path, mode), ==, 0);
}

/* ---- the rootfs and the spec */

typedef struct
{
  char *tmp, *rootfs;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    return;
  f->tmp = g_dir_make_tmp ("berth-rootfs-XXXXXX", NULL);
  g_assert_nonnull (f->tmp);
  f->rootfs = g_build_filename (f->tmp, "rootfs", NULL);
  const char *dirs[] = { "bin", "proc", "sys", "dev", "etc", "tmp", "etc/copied", "etc/secret" };
  for (size_t i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *d = g_build_filename (f->rootfs, dirs[i], NULL);
      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
    }
  g_autofree char *bb = NULL;
  gsize len;
  g_assert_true (g_file_get_contents ("/bin/busybox", &bb, &len, NULL));
  g_autofree char *bbpath = g_build_filename (f->rootfs, "bin/busybox", NULL);
  g_assert_true (g_file_set_contents (bbpath, bb, (gssize) len, NULL));
  g_assert_cmpint (chmod (bbpath, 0755), ==, 0);
  g_autofree char *sh = g_build_filename (f->rootfs, "bin/sh", NULL);
  g_assert_cmpint (symlink ("busybox", sh), ==, 0);
  g_autofree char *a = g_build_filename (f->rootfs, "etc/copied/a.txt", NULL);
  write_file (a, "copied content", 0640);
  g_autofree char *s = g_build_filename (f->rootfs, "etc/secret/key", NULL);
  write_file (s, "secret", 0600);
  g_autofree char *hostdir = g_build_filename (f->tmp, "hostdir", NULL);
  g_assert_cmpint (mkdir (hostdir, 0755), ==, 0);
  g_autofree char *marker = g_build_filename (hostdir, "marker", NULL);
  write_file (marker, "marker", 0644);
  g_autofree char *hostfile = g_build_filename (f->tmp, "hostfile", NULL);
  write_file (hostfile, "hostfile", 0644);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->tmp == NULL)
    return;
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->tmp);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (f->tmp);
  g_free (f->rootfs);
}

static BerthMount
mk_mount (const char *type, const char *source, const char *dest, const char *options)
{
  BerthMount m = { .type = g_strdup (type), .source = g_strdup (source), .destination = g_strdup (dest) };
  m.options = options ? g_strsplit (options, "|", -1) : NULL;
  return m;
}

static BerthSpec *
base_spec (Fixture *f)
{
  BerthSpec *spec = g_new0 (BerthSpec, 1);
  spec->root_path = g_strdup (f->rootfs);
  spec->linux_ = g_new0 (BerthLinux, 1);
  spec->linux_->n_namespaces = 2;
  spec->linux_->namespaces = g_new0 (BerthNamespace, 2);
  spec->linux_->namespaces[0].kind = BERTH_NS_MOUNT;
  spec->linux_->namespaces[1].kind = BERTH_NS_PID;
  return spec;
}

static void
add_mount (BerthSpec *spec, BerthMount m)
{
  spec->mounts = g_renew (BerthMount, spec->mounts, spec->n_mounts + 1);
  spec->mounts[spec->n_mounts++] = m;
}

static void
add_standard_mounts (BerthSpec *spec)
{
  add_mount (spec, mk_mount ("proc", "proc", "/proc", NULL));
  add_mount (spec, mk_mount ("tmpfs", "tmpfs", "/dev", "nosuid|strictatime|mode=755|size=65536k"));
  add_mount (spec, mk_mount ("devpts", "devpts", "/dev/pts",
                             "nosuid|noexec|newinstance|ptmxmode=0666|mode=0620|gid=5"));
  add_mount (spec, mk_mount ("tmpfs", "shm", "/dev/shm", "nosuid|noexec|nodev|mode=1777|size=65536k"));
  add_mount (spec, mk_mount ("mqueue", "mqueue", "/dev/mqueue", "nosuid|noexec|nodev"));
  add_mount (spec, mk_mount ("sysfs", "sysfs", "/sys", "nosuid|noexec|nodev|ro"));
}

typedef void (*ChildFn) (Fixture *f, BerthSpec *spec);

/* fork; child: unshare mount+pid ns, fork; grandchild (pid 1): body. */
static void
run_in_namespaces (Fixture *f, BerthSpec *spec, ChildFn body)
{
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNS | CLONE_NEWPID) < 0)
        _exit (3);
      /* belt and braces: nothing we do may propagate to the host */
      if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        _exit (3);
      pid_t inner = fork ();
      if (inner < 0)
        _exit (3);
      if (inner == 0)
        {
          body (f, spec);
          _exit (0);
        }
      int st;
      while (waitpid (inner, &st, 0) < 0 && errno == EINTR)
        ;
      _exit (WIFEXITED (st) ? WEXITSTATUS (st) : 2);
    }
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

/* The same in a new user namespace too (mapping 0-65535 onto itself): the
 * rootless-like paths (mknod refused -> bind of the host node; sysfs refused
 * without a network namespace -> rbind of /sys; locked flags). */
static void
run_in_user_namespace (Fixture *f, BerthSpec *spec, ChildFn body)
{
  int to_parent[2], to_child[2];
  g_assert_cmpint (pipe (to_parent), ==, 0);
  g_assert_cmpint (pipe (to_child), ==, 0);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      char c = 0;
      if (unshare (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) < 0 || write (to_parent[1], &c, 1) != 1
          || read (to_child[0], &c, 1) != 1 || c != 'k')
        _exit (3);
      if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        _exit (3);
      pid_t inner = fork ();
      if (inner < 0)
        _exit (3);
      if (inner == 0)
        {
          body (f, spec);
          _exit (0);
        }
      int st;
      while (waitpid (inner, &st, 0) < 0 && errno == EINTR)
        ;
      _exit (WIFEXITED (st) ? WEXITSTATUS (st) : 2);
    }
  char c;
  g_assert_cmpint (read (to_parent[0], &c, 1), ==, 1);
  const char *maps[] = { "uid_map", "gid_map" };
  for (size_t i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/%s", pid, maps[i]);
      g_assert_true (berth_write_file_at (AT_FDCWD, path, "0 0 65536\n"));
    }
  c = 'k';
  g_assert_cmpint (write (to_child[1], &c, 1), ==, 1);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  close (to_parent[0]), close (to_parent[1]), close (to_child[0]), close (to_child[1]);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

static void
prepare_or_die (BerthSpec *spec)
{
  g_autoptr (GError) error = NULL;
  bool ok = berth_rootfs_prepare (spec, &error);
  CHECK (ok, "prepare: %s", error ? error->message : "?");
}

static void
finish_or_die (BerthSpec *spec, bool no_pivot)
{
  g_autoptr (GError) error = NULL;
  bool ok = berth_rootfs_finish (spec, no_pivot, &error);
  CHECK (ok, "finish: %s", error ? error->message : "?");
}

/* ---- the full setup */

static void
full_body (Fixture *f, BerthSpec *spec)
{
  prepare_or_die (spec);
  finish_or_die (spec, false);

  CHECK (getpid () == 1, "pid 1");
  CHECK (access ("/bin/busybox", X_OK) == 0, "busybox in the new root");
  CHECK (access (f->tmp, F_OK) < 0, "host path %s not visible after pivot", f->tmp);
  CHECK (fs_type ("/proc") == PROC_SUPER_MAGIC, "/proc is procfs");
  CHECK (access ("/proc/1/stat", F_OK) == 0, "our pid namespace's proc");
  CHECK (fs_type ("/dev") == TMPFS_MAGIC, "/dev is tmpfs");
  CHECK (fs_type ("/dev/pts") == DEVPTS_SUPER_MAGIC, "/dev/pts is devpts");
  CHECK (fs_type ("/dev/mqueue") == MQUEUE_MAGIC, "/dev/mqueue");
  CHECK (fs_type ("/sys") == SYSFS_MAGIC, "/sys is sysfs");
  CHECK (mkdir ("/sys/berth-test", 0755) < 0 && errno == EROFS, "/sys is read-only");
  const char *devs[][3] = { { "/dev/null", "1", "3" }, { "/dev/zero", "1", "5" }, { "/dev/full", "1", "7" },
                            { "/dev/random", "1", "8" }, { "/dev/urandom", "1", "9" }, { "/dev/tty", "5", "0" } };
  for (size_t i = 0; i < G_N_ELEMENTS (devs); i++)
    {
      struct stat st;
      CHECK (is_char_dev (devs[i][0], (unsigned) atoi (devs[i][1]), (unsigned) atoi (devs[i][2])), "%s", devs[i][0]);
      CHECK (lstat (devs[i][0], &st) == 0 && (st.st_mode & 07777) == 0666, "%s mode 0666", devs[i][0]);
    }
  CHECK (is_char_dev ("/dev/fuse", 10, 229), "linux.devices /dev/fuse");
  struct stat st;
  CHECK (lstat ("/dev/fuse", &st) == 0 && st.st_uid == 1234 && st.st_gid == 4321 && (st.st_mode & 07777) == 0600,
         "/dev/fuse owner and mode");
  CHECK (is_char_dev ("/dev/net/tun", 10, 200), "linux.devices /dev/net/tun (nested)");
  char link[64] = { 0 };
  CHECK (readlink ("/dev/ptmx", link, sizeof link - 1) > 0 && strcmp (link, "pts/ptmx") == 0, "/dev/ptmx link");
  memset (link, 0, sizeof link);
  CHECK (readlink ("/dev/fd", link, sizeof link - 1) > 0 && strcmp (link, "/proc/self/fd") == 0, "/dev/fd link");
  memset (link, 0, sizeof link);
  CHECK (readlink ("/dev/stderr", link, sizeof link - 1) > 0 && strcmp (link, "/proc/self/fd/2") == 0, "stderr");

  /* bind mounts: a read-only directory and a file */
  CHECK (access ("/mnt/data/marker", F_OK) == 0, "bind dir content");
  CHECK (open ("/mnt/data/new", O_CREAT | O_WRONLY, 0644) < 0 && errno == EROFS, "ro bind");
  struct statvfs sv;
  CHECK (statvfs ("/mnt/data", &sv) == 0 && (sv.f_flag & ST_NOEXEC) && (sv.f_flag & ST_RDONLY), "rnoexec applied");
  g_autofree char *hf = NULL;
  CHECK (g_file_get_contents ("/etc/hostfile", &hf, NULL, NULL) && strcmp (hf, "hostfile") == 0, "file bind");
  CHECK (mountinfo_has ("/etc/hostfile") && mountinfo_has ("/mnt/data"), "binds in mountinfo");

  /* cgroup (v1 hybrid host, no cgroup namespace): the container's own cgroup of each hierarchy, read-only */
  CHECK (fs_type ("/sys/fs/cgroup") == TMPFS_MAGIC, "/sys/fs/cgroup is a tmpfs");
  CHECK (fs_type ("/sys/fs/cgroup/memory") == CGROUP_SUPER_MAGIC, "memory hierarchy");
  CHECK (access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0, "memory files");
  CHECK (mkdir ("/sys/fs/cgroup/memory/berth-x", 0755) < 0 && errno == EROFS, "cgroup read-only");
  CHECK (mkdir ("/sys/fs/cgroup/berth-x", 0755) < 0 && errno == EROFS, "cgroup tmpfs read-only");

  /* tmpcopyup */
  g_autofree char *copied = NULL;
  CHECK (fs_type ("/etc/copied") == TMPFS_MAGIC, "tmpcopyup is a tmpfs");
  CHECK (g_file_get_contents ("/etc/copied/a.txt", &copied, NULL, NULL) && strcmp (copied, "copied content") == 0,
         "tmpcopyup content");
  CHECK (stat ("/etc/copied/a.txt", &st) == 0 && (st.st_mode & 07777) == 0640, "tmpcopyup mode");

  /* maskedPaths */
  CHECK (is_char_dev ("/proc/timer_list", 1, 3), "masked file is /dev/null");
  g_autofree char *kcore = NULL;
  gsize kl = 99;
  CHECK (g_file_get_contents ("/proc/timer_list", &kcore, &kl, NULL) && kl == 0, "masked file reads empty");
  CHECK (fs_type ("/etc/secret") == TMPFS_MAGIC && access ("/etc/secret/key", F_OK) < 0, "masked dir hidden");
  CHECK (mkdir ("/etc/secret/x", 0755) < 0 && errno == EROFS, "masked dir read-only");
  CHECK (fs_type ("/etc/secret2") == TMPFS_MAGIC, "second masked dir (cloned tmpfs)");

  /* readonlyPaths */
  int fd = open ("/proc/sys/kernel/hostname", O_WRONLY);
  CHECK (fd < 0 && errno == EROFS, "/proc/sys read-only");
  CHECK (access ("/proc/sys/kernel/hostname", R_OK) == 0, "/proc/sys still readable");

  /* root.readonly, with writable tmpfs mounts beneath */
  CHECK (open ("/newfile", O_CREAT | O_WRONLY, 0644) < 0 && errno == EROFS, "root read-only");
  fd = open ("/dev/shm/x", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  CHECK (fd >= 0, "/dev/shm writable");
  close (fd);

  /* the console bind: a pty of the container's devpts onto /dev/console */
  int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK (master >= 0, "open /dev/ptmx");
  int unlock = 0;
  CHECK (ioctl (master, TIOCSPTLCK, &unlock) == 0, "unlockpt");
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK (slave >= 0, "TIOCGPTPEER");
  g_autoptr (GError) error = NULL;
  bool ok = berth_rootfs_bind_console (slave, &error);
  CHECK (ok, "bind console: %s", error ? error->message : "?");
  struct stat s1, s2;
  CHECK (fstat (slave, &s1) == 0 && stat ("/dev/console", &s2) == 0 && s1.st_rdev == s2.st_rdev
             && S_ISCHR (s2.st_mode),
         "/dev/console is the pty");
  char cwd[16];
  CHECK (getcwd (cwd, sizeof cwd) != NULL && strcmp (cwd, "/") == 0, "cwd /");
}

static void
test_full (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autoptr (BerthSpec) spec = base_spec (f);
  add_standard_mounts (spec);
  g_autofree char *hostdir = g_build_filename (f->tmp, "hostdir", NULL);
  g_autofree char *hostfile = g_build_filename (f->tmp, "hostfile", NULL);
  add_mount (spec, mk_mount ("bind", hostdir, "/mnt/data", "rbind|ro|rnoexec|rprivate"));
  add_mount (spec, mk_mount ("none", hostfile, "/etc/hostfile", "bind"));
  add_mount (spec, mk_mount ("tmpfs", "tmpfs", "/etc/copied", "tmpcopyup|mode=755"));
  add_mount (spec, mk_mount ("cgroup", "cgroup", "/sys/fs/cgroup", "nosuid|noexec|nodev|relatime|ro"));
  spec->linux_->maskedPaths = g_strsplit ("/proc/timer_list|/etc/secret|/etc/secret2|/does/not/exist", "|", -1);
  spec->linux_->readonlyPaths = g_strsplit ("/proc/sys|/not/there", "|", -1);
  spec->root_readonly = true;
  g_autofree char *secret2 = g_build_filename (f->rootfs, "etc/secret2", NULL);
  g_assert_cmpint (mkdir (secret2, 0755), ==, 0);
  spec->linux_->n_devices = 2;
  spec->linux_->devices = g_new0 (BerthDevice, 2);
  spec->linux_->devices[0] = (BerthDevice) { .path = g_strdup ("/dev/fuse"), .type = g_strdup ("c"), .major = 10, .minor = 229,
                                             .has_fileMode = true, .fileMode = 0600, .has_uid = true, .uid = 1234,
                                             .has_gid = true, .gid = 4321 };
  spec->linux_->devices[1] = (BerthDevice) { .path = g_strdup ("/dev/net/tun"), .type = g_strdup ("c"), .major = 10, .minor = 200 };
  run_in_namespaces (f, spec, full_body);
}

static void
userns_body (Fixture *f, BerthSpec *spec)
{
  prepare_or_die (spec);
  finish_or_die (spec, false);
  CHECK (is_char_dev ("/dev/null", 1, 3) && is_char_dev ("/dev/tty", 5, 0), "devices bound from the host");
  CHECK (mountinfo_has ("/dev/null"), "/dev/null is a bind mount (mknod is refused in a user namespace)");
  int fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  CHECK (fd >= 0 && write (fd, "x", 1) == 1, "/dev/null usable");
  close (fd);
  CHECK (fs_type ("/sys") == SYSFS_MAGIC, "/sys (rbind fallback)");
  CHECK (access ("/mnt/data/marker", F_OK) == 0, "bind dir content");
  CHECK (open ("/mnt/data/new", O_CREAT | O_WRONLY, 0644) < 0 && errno == EROFS, "ro bind");
  CHECK (is_char_dev ("/proc/timer_list", 1, 3), "masked file");
  CHECK (open ("/newfile", O_CREAT | O_WRONLY, 0644) < 0 && errno == EROFS, "root read-only");
}

static void
test_userns (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autoptr (BerthSpec) spec = base_spec (f);
  add_standard_mounts (spec);
  g_autofree char *hostdir = g_build_filename (f->tmp, "hostdir", NULL);
  add_mount (spec, mk_mount ("bind", hostdir, "/mnt/data", "rbind|ro|nosuid"));
  spec->linux_->maskedPaths = g_strsplit ("/proc/timer_list|/etc/secret", "|", -1);
  spec->linux_->readonlyPaths = g_strsplit ("/proc/sys", "|", -1);
  spec->root_readonly = true;
  spec->linux_->n_namespaces = 3;
  spec->linux_->namespaces = g_renew (BerthNamespace, spec->linux_->namespaces, 3);
  spec->linux_->namespaces[2] = (BerthNamespace) { .kind = BERTH_NS_USER };
  run_in_user_namespace (f, spec, userns_body);
}

/* ---- no_pivot */

static void
no_pivot_body (Fixture *f, BerthSpec *spec)
{
  prepare_or_die (spec);
  finish_or_die (spec, true);
  CHECK (access ("/bin/busybox", X_OK) == 0, "busybox in the new root");
  CHECK (access (f->tmp, F_OK) < 0, "host path not visible");
  CHECK (fs_type ("/proc") == PROC_SUPER_MAGIC, "/proc");
}

static void
test_no_pivot (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autoptr (BerthSpec) spec = base_spec (f);
  add_mount (spec, mk_mount ("proc", "proc", "/proc", NULL));
  run_in_namespaces (f, spec, no_pivot_body);
}

/* ---- linux.rootfsPropagation: every value gets through pivot_root */

static void
propagation_body (Fixture *f, BerthSpec *spec)
{
  prepare_or_die (spec);
  finish_or_die (spec, false);
  g_autofree char *info = NULL;
  CHECK (g_file_get_contents ("/proc/self/mountinfo", &info, NULL, NULL), "mountinfo");
  const char *v = spec->linux_->rootfsPropagation;
  /* the line whose mount point (5th field) is "/"; its optional fields */
  char *root_line = NULL;
  g_auto (GStrv) lines = g_strsplit (info, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) fld = g_strsplit (*l, " ", 6);
      if (g_strv_length (fld) == 6 && strcmp (fld[4], "/") == 0)
        root_line = *l;
    }
  CHECK (root_line != NULL, "root in mountinfo");
  char *end = strstr (root_line, " - ");
  CHECK (end != NULL, "mountinfo format");
  *end = '\0';
  if (strstr (v, "shared"))
    CHECK (strstr (root_line, "shared:") != NULL, "%s: / is shared: %s", v, root_line);
  if (strstr (v, "unbindable"))
    CHECK (strstr (root_line, "unbindable") != NULL, "%s: / is unbindable: %s", v, root_line);
  if (strstr (v, "private"))
    CHECK (strstr (root_line, "shared:") == NULL && strstr (root_line, "master:") == NULL, "%s: %s", v, root_line);
}

static void
test_propagation (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  const char *values[] = { "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable" };
  for (size_t i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_test_message ("rootfsPropagation %s", values[i]);
      g_autoptr (BerthSpec) spec = base_spec (f);
      spec->linux_->rootfsPropagation = g_strdup (values[i]);
      add_mount (spec, mk_mount ("proc", "proc", "/proc", NULL));
      run_in_namespaces (f, spec, propagation_body);
    }
  g_autoptr (BerthSpec) spec = base_spec (f);
  spec->linux_->rootfsPropagation = g_strdup ("bogus");
  g_autoptr (GError) error = NULL;
  g_assert_false (berth_rootfs_prepare (spec, &error));
  g_assert_error (error, BERTH_ERROR, EINVAL);
}

/* ---- attacks */

/* CVE-2021-30465 / CVE-2024-45310 class: the destination is a symlink that
 * points (through many ../) at a host directory.  The mount and any
 * directory created for it must land inside the rootfs. */
static void
symlink_escape_body (Fixture *f, BerthSpec *spec)
{
  g_autofree char *host_target = g_build_filename (f->tmp, "host-target", NULL);
  g_autofree char *inside = g_build_filename (f->rootfs, host_target, NULL);
  long before = fs_type (host_target);
  prepare_or_die (spec);
  CHECK (fs_type (host_target) == before && before != TMPFS_MAGIC, "host dir %s untouched", host_target);
  CHECK (fs_type (inside) == TMPFS_MAGIC, "mount landed inside the rootfs at %s", inside);
  g_autofree char *host_new = g_build_filename (f->tmp, "host-new", NULL);
  CHECK (access (host_new, F_OK) < 0, "no directory created on the host");
  g_autofree char *inside_new = g_build_filename (f->rootfs, host_new, "sub", NULL);
  CHECK (fs_type (inside_new) == TMPFS_MAGIC, "missing dirs created inside the rootfs");
}

static void
test_symlink_escape (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autofree char *host_target = g_build_filename (f->tmp, "host-target", NULL);
  g_assert_cmpint (mkdir (host_target, 0755), ==, 0);
  g_autofree char *evil = g_build_filename (f->rootfs, "evil", NULL);
  g_autofree char *evil_target = g_strconcat ("../../../../../../../..", host_target, NULL);
  g_assert_cmpint (symlink (evil_target, evil), ==, 0);
  g_autofree char *evil2 = g_build_filename (f->rootfs, "evil2", NULL);
  g_autofree char *host_new = g_build_filename (f->tmp, "host-new", NULL);
  g_assert_cmpint (symlink (host_new, evil2), ==, 0); /* absolute, dangling on the host */
  g_autoptr (BerthSpec) spec = base_spec (f);
  add_mount (spec, mk_mount ("tmpfs", "tmpfs", "/evil", NULL));
  add_mount (spec, mk_mount ("tmpfs", "tmpfs", "/evil2/sub", NULL));
  run_in_namespaces (f, spec, symlink_escape_body);
  g_assert_false (g_file_test (host_new, G_FILE_TEST_EXISTS));
}

/* CVE-2019-19921 class: /proc (or /sys) is a symlink in the image. */
static void
proc_symlink_body (Fixture *f, BerthSpec *spec)
{
  g_autoptr (GError) error = NULL;
  bool ok = berth_rootfs_prepare (spec, &error);
  CHECK (!ok, "prepare must refuse a symlinked %s", spec->mounts[0].destination);
  CHECK (g_error_matches (error, BERTH_ERROR, ELOOP) && strstr (error->message, "symlink") != NULL, "error: %s",
         error->message);
  CHECK (fs_type ("/tmp") != PROC_SUPER_MAGIC && fs_type ("/tmp") != SYSFS_MAGIC, "nothing mounted on the host /tmp");
}

static void
test_proc_symlink (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  const char *kinds[][2] = { { "proc", "proc" }, { "sysfs", "sys" } };
  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *dir = g_build_filename (f->rootfs, kinds[i][1], NULL);
      g_assert_cmpint (rmdir (dir), ==, 0);
      g_assert_cmpint (symlink ("/tmp", dir), ==, 0);
      g_autoptr (BerthSpec) spec = base_spec (f);
      g_autofree char *dest = g_strconcat ("/", kinds[i][1], NULL);
      add_mount (spec, mk_mount (kinds[i][0], kinds[i][0], dest, NULL));
      run_in_namespaces (f, spec, proc_symlink_body);
    }
}

/* CVE-2026-41579 class: the image's /dev/null is a symlink to a host file;
 * /dev is not a tmpfs so devices are created in the image's /dev. */
static void
dev_symlink_body (Fixture *f, BerthSpec *spec)
{
  prepare_or_die (spec);
  g_autofree char *victim = g_build_filename (f->tmp, "victim", NULL);
  struct stat st;
  CHECK (lstat (victim, &st) == 0 && S_ISREG (st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_uid == 0,
         "host victim untouched");
  g_autofree char *devnull = g_build_filename (f->rootfs, "dev/null", NULL);
  CHECK (is_char_dev (devnull, 1, 3), "the image's /dev/null replaced by the real device");
  finish_or_die (spec, false);
  CHECK (is_char_dev ("/dev/null", 1, 3), "/dev/null inside");
}

static void
test_dev_symlink (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autofree char *victim = g_build_filename (f->tmp, "victim", NULL);
  write_file (victim, "victim", 0600);
  g_autofree char *devnull = g_build_filename (f->rootfs, "dev/null", NULL);
  g_assert_cmpint (symlink (victim, devnull), ==, 0);
  g_autoptr (BerthSpec) spec = base_spec (f);
  add_mount (spec, mk_mount ("proc", "proc", "/proc", NULL));
  spec->linux_->maskedPaths = g_strsplit ("/proc/timer_list", "|", -1);
  run_in_namespaces (f, spec, dev_symlink_body);
  struct stat st;
  g_assert_cmpint (lstat (victim, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
}

/* An idmapped bind mount: on-disk uid 0 shows as 1000 through it. */
static void
idmap_body (Fixture *f, BerthSpec *spec)
{
  prepare_or_die (spec);
  finish_or_die (spec, false);
  struct stat st;
  CHECK (stat ("/mnt/idmapped/marker", &st) == 0 && st.st_uid == 1000 && st.st_gid == 2000, "idmapped owner %u:%u",
         st.st_uid, st.st_gid);
}

static void
test_idmap (Fixture *f, gconstpointer data)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autoptr (BerthSpec) spec = base_spec (f);
  g_autofree char *hostdir = g_build_filename (f->tmp, "hostdir", NULL);
  BerthMount m = mk_mount ("bind", hostdir, "/mnt/idmapped", "rbind|idmap");
  m.n_uidMappings = m.n_gidMappings = 1;
  m.uidMappings = g_new0 (BerthIdMapping, 1);
  m.gidMappings = g_new0 (BerthIdMapping, 1);
  m.uidMappings[0] = (BerthIdMapping) { .containerID = 0, .hostID = 1000, .size = 1 };
  m.gidMappings[0] = (BerthIdMapping) { .containerID = 0, .hostID = 2000, .size = 1 };
  add_mount (spec, m);
  run_in_namespaces (f, spec, idmap_body);
}

/* linux.mountLabel: used only with SELinux enabled (runc's FormatMountLabel),
 * and then handed to the kernel whole as the "context" option of a fresh
 * filesystem: an MLS label has commas, which must not split it into options. */
static void
test_mount_label (void)
{
  g_autoptr (BerthSpec) spec = g_new0 (BerthSpec, 1);
  spec->linux_ = g_new0 (BerthLinux, 1);
  g_assert_null (berth_lsm_mount_label (spec));
  spec->linux_->mountLabel = g_strdup ("");
  g_assert_null (berth_lsm_mount_label (spec));
  g_free (spec->linux_->mountLabel);
  spec->linux_->mountLabel = g_strdup ("system_u:object_r:container_file_t:s0:c1,c2");
  const char *label = berth_lsm_mount_label (spec);
  if (berth_selinux_enabled ())
    g_assert_cmpstr (label, ==, spec->linux_->mountLabel);
  else
    g_assert_null (label);    /* this host: ignored, as runc */

  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autoptr (GError) error = NULL;
  int plain = berth_fs_mount_new ("tmpfs", "tmpfs", "size=1m,mode=700", NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (plain, >=, 0);
  close (plain);
  int labelled = berth_fs_mount_new ("tmpfs", "tmpfs", "size=1m", spec->linux_->mountLabel, 0, 0, &error);
  if (berth_selinux_enabled ())
    {
      g_assert_no_error (error);
      close (labelled);
      return;
    }
  /* Without SELinux the kernel refuses the option: proof it got there, whole. */
  g_assert_cmpint (labelled, ==, -1);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message,
                            "tmpfs: option context=\"system_u:object_r:container_file_t:s0:c1,c2\" (linux.mountLabel)"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/rootfs/full", Fixture, NULL, fixture_setup, test_full, fixture_teardown);
  g_test_add ("/rootfs/propagation", Fixture, NULL, fixture_setup, test_propagation, fixture_teardown);
  g_test_add ("/rootfs/userns", Fixture, NULL, fixture_setup, test_userns, fixture_teardown);
  g_test_add ("/rootfs/no-pivot", Fixture, NULL, fixture_setup, test_no_pivot, fixture_teardown);
  g_test_add ("/rootfs/attack/symlink-escape", Fixture, NULL, fixture_setup, test_symlink_escape, fixture_teardown);
  g_test_add ("/rootfs/attack/proc-sys-symlink", Fixture, NULL, fixture_setup, test_proc_symlink, fixture_teardown);
  g_test_add ("/rootfs/attack/dev-null-symlink", Fixture, NULL, fixture_setup, test_dev_symlink, fixture_teardown);
  g_test_add ("/rootfs/idmap", Fixture, NULL, fixture_setup, test_idmap, fixture_teardown);
  g_test_add_func ("/rootfs/mount-label", test_mount_label);
  return g_test_run ();
}
