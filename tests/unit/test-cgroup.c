/* shared/cgroup: real cgroups, as root, always beneath this process's own
 * cgroup (relative cgroupsPath with a random suffix).  Works on v1, hybrid
 * and v2 hosts (run it in shared/v2vm for v2). */
#include "cgroup-internal.h"
#include "cgroup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool
need_root (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return false;
    }
  return true;
}

/* "" (relative paths below our own cgroup), or on a v2 host where we are
 * not in the root cgroup an absolute "<own>/" (see main). */
static char *path_prefix;
static bool no_controllers;

static bool
need_controllers (void)
{
  if (no_controllers)
    {
      g_test_skip ("cgroup v2: our own cgroup holds other processes, so no controller can be enabled below it");
      return false;
    }
  return true;
}

static char *
random_name (const char *prefix)
{
  return g_strdup_printf ("%s%s-%d-%08x", path_prefix ? path_prefix : "", prefix, (int) getpid (), g_random_int ());
}

static bool
is_v2 (void)
{
  return berth_cgroup_mode () == BERTH_CGROUP_V2;
}

/* Read a resource file: v1 controller dir or v2 dir. */
static char *
read_res (BerthCgroup *cg, const char *controller, const char *v1file, const char *v2file)
{
  const char *dir = is_v2 () ? berth_cgroup_dir (cg, NULL) : berth_cgroup_dir (cg, controller);
  g_assert_nonnull (dir);
  char *v = berth_cgroup_read (dir, is_v2 () ? v2file : v1file);
  g_assert_nonnull (v);
  return v;
}

/* Every directory the cgroup has, from its serialised form. */
static GPtrArray *
all_dirs (BerthCgroup *cg)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < cg->v1->len; i++)
    g_ptr_array_add (dirs, g_strdup (((BerthCgroupV1Dir *) cg->v1->pdata[i])->dir));
  if (cg->unified_dir)
    g_ptr_array_add (dirs, g_strdup (cg->unified_dir));
  return dirs;
}

static void
assert_gone (GPtrArray *dirs)
{
  for (guint i = 0; i < dirs->len; i++)
    {
      struct stat st;
      g_assert_cmpint (stat (dirs->pdata[i], &st), ==, -1);
      g_assert_cmpint (errno, ==, ENOENT);
    }
}

/* A child blocked on a pipe until we close the write end (or it is killed). */
typedef struct { pid_t pid; int go_fd; } Child;

static Child
spawn_waiting_child (void (*after_go) (void))
{
  int p[2];
  g_assert_no_errno (pipe2 (p, O_CLOEXEC));
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* keep only our read end: siblings' write ends must not stay open */
      dup2 (p[0], 0);
      berth_close_fds_from (3);
      char c;
      while (read (0, &c, 1) < 0 && errno == EINTR)
        ;
      if (after_go)
        after_go ();
      _exit (0);
    }
  close (p[0]);
  return (Child) { pid, p[1] };
}

static int
wait_status (pid_t pid)
{
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  return status;
}

/* ------------------------------------------------------------------ */

static void
test_mode (void)
{
  g_autofree char *mi = berth_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 1 << 20, NULL);
  g_assert_nonnull (mi);
  bool root_v2 = strstr (mi, " /sys/fs/cgroup rw") && strstr (mi, "- cgroup2 ") && !strstr (mi, "- cgroup cgroup");
  bool unified = strstr (mi, " /sys/fs/cgroup/unified ") != NULL;
  BerthCgroupMode expect = root_v2 ? BERTH_CGROUP_V2 : unified ? BERTH_CGROUP_HYBRID : BERTH_CGROUP_V1;
  g_assert_cmpint (berth_cgroup_mode (), ==, expect);
  g_assert_cmpint (berth_cgroup_mode (), ==, expect); /* cached */
}

