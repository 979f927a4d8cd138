#include "hooks.h"

#include "error.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_OUTPUT_MAX 4096

extern char **environ;

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* Fork and exec one hook: state JSON on stdin, stdout to /dev/null, stderr
 * captured (bounded) for the error message. */
static bool
run_one (const BerthHook *hook, const char *name, size_t index, const char *state_json, GError **error)
{
  int in_pipe[2], err_pipe[2];
  if (pipe2 (in_pipe, O_CLOEXEC) < 0)
    return berth_fail_errno (error, errno, "%s hook %zu: pipe", name, index);
  if (pipe2 (err_pipe, O_CLOEXEC) < 0)
    {
      close (in_pipe[0]);
      close (in_pipe[1]);
      return berth_fail_errno (error, errno, "%s hook %zu: pipe", name, index);
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      close (in_pipe[0]); close (in_pipe[1]); close (err_pipe[0]); close (err_pipe[1]);
      return berth_fail_errno (error, saved, "%s hook %zu: fork", name, index);
    }
  if (pid == 0)
    {
      /* Own process group, so a timeout kills whatever the hook started too. */
      setpgid (0, 0);
      int null_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      if (dup2 (in_pipe[0], 0) < 0 || dup2 (null_fd >= 0 ? null_fd : err_pipe[1], 1) < 0
          || dup2 (err_pipe[1], 2) < 0)
        _exit (127);
      berth_close_fds_from (3);
      sigset_t all;
      sigemptyset (&all);
      sigprocmask (SIG_SETMASK, &all, NULL);
      signal (SIGPIPE, SIG_DFL);
      char *const *args = hook->args;
      char *fallback[] = { hook->path, NULL };
      if (args == NULL || args[0] == NULL)
        args = fallback;
      execve (hook->path, args, hook->env != NULL ? hook->env : environ);
      dprintf (2, "exec %s: %s", hook->path, strerror (errno));
      _exit (127);
    }
  close (in_pipe[0]);
  close (err_pipe[1]);
  berth_autofd int in_fd = in_pipe[1];
  berth_autofd int err_fd = err_pipe[0];
  berth_autofd int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);

  /* The state is small (far below a pipe buffer): one non-blocking write;
   * a hook that does not read its stdin gets EPIPE on our side, ignored. */
  fcntl (in_fd, F_SETFL, O_NONBLOCK);
  (void) !write (in_fd, state_json, strlen (state_json));
  berth_close_fdp (&in_fd);

  g_autoptr (GString) output = g_string_new (NULL);
  gint64 deadline = hook->has_timeout ? now_ms () + (gint64) hook->timeout * 1000 : -1;
  bool timed_out = false;
  while (err_fd >= 0)
    {
      int wait_ms = -1;
      if (deadline >= 0)
        {
          wait_ms = (int) MAX (0, deadline - now_ms ());
          if (wait_ms == 0)
            {
              timed_out = true;
              break;
            }
        }
      struct pollfd pfd = { .fd = err_fd, .events = POLLIN };
      int r = poll (&pfd, 1, wait_ms);
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        continue;
      char buf[1024];
      ssize_t n = read (err_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (output->len < HOOK_OUTPUT_MAX)
        g_string_append_len (output, buf, MIN ((size_t) n, HOOK_OUTPUT_MAX - output->len));
    }
  /* stderr closed (or timeout): the hook may still run with stderr closed or
   * passed on to a child; keep honouring the deadline while waiting for it. */
  if (!timed_out && deadline >= 0 && pidfd >= 0)
    timed_out = !berth_pidfd_wait_exit (pidfd, (int) MAX (0, deadline - now_ms ()));
  if (timed_out)
    {
      kill (-pid, SIGKILL);
      kill (pid, SIGKILL);
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_strchomp (output->str);
  const char *sep = output->str[0] ? ": " : "";
  if (timed_out)
    return berth_fail_code (error, ETIMEDOUT, "%s hook %s: timed out after %d s", name, hook->path, hook->timeout);
  if (WIFSIGNALED (status))
    return berth_fail (error, "%s hook %s: killed by signal %d%s%s", name, hook->path, WTERMSIG (status), sep, output->str);
  if (WEXITSTATUS (status) != 0)
    return berth_fail (error, "%s hook %s: exit status %d%s%s", name, hook->path, WEXITSTATUS (status), sep, output->str);
  return true;
}

bool
berth_hooks_run (const BerthHookList *hooks, const char *hook_name, const char *state_json,
                 bool warn_only, GError **error)
{
  for (size_t i = 0; i < hooks->n; i++)
    {
      g_autoptr (GError) local = NULL;
      if (run_one (&hooks->hooks[i], hook_name, i, state_json, &local))
        continue;
      if (!warn_only)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return false;
        }
      berth_warn ("%s", local->message);
    }
  return true;
}
