/* proc helpers against real processes: start time, pidfd, whether a signal
 * would be dropped by a pid-namespace init, and a pid namespace's processes. */
#include "error.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void
on_usr1 (int sig)
{
  (void) sig;
}

/* In a new pid namespace, start an init (pid 1) that optionally catches
 * SIGUSR1, and return its pid as seen from here. */
static pid_t
spawn_ns_init (bool catch_usr1)
{
  int ready[2];
  if (pipe (ready) < 0 || unshare (CLONE_NEWPID) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (catch_usr1)
        signal (SIGUSR1, on_usr1);
      (void) !write (ready[1], "x", 1);
      for (;;)
        pause ();
    }
  char c;
  if (read (ready[0], &c, 1) != 1)
    return -1;
  return pid;
}

static void
test_dropped_by_init (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root for a pid namespace");
      return;
    }
  for (int catch_it = 0; catch_it <= 1; catch_it++)
    {
      int ready[2];
      g_assert_cmpint (pipe (ready), ==, 0);
      pid_t helper = fork ();
      if (helper == 0)
        {
          pid_t init = spawn_ns_init (catch_it);
          (void) !write (ready[1], &init, sizeof init);
          pause ();
          _exit (0);
        }
      pid_t init;
      g_assert_cmpint (read (ready[0], &init, sizeof init), ==, sizeof init);
      g_assert_cmpint (init, >, 0);
      g_assert_true (berth_proc_signal_dropped_by_init (init, SIGUSR1) == !catch_it);
      g_assert_true (berth_proc_signal_dropped_by_init (init, SIGTERM));
      g_assert_false (berth_proc_signal_dropped_by_init (init, SIGKILL));
      double age = berth_proc_age (berth_proc_start_time (init));
      g_assert_cmpfloat (age, >=, 0);
      g_assert_cmpfloat (age, <, 30);
      kill (init, SIGKILL);
      kill (helper, SIGKILL);
      waitpid (helper, NULL, 0);
      close (ready[0]);
      close (ready[1]);
    }
  /* A process that is not a namespace init never drops signals this way. */
  g_assert_false (berth_proc_signal_dropped_by_init (getpid (), SIGTERM));
}

static void
test_pidfd_checked (void)
{
  pid_t child = fork ();
  if (child == 0)
    {
      pause ();
      _exit (0);
    }
  uint64_t start = berth_proc_start_time (child);
  g_assert_cmpuint (start, >, 0);
  berth_autofd int wrong = berth_pidfd_open_checked (child, start + 1);
  g_assert_cmpint (wrong, ==, -1);
  berth_autofd int fd = berth_pidfd_open_checked (child, start);
  g_assert_cmpint (fd, >=, 0);
  g_assert_false (berth_pidfd_wait_exit (fd, 10));
  g_assert_cmpint (berth_pidfd_send_signal (fd, SIGKILL), ==, 0);
  g_assert_true (berth_pidfd_wait_exit (fd, 5000));
  waitpid (child, NULL, 0);
}

/* A child in a new pid namespace with a grandchild: both are found, and the
 * caller's own namespace is refused.  As root, a process that joined the
 * namespace with setns (its parent is outside, like `berth exec`) is found
 * too; once the init is reaped: ESRCH. */