static void
test_resolve (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_resolve ("a/./b//c", "id", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (berth_cgroup_get_path (cg), ==, "a/b/c");
  /* relative: below our own cgroup in each hierarchy */
  g_autofree char *self = berth_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 16, NULL);
  g_auto (GStrv) lines = g_strsplit (self, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, ":", 3);
      if (g_strv_length (f) != 3)
        continue;
      const char *dir = NULL;
      g_autofree char *expect = NULL;
      if (f[1][0] == '\0')
        {
          dir = berth_cgroup_dir (cg, NULL);
          if (berth_cgroup_mode () == BERTH_CGROUP_V1)
            continue;
          expect = g_build_filename (is_v2 () ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified", f[2], "a/b/c", NULL);
        }
      else if (!is_v2 () && strcmp (f[1], "memory") == 0)
        {
          dir = berth_cgroup_dir (cg, "memory");
          expect = g_build_filename ("/sys/fs/cgroup/memory", f[2], "a/b/c", NULL);
        }
      else
        continue;
      g_assert_cmpstr (dir, ==, expect);
    }
  /* empty path: the id, relative */
  g_autoptr (BerthCgroup) byid = berth_cgroup_resolve ("", "myid", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (berth_cgroup_get_path (byid), ==, "myid");
  /* absolute: below each hierarchy's root */
  g_autoptr (BerthCgroup) abs = berth_cgroup_resolve ("/x/y", "id", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (berth_cgroup_dir (abs, NULL), ==,
                   is_v2 () ? "/sys/fs/cgroup/x/y" : berth_cgroup_mode () == BERTH_CGROUP_HYBRID ? "/sys/fs/cgroup/unified/x/y" : NULL);
  if (!is_v2 ())
    g_assert_cmpstr (berth_cgroup_dir (abs, "pids"), ==, "/sys/fs/cgroup/pids/x/y");
  /* odd characters survive the serialised form */
  g_autoptr (BerthCgroup) odd = berth_cgroup_resolve ("we;ird=na%me", "id", &error);
  g_assert_no_error (error);
  g_autofree char *text = berth_cgroup_serialize (odd);
  g_assert_null (strstr (text, "we;ird"));
  g_autoptr (BerthCgroup) odd2 = berth_cgroup_deserialize (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (berth_cgroup_get_path (odd2), ==, "we;ird=na%me");
  g_assert_cmpint (berth_cgroup_get_mode (odd2), ==, berth_cgroup_mode ());
  g_assert_cmpstr (berth_cgroup_dir (odd2, NULL), ==, berth_cgroup_dir (odd, NULL));
  if (!is_v2 ())
    g_assert_cmpstr (berth_cgroup_dir (odd2, "memory"), ==, berth_cgroup_dir (odd, "memory"));
  /* ".." refused */
  g_assert_null (berth_cgroup_resolve ("a/../../etc", "id", &error));
  g_assert_error (error, BERTH_ERROR, EINVAL);
  g_assert_nonnull (strstr (error->message, ".linux.cgroupsPath"));
  g_clear_error (&error);
  g_assert_null (berth_cgroup_resolve ("/", "id", &error));
  g_assert_error (error, BERTH_ERROR, EINVAL);
}

static void
test_conversions (void)
{
  g_assert_cmpuint (berth_cgroup_cpu_shares_to_weight (0), ==, 0);
  g_assert_cmpuint (berth_cgroup_cpu_shares_to_weight (2), ==, 1);
  g_assert_cmpuint (berth_cgroup_cpu_shares_to_weight (1024), ==, 39);
  g_assert_cmpuint (berth_cgroup_cpu_shares_to_weight (262144), ==, 10000);
  g_assert_cmpuint (berth_cgroup_blkio_weight_to_io_weight (10), ==, 1);
  g_assert_cmpuint (berth_cgroup_blkio_weight_to_io_weight (500), ==, 4950);
  g_assert_cmpuint (berth_cgroup_blkio_weight_to_io_weight (1000), ==, 10000);
  int64_t v;
  g_autoptr (GError) error = NULL;
  g_assert_true (berth_cgroup_swap_to_v2 (0, -1, &v, &error) && v == -1);
  g_assert_true (berth_cgroup_swap_to_v2 (-1, 100, &v, &error) && v == -1);
  g_assert_true (berth_cgroup_swap_to_v2 (300, 100, &v, &error) && v == 200);
  g_assert_true (berth_cgroup_swap_to_v2 (100, 100, &v, &error) && v == 0);
  g_assert_false (berth_cgroup_swap_to_v2 (50, 100, &v, &error));
  g_assert_nonnull (strstr (error->message, ".linux.resources.memory.swap"));
  g_clear_error (&error);
  g_assert_false (berth_cgroup_swap_to_v2 (50, 0, &v, &error));
  g_auto (GStrv) sizes = berth_cgroup_hugepage_sizes ();
  if (access ("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0)
    g_assert_true (g_strv_contains ((const char *const *) sizes, "2MB"));
}

static void
test_create_resources (void)
{
  if (!need_root () || !need_controllers ())
    return;
  g_autofree char *name = random_name ("berth-test-res");
  bool swap_accounting = is_v2 () ? true
                                   : access ("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
  BerthMemory mem = { .has_limit = true, .limit = 64 << 20, .has_swap = swap_accounting, .swap = 128 << 20,
                      .has_disableOOMKiller = true, .disableOOMKiller = true };
  BerthCpu cpu = { .has_shares = true, .shares = 512, .has_quota = true, .quota = 50000,
                   .has_period = true, .period = 100000, .cpus = (char *) "0", .mems = (char *) "0" };
  BerthDeviceCgroupRule rules[] = {
    { .allow = false, .access = (char *) "rwm" },
    { .allow = true, .type = (char *) "c", .has_major = true, .major = 1, .has_minor = true, .minor = 11,
      .access = (char *) "r" },
  };
  g_autoptr (GHashTable) unified = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (unified, (char *) "cgroup.max.descendants", (char *) "7");
  BerthResources r = { .memory = &mem, .cpu = &cpu, .has_pids_limit = true, .pids_limit = 20,
                       .devices = rules, .n_devices = G_N_ELEMENTS (rules),
                       .unified = berth_cgroup_mode () == BERTH_CGROUP_V1 ? NULL : unified };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", &r, false, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) dirs = all_dirs (cg);

  g_autofree char *m = read_res (cg, "memory", "memory.limit_in_bytes", "memory.max");
  g_assert_cmpstr (m, ==, "67108864");
  if (swap_accounting)
    {
      /* v1: memsw = memory+swap as given; v2: memory.swap.max = swap - limit */
      g_autofree char *sw = read_res (cg, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max");
      g_assert_cmpstr (sw, ==, is_v2 () ? "67108864" : "134217728");
    }
  if (!is_v2 ())
    {
      g_autofree char *oc = read_res (cg, "memory", "memory.oom_control", NULL);
      g_assert_nonnull (strstr (oc, "oom_kill_disable 1"));
    }
  g_auto (BerthCgroupStats) st = { 0 };
  g_assert_true (berth_cgroup_stats (cg, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.memory_limit, ==, 64 << 20);
  g_assert_cmpuint (st.pids_limit, ==, 20);
  g_assert_cmpuint (st.pids_current, ==, 0);
  g_autofree char *p = read_res (cg, "pids", "pids.max", "pids.max");
  g_assert_cmpstr (p, ==, "20");
  g_autofree char *s = read_res (cg, "cpu", "cpu.shares", "cpu.weight");
  g_assert_cmpstr (s, ==, is_v2 () ? "20" : "512"); /* 1 + (510*9999)/262142 = 20 */
  if (is_v2 ())
    {
      g_autofree char *max = read_res (cg, "cpu", NULL, "cpu.max");
      g_assert_cmpstr (max, ==, "50000 100000");
    }
  else
    {
      g_autofree char *q = read_res (cg, "cpu", "cpu.cfs_quota_us", NULL);
      g_assert_cmpstr (q, ==, "50000");
      g_autofree char *per = read_res (cg, "cpu", "cpu.cfs_period_us", NULL);
      g_assert_cmpstr (per, ==, "100000");
    }
  if (berth_cgroup_mode () != BERTH_CGROUP_V1)
    {
      g_autofree char *md = berth_cgroup_read (berth_cgroup_dir (cg, NULL), "cgroup.max.descendants");
      g_assert_cmpstr (md, ==, "7");
    }
  g_autofree char *cpus = read_res (cg, "cpuset", "cpuset.cpus", "cpuset.cpus");
  g_assert_cmpstr (cpus, ==, "0");
  if (!is_v2 ())
    {
      g_autofree char *list = berth_cgroup_read (berth_cgroup_dir (cg, "devices"), "devices.list");
      g_assert_nonnull (list);
      g_assert_null (strstr (list, "a *:* rwm"));
      g_assert_nonnull (strstr (list, "c 1:11 r\n"));
      g_assert_nonnull (strstr (list, "c 1:3 rwm"));
    }
  /* serialise / deserialise: the same directories */
  g_autofree char *text = berth_cgroup_serialize (cg);
  g_autoptr (BerthCgroup) back = berth_cgroup_deserialize (text, &error);
  g_assert_no_error (error);
  g_autofree char *text2 = berth_cgroup_serialize (back);
  g_assert_cmpstr (text, ==, text2);
  g_assert_nonnull (strstr (text, name));

  /* update */
  BerthMemory mem2 = { .has_limit = true, .limit = 128 << 20 };
  BerthResources r2 = { .memory = &mem2, .has_pids_limit = true, .pids_limit = -1 };
  g_assert_true (berth_cgroup_update (back, &r2, &error));
  g_assert_no_error (error);
  g_autofree char *m2 = read_res (cg, "memory", "memory.limit_in_bytes", "memory.max");
  g_assert_cmpstr (m2, ==, "134217728");
  g_autofree char *p2 = read_res (cg, "pids", "pids.max", "pids.max");
  g_assert_cmpstr (p2, ==, "max");

  g_assert_true (berth_cgroup_destroy (back, &error));
  g_assert_no_error (error);
  assert_gone (dirs);
  /* already gone is not an error */
  g_assert_true (berth_cgroup_destroy (cg, &error));
  g_assert_no_error (error);
}

static void
test_enter_freeze_kill (void)
{
  if (!need_root ())
    return;
  g_autofree char *name = random_name ("berth-test-procs");
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", NULL, false, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) dirs = all_dirs (cg);
  Child kids[3];
  for (int i = 0; i < 3; i++)
    {
      kids[i] = spawn_waiting_child (NULL);
      g_assert_true (berth_cgroup_enter (cg, kids[i].pid, &error));
      g_assert_no_error (error);
    }
  /* /proc/<pid>/cgroup names our path in every hierarchy */
  g_autofree char *proc = g_strdup_printf ("/proc/%d/cgroup", (int) kids[0].pid);
  g_autofree char *text = berth_read_file_at (AT_FDCWD, proc, 1 << 16, NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  int matched = 0;
  for (char **l = lines; *l; l++)
    if (**l)
      {
        g_assert_true (g_str_has_suffix (*l, name));
        matched++;
      }
  g_assert_cmpint (matched, >=, 1);

  g_autoptr (GArray) pids = berth_cgroup_pids (cg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pids->len, ==, 3);
  for (int i = 0; i < 3; i++)
    {
      bool found = false;
      for (guint j = 0; j < pids->len; j++)
        found |= g_array_index (pids, pid_t, j) == kids[i].pid;
      g_assert_true (found);
    }

  g_assert_false (berth_cgroup_is_frozen (cg));
  g_assert_true (berth_cgroup_freeze (cg, true, &error));
  g_assert_no_error (error);
  g_assert_true (berth_cgroup_is_frozen (cg));
  if (!is_v2 ())
    {
      g_autofree char *st = berth_cgroup_read (berth_cgroup_dir (cg, "freezer"), "freezer.state");
      g_assert_cmpstr (st, ==, "FROZEN");
    }
  /* a frozen child does not run: closing the pipe does not let it exit */
  close (kids[0].go_fd);
  g_usleep (50000);
  int status;
  g_assert_cmpint (waitpid (kids[0].pid, &status, WNOHANG), ==, 0);
  g_assert_true (berth_cgroup_freeze (cg, false, &error));
  g_assert_no_error (error);
  g_assert_false (berth_cgroup_is_frozen (cg));
  status = wait_status (kids[0].pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  /* kill_all with SIGTERM (freeze, signal, thaw) */
  g_assert_true (berth_cgroup_kill_all (cg, SIGTERM, &error));
  g_assert_no_error (error);
  for (int i = 1; i < 3; i++)
    {
      status = wait_status (kids[i].pid);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
      close (kids[i].go_fd);
    }
  g_assert_false (berth_cgroup_is_frozen (cg));

  /* SIGKILL (cgroup.kill on v2) */
  for (int i = 0; i < 3; i++)
    {
      kids[i] = spawn_waiting_child (NULL);
      g_assert_true (berth_cgroup_enter (cg, kids[i].pid, &error));
    }
  g_assert_true (berth_cgroup_kill_all (cg, SIGKILL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    {
      status = wait_status (kids[i].pid);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
      close (kids[i].go_fd);
    }

  /* destroy kills leftovers (here: one live child in a sub-cgroup) */
  kids[0] = spawn_waiting_child (NULL);
  g_autofree char *sub = g_strdup_printf ("%s/inner", name);
  g_autoptr (BerthCgroup) inner = berth_cgroup_create (sub, "id", NULL, false, &error);
  g_assert_no_error (error);
  g_assert_true (berth_cgroup_enter (inner, kids[0].pid, &error));
  g_assert_true (berth_cgroup_destroy (cg, &error));
  g_assert_no_error (error);
  status = wait_status (kids[0].pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  close (kids[0].go_fd);
  assert_gone (dirs);
}

static void
hog_memory (void)
{
  size_t len = 512u << 20;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    _exit (2);
  for (size_t i = 0; i < len; i += 4096)
    p[i] = 1;
  _exit (3);
}

static void
test_oom (void)
{
  if (!need_root () || !need_controllers ())
    return;
  g_autofree char *name = random_name ("berth-test-oom");
  BerthMemory mem = { .has_limit = true, .limit = 32 << 20, .has_swap = true, .swap = 32 << 20 };
  BerthResources r = { .memory = &mem };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", &r, false, &error);
  g_assert_no_error (error);
  bool is_eventfd = false;
  berth_autofd int oom_fd = berth_cgroup_oom_fd (cg, &is_eventfd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (oom_fd, >=, 0);
  Child c = spawn_waiting_child (hog_memory);
  g_assert_true (berth_cgroup_enter (cg, c.pid, &error));
  g_assert_no_error (error);
  close (c.go_fd);
  int status = wait_status (c.pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
  /* the monitor's view: OOM counted, the notification fd fired */
  g_auto (BerthCgroupStats) st = { 0 };
  g_assert_true (berth_cgroup_stats (cg, &st, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (st.memory_oom_kill, >=, 1);
  g_assert_cmpuint (st.memory_limit, ==, 32 << 20);
  g_assert_nonnull (st.memory_stat);
  struct pollfd pfd = { oom_fd, is_eventfd ? POLLIN : POLLPRI, 0 };
  g_assert_cmpint (poll (&pfd, 1, 2000), ==, 1);
  if (is_eventfd)
    {
      uint64_t n = 0;
      g_assert_cmpint (read (oom_fd, &n, sizeof n), ==, sizeof n);
      g_assert_cmpuint (n, >=, 1);
    }
  g_assert_true (berth_cgroup_destroy (cg, &error));
  g_assert_no_error (error);
}

static void
hold_memory (void)
{
  size_t len = 16u << 20;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    _exit (2);
  memset (p, 1, len);
  for (;;)
    pause ();
}

static void
test_check_before_update (void)
{
  if (!need_root () || !need_controllers ())
    return;
  g_autofree char *name = random_name ("berth-test-cbu");
  BerthMemory mem = { .has_limit = true, .limit = 256 << 20 };
  BerthResources r = { .memory = &mem };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", &r, false, &error);
  g_assert_no_error (error);
  Child c = spawn_waiting_child (hold_memory);
  g_assert_true (berth_cgroup_enter (cg, c.pid, &error));
  close (c.go_fd);
  g_auto (BerthCgroupStats) st = { 0 };
  for (int i = 0; i < 200; i++)
    {
      berth_cgroup_stats_clear (&st);
      g_assert_true (berth_cgroup_stats (cg, &st, &error));
      if (st.memory_usage >= (16u << 20))
        break;
      g_usleep (10000);
    }
  g_assert_cmpuint (st.memory_usage, >=, 16u << 20);
  BerthMemory low = { .has_limit = true, .limit = 4 << 20, .has_checkBeforeUpdate = true, .checkBeforeUpdate = true };
  BerthResources r2 = { .memory = &low };
  g_assert_false (berth_cgroup_update (cg, &r2, &error));
  g_assert_error (error, BERTH_ERROR, EBUSY);
  g_assert_nonnull (strstr (error->message, ".linux.resources.memory.limit"));
  g_clear_error (&error);
  g_autofree char *m = read_res (cg, "memory", "memory.limit_in_bytes", "memory.max");
  g_assert_cmpstr (m, ==, "268435456");
  g_assert_true (berth_cgroup_destroy (cg, &error)); /* kills the holder */
  g_assert_no_error (error);
  int status = wait_status (c.pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
}

static void
fork_past_limit (void)
{
  /* pids.max = 1 and we are the one: fork must fail with EAGAIN */
  pid_t pid = fork ();
  if (pid == 0)
    _exit (0);
  if (pid > 0)
    {
      waitpid (pid, NULL, 0);
      _exit (4);
    }
  _exit (errno == EAGAIN ? 5 : 6);
}

static void
test_pids_limit (void)
{
  if (!need_root () || !need_controllers ())
    return;
  g_autofree char *name = random_name ("berth-test-pids");
  BerthResources r = { .has_pids_limit = true, .pids_limit = 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", &r, false, &error);
  g_assert_no_error (error);
  Child c = spawn_waiting_child (fork_past_limit);
  g_assert_true (berth_cgroup_enter (cg, c.pid, &error));
  close (c.go_fd);
  int status = wait_status (c.pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 5);
  g_assert_true (berth_cgroup_destroy (cg, &error));
  g_assert_no_error (error);
}

static void
assert_not_created (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_resolve (name, "id", &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) dirs = all_dirs (cg);
  assert_gone (dirs);
}

static void
test_errors (void)
{
  if (!need_root () || !need_controllers ())
    return;
  g_autofree char *name = random_name ("berth-test-err");
  g_autoptr (GError) error = NULL;

  g_autoptr (BerthCgroup) probe = berth_cgroup_resolve (name, "id", &error);
  g_assert_no_error (error);
  g_autoptr (GHashTable) unified = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (unified, (char *) "../x", (char *) "1");
  BerthResources r = { .unified = unified };
  g_assert_null (berth_cgroup_create (name, "id", &r, false, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, ".linux.resources.unified"));
  g_clear_error (&error);
  assert_not_created (name);

  g_hash_table_remove_all (unified);
  g_hash_table_insert (unified, (char *) "nosuch.max", (char *) "1");
  g_assert_null (berth_cgroup_create (name, "id", &r, false, &error));
  g_assert_nonnull (strstr (error->message, ".linux.resources.unified"));
  g_assert_nonnull (strstr (error->message, "nosuch"));
  g_clear_error (&error);
  assert_not_created (name);

  BerthHugepageLimit huge = { (char *) "3MB", 1 << 20 };
  BerthResources rh = { .hugepageLimits = &huge, .n_hugepageLimits = 1 };
  g_assert_null (berth_cgroup_create (name, "id", &rh, false, &error));
  g_assert_error (error, BERTH_ERROR, EINVAL);
  g_assert_nonnull (strstr (error->message, ".linux.resources.hugepageLimits[0].pageSize"));
  g_clear_error (&error);
  assert_not_created (name);

  if (berth_cgroup_dir (probe, "net_cls") == NULL)
    {
      BerthResources rn = { .has_network_classID = true, .network_classID = 0x100001 };
      g_assert_null (berth_cgroup_create (name, "id", &rn, false, &error));
      g_assert_error (error, BERTH_ERROR, ENOTSUP);
      g_assert_nonnull (strstr (error->message, ".linux.resources.network.classID"));
      g_clear_error (&error);
      assert_not_created (name);
    }

  g_assert_null (berth_cgroup_create ("x/../../y", "id", NULL, false, &error));
  g_assert_nonnull (strstr (error->message, ".linux.cgroupsPath"));
  g_clear_error (&error);

  /* a write the kernel refuses names the field, and cleans up */
  BerthCpu cpu = { .cpus = (char *) "4096" };
  BerthResources rc = { .cpu = &cpu };
  g_assert_null (berth_cgroup_create (name, "id", &rc, false, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, ".linux.resources.cpu.cpus"));
  g_assert_nonnull (strstr (error->message, "cpuset.cpus"));
  g_clear_error (&error);
  assert_not_created (name);

  g_assert_null (berth_cgroup_deserialize ("mode=v9;path=x", &error));
  g_assert_error (error, BERTH_ERROR, EINVAL);
}

/* The device policy as a BPF program, checked for real: on v2 through
 * berth_cgroup_create; on hybrid by attaching it to the unified dir while
 * the v1 devices controller allows everything. */
static int
try_open (const char *path, int flags)
{
  int fd = open (path, flags | O_CLOEXEC);
  if (fd < 0)
    return errno;
  close (fd);
  return 0;
}

static int probe_flags;

static void
probe_kmsg (void)
{
  _exit (try_open ("/dev/kmsg", probe_flags) == EPERM ? 10 : try_open ("/dev/null", O_RDWR) == 0 ? 11 : 12);
}

static int
probe_in (BerthCgroup *cg, int flags)
{
  g_autoptr (GError) error = NULL;
  probe_flags = flags;
  Child c = spawn_waiting_child (probe_kmsg);
  g_assert_true (berth_cgroup_enter (cg, c.pid, &error));
  g_assert_no_error (error);
  close (c.go_fd);
  int status = wait_status (c.pid);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_devices_bpf (void)
{
  if (!need_root ())
    return;
  if (berth_cgroup_mode () == BERTH_CGROUP_V1)
    {
      g_test_skip ("no cgroup2 here");
      return;
    }
  g_autofree char *name = random_name ("berth-test-dev");
  g_autoptr (GError) error = NULL;
  BerthDeviceCgroupRule allow_all = { .allow = true, .access = (char *) "rwm" };
  BerthDeviceCgroupRule kmsg_r = { .allow = true, .type = (char *) "c", .has_major = true, .major = 1,
                                   .has_minor = true, .minor = 11, .access = (char *) "rw" };
  BerthDeviceCgroupRule kmsg_deny_w = { .allow = false, .type = (char *) "c", .has_major = true, .major = 1,
                                        .has_minor = true, .minor = 11, .access = (char *) "w" };
  BerthResources r = { .devices = &allow_all, .n_devices = 1 };
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", is_v2 () ? NULL : &r, false, &error);
  g_assert_no_error (error);
  const char *dir = berth_cgroup_dir (cg, NULL);
  g_assert_nonnull (dir);
  if (!is_v2 ())
    g_assert_true (berth_cgroup_devices_bpf_apply (dir, NULL, 0, &error));
  g_assert_no_error (error);
  /* default: deny all but runc's defaults (/dev/null yes, /dev/kmsg no) */
  g_assert_cmpint (probe_in (cg, O_RDONLY), ==, 10);
  /* allow kmsg rw, then deny w: read yes, write no (and replaces the old program) */
  BerthDeviceCgroupRule rules[] = { kmsg_r, kmsg_deny_w };
  g_assert_true (berth_cgroup_devices_bpf_apply (dir, rules, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (probe_in (cg, O_RDONLY), ==, 11);
  g_assert_cmpint (probe_in (cg, O_WRONLY), ==, 10);
  /* a trailing allow-all wins */
  BerthDeviceCgroupRule rules2[] = { kmsg_deny_w, allow_all };
  g_assert_true (berth_cgroup_devices_bpf_apply (dir, rules2, 2, &error));
  g_assert_cmpint (probe_in (cg, O_WRONLY), ==, 11);
  g_assert_true (berth_cgroup_destroy (cg, &error));
  g_assert_no_error (error);
}

/* The v1 devices controller gets "a" on devices.deny once, not again for
 * the default spec's leading deny-all rule; a deny-all after an allow still
 * resets, and the runc defaults follow the spec's rules. */
static void
test_devices_v1_writes (void)
{
  BerthDeviceCgroupRule deny_all = { .allow = false, .access = (char *) "rwm" };
  BerthDeviceCgroupRule tun = { .allow = true, .type = (char *) "c", .has_major = true, .major = 10,
                                .has_minor = true, .minor = 200, .access = (char *) "rw" };
  size_t n_defaults = 0;
  berth_cgroup_default_device_rules (&n_defaults);

  g_auto (GStrv) none = berth_cgroup_v1_device_writes (NULL, 0);
  g_auto (GStrv) spec_default = berth_cgroup_v1_device_writes (&deny_all, 1);
  g_assert_cmpuint (g_strv_length (spec_default), ==, 1 + n_defaults);
  g_assert_true (g_strv_equal ((const char *const *) none, (const char *const *) spec_default));
  g_assert_cmpstr (spec_default[0], ==, "devices.deny a");
  for (char **w = spec_default + 1; *w != NULL; w++)
    g_assert_cmpstr (*w, !=, "devices.deny a");
  g_assert_true (g_strv_contains ((const char *const *) spec_default, "devices.allow c 1:3 rwm"));
  g_assert_true (g_strv_contains ((const char *const *) spec_default, "devices.allow c 136:* rwm"));

  BerthDeviceCgroupRule rules[] = { deny_all, tun, deny_all, deny_all };
  g_auto (GStrv) reset = berth_cgroup_v1_device_writes (rules, G_N_ELEMENTS (rules));
  g_assert_cmpuint (g_strv_length (reset), ==, 3 + n_defaults);
  g_assert_cmpstr (reset[0], ==, "devices.deny a");
  g_assert_cmpstr (reset[1], ==, "devices.allow c 10:200 rw");
  g_assert_cmpstr (reset[2], ==, "devices.deny a");
  g_assert_cmpstr (reset[3], ==, spec_default[1]);
}

static void
test_unified_fd (void)
{
  if (!need_root ())
    return;
  g_autofree char *name = random_name ("berth-test-fd");
  g_autoptr (GError) error = NULL;
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, "id", NULL, false, &error);
  g_assert_no_error (error);
  int fd = berth_cgroup_unified_fd (cg);
  if (berth_cgroup_mode () == BERTH_CGROUP_V1)
    g_assert_cmpint (fd, ==, -1);
  else
    {
      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (fcntl (fd, F_GETFD), ==, FD_CLOEXEC);
      g_assert_cmpint (fd, ==, berth_cgroup_unified_fd (cg));
      struct stat a, b;
      g_assert_no_errno (fstat (fd, &a));
      g_assert_no_errno (stat (berth_cgroup_dir (cg, NULL), &b));
      g_assert_true (a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    }
  g_assert_true (berth_cgroup_destroy (cg, &error));
}

/* cgroup v2 forbids processes in a cgroup whose children have domain
 * controllers ("no internal processes"), so a relative path below our own
 * non-root cgroup cannot get limits (runc fails the same way).  There, move
 * this process into a leaf below its own cgroup, create the test cgroups as
 * absolute paths below the (now empty) own cgroup, and undo it all at the
 * end. */
static char *own_dir, *leaf_dir, *saved_subtree;

static void
v2_setup_leaf (void)
{
  g_autofree char *self = berth_read_file_at (AT_FDCWD, "/proc/self/cgroup", 1 << 16, NULL);
  if (self == NULL || !g_str_has_prefix (self, "0::/") || strcmp (self, "0::/\n") == 0)
    return;
  g_autofree char *own = g_strstrip (g_strdup (self + 3));
  if (strcmp (own, "/") == 0)
    return;
  own_dir = g_build_filename ("/sys/fs/cgroup", own, NULL);
  leaf_dir = g_strdup_printf ("%s/berth-test-leaf-%d", own_dir, (int) getpid ());
  saved_subtree = berth_cgroup_read (own_dir, "cgroup.subtree_control");
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_assert_no_errno (mkdir (leaf_dir, 0755));
  g_assert_true (berth_cgroup_write (leaf_dir, "cgroup.procs", pid, "test", NULL));
  g_autofree char *others = berth_cgroup_read (own_dir, "cgroup.procs");
  if (others != NULL && *others != '\0')
    {
      /* Someone else lives in our cgroup too: no controller can be enabled
       * below it.  Undo, and skip the tests that need controllers. */
      berth_cgroup_write (own_dir, "cgroup.procs", pid, "test", NULL);
      rmdir (leaf_dir);
      g_clear_pointer (&leaf_dir, g_free);
      no_controllers = true;
      return;
    }
  path_prefix = g_strdup_printf ("%s/", own);
}

static void
v2_teardown_leaf (void)
{
  if (leaf_dir == NULL)
    return;
  g_autofree char *now = berth_cgroup_read (own_dir, "cgroup.subtree_control");
  g_auto (GStrv) ctrls = g_strsplit (now ? now : "", " ", -1);
  g_auto (GStrv) keep = g_strsplit (saved_subtree ? saved_subtree : "", " ", -1);
  for (char **c = ctrls; *c; c++)
    if (**c && !g_strv_contains ((const char *const *) keep, *c))
      {
        g_autofree char *off = g_strdup_printf ("-%s", *c);
        berth_cgroup_write (own_dir, "cgroup.subtree_control", off, "test", NULL);
      }
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  berth_cgroup_write (own_dir, "cgroup.procs", pid, "test", NULL);
  rmdir (leaf_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (geteuid () == 0 && is_v2 ())
    v2_setup_leaf ();
  g_test_add_func ("/cgroup/mode", test_mode);
  g_test_add_func ("/cgroup/resolve", test_resolve);
  g_test_add_func ("/cgroup/conversions", test_conversions);
  g_test_add_func ("/cgroup/create-resources-update", test_create_resources);
  g_test_add_func ("/cgroup/enter-freeze-kill", test_enter_freeze_kill);
  g_test_add_func ("/cgroup/oom", test_oom);
  g_test_add_func ("/cgroup/pids-limit", test_pids_limit);
  g_test_add_func ("/cgroup/check-before-update", test_check_before_update);
  g_test_add_func ("/cgroup/errors", test_errors);
  g_test_add_func ("/cgroup/devices-bpf", test_devices_bpf);
  g_test_add_func ("/cgroup/devices-v1-writes", test_devices_v1_writes);
  g_test_add_func ("/cgroup/unified-fd", test_unified_fd);
  int rc = g_test_run ();
  v2_teardown_leaf ();
  return rc;
}
