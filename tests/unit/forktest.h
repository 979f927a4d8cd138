/* Run a test body in a forked child so the kernel state it changes (seccomp
 * filters, credentials, limits, namespaces) never touches the test process.
 * The body uses the g_assert* macros; the parent asserts how the child ended. */
#pragma once
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*ForkTestFunc) (gconstpointer data);

/* Returns the raw wait status of the child. */
static inline int
forktest_run (ForkTestFunc fn, gconstpointer data)
{
  fflush (NULL);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      fn (data);
      fflush (NULL);
      _exit (0);
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return status;
}

/* The child must have exited 0 (all its assertions passed). */
static inline void
forktest_expect_ok (ForkTestFunc fn, gconstpointer data)
{
  int status = forktest_run (fn, data);
  if (WIFSIGNALED (status))
    g_error ("child killed by signal %d", WTERMSIG (status));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

#define FORKTEST_SKIP_UNLESS_ROOT()                       \
  do {                                                    \
    if (geteuid () != 0)                                  \
      {                                                   \
        g_test_skip ("needs root");                       \
        return;                                           \
      }                                                   \
  } while (0)