static void
test_pidns_pids (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) self = berth_proc_pidns_pids (getpid (), &error);
  g_assert_null (self);
  g_assert_error (error, BERTH_ERROR, ENOTSUP);
  g_clear_error (&error);

  int pipefd[2];
  g_assert_cmpint (pipe (pipefd), ==, 0);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWPID | (geteuid () ? CLONE_NEWUSER : 0)) < 0)
        _exit (77);
      pid_t init = fork ();
      if (init == 0)
        {
          if (fork () == 0)
            pause ();
          (void) !write (pipefd[1], "x", 1);
          pause ();
        }
      (void) !write (pipefd[1], "i", 1);
      waitpid (init, NULL, 0);
      _exit (0);
    }
  close (pipefd[1]);
  char c[2] = { 0 };
  if (read (pipefd[0], c, 1) != 1)
    {
      waitpid (pid, NULL, 0);
      g_test_skip ("pid namespaces not available");
      return;
    }
  /* The outer child is not in the new namespace; its child is the init. */
  if (c[0] == 'i')
    g_assert_cmpint (read (pipefd[0], c, 1), ==, 1);
  close (pipefd[0]);
  g_autofree char *children_path = g_strdup_printf ("/proc/%d/task/%d/children", pid, pid);
  g_autofree char *children = NULL;
  for (int i = 0; i < 100 && (children == NULL || *children == '\0'); i++)
    {
      g_clear_pointer (&children, g_free);
      g_file_get_contents (children_path, &children, NULL, NULL);
      g_usleep (10000);
    }
  pid_t init = (pid_t) g_ascii_strtoll (children, NULL, 10);
  g_assert_cmpint (init, >, 0);
  g_autoptr (GArray) pids = NULL;
  for (int i = 0; i < 100 && (pids == NULL || pids->len < 2); i++)
    {
      g_clear_pointer (&pids, g_array_unref);
      pids = berth_proc_pidns_pids (init, &error);
      g_assert_no_error (error);
      g_usleep (10000);
    }
  g_assert_cmpuint (pids->len, ==, 2);
  g_assert_true (g_array_index (pids, pid_t, 0) == init || g_array_index (pids, pid_t, 1) == init);
  g_assert_cmpint (g_array_index (pids, pid_t, 0), <, g_array_index (pids, pid_t, 1));
  pid_t joiner = -1, joined = -1;
  if (geteuid () == 0)
    {
      int joined_pipe[2];
      g_assert_cmpint (pipe (joined_pipe), ==, 0);
      joiner = fork ();
      g_assert_cmpint (joiner, >=, 0);
      if (joiner == 0)
        {
          g_autofree char *ns = g_strdup_printf ("/proc/%d/ns/pid", (int) init);
          int nsfd = open (ns, O_RDONLY | O_CLOEXEC);
          if (nsfd < 0 || setns (nsfd, CLONE_NEWPID) < 0)
            _exit (1);
          pid_t child = fork ();
          if (child == 0)
            pause ();
          (void) !write (joined_pipe[1], &child, sizeof child);
          pause ();
        }
      close (joined_pipe[1]);
      g_assert_cmpint (read (joined_pipe[0], &joined, sizeof joined), ==, sizeof joined);
      close (joined_pipe[0]);
      g_assert_cmpint (joined, >, 0);
      g_clear_pointer (&pids, g_array_unref);
      pids = berth_proc_pidns_pids (init, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (pids->len, ==, 3);
      bool found = false;
      for (guint i = 0; i < pids->len; i++)
        found = found || g_array_index (pids, pid_t, i) == joined;
      g_assert_true (found);
      /* The joiner itself stays in our namespace. */
      for (guint i = 0; i < pids->len; i++)
        g_assert_cmpint (g_array_index (pids, pid_t, i), !=, joiner);
    }
  kill (init, SIGKILL);
  /* The dying init waits until the joined process is reaped: by its parent
   * outside, or by whoever inherits it when the joiner is gone. */
  if (joiner > 0)
    {
      kill (joiner, SIGKILL);
      waitpid (joiner, NULL, 0);
    }
  int status;
  waitpid (pid, &status, 0);
  g_clear_pointer (&pids, g_array_unref);
  pids = berth_proc_pidns_pids (init, &error);
  g_assert_null (pids);
  g_assert_error (error, BERTH_ERROR, ESRCH);
}

/* /proc/PID/stat fields are counted from the last ')': a comm holding
 * ") S 1 (" must not shift them. */
static void
test_stat_fields (void)
{
  int ready[2], go[2];
  g_assert_cmpint (pipe (ready), ==, 0);
  g_assert_cmpint (pipe (go), ==, 0);
  pid_t child = fork ();
  if (child == 0)
    {
      prctl (PR_SET_NAME, "x) S 1 (y", 0, 0, 0);
      char c = 0;
      if (write (ready[1], "r", 1) != 1 || read (go[0], &c, 1) < 0)
        _exit (1);
      _exit (0);
    }
  char c;
  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  uint64_t f[BERTH_PROC_STAT_FIELDS];
  g_assert_true (berth_proc_stat (child, f));
  g_assert_cmpint ((pid_t) f[BERTH_PROC_STAT_PPID], ==, getpid ());
  g_assert_true (f[BERTH_PROC_STAT_STATE] == 'S' || f[BERTH_PROC_STAT_STATE] == 'R');
  g_assert_cmpuint (f[BERTH_PROC_STAT_STARTTIME], >, 0);
  g_assert_cmpuint (f[BERTH_PROC_STAT_STARTTIME], ==, berth_proc_start_time (child));
  g_assert_true (berth_proc_is_alive (child, f[BERTH_PROC_STAT_STARTTIME]));
  g_assert_false (berth_proc_is_alive (child, f[BERTH_PROC_STAT_STARTTIME] + 1));
  g_assert_cmpint (write (go[1], "g", 1), ==, 1);
  int status;
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_false (berth_proc_stat (child, f));
  g_assert_cmpuint (berth_proc_start_time (child), ==, 0);
  close (ready[0]), close (ready[1]), close (go[0]), close (go[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proc/stat-fields", test_stat_fields);
  g_test_add_func ("/proc/dropped-by-init", test_dropped_by_init);
  g_test_add_func ("/proc/pidfd-checked", test_pidfd_checked);
  g_test_add_func ("/proc/pidns-pids", test_pidns_pids);
  return g_test_run ();
}
