/* proc helpers against real processes: start time, pidfd, and whether a
 * signal would be dropped by a pid-namespace init. */
#include "proc.h"
#include "util.h"

#include <sched.h>
#include <signal.h>
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proc/dropped-by-init", test_dropped_by_init);
  g_test_add_func ("/proc/pidfd-checked", test_pidfd_checked);
  return g_test_run ();
}
