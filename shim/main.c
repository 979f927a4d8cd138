/* berth-shim entry: options, the start pipe, daemonizing (conmon's one fork:
 * the parent writes --conmon-pidfile and exits), subreaper, stdio, attach
 * socket, ctl fifos, the runtime child, then the loop; or adopt mode. */
#include "shim.h"
#include "runtime-cmd.h"
#include "supervise.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SHIM_VERSION_TEXT "conmon version 2.1.6\ncommit: berth-shim " BERTH_VERSION "\n"

static int
env_fd (const char *name)
{
  const char *v = g_getenv (name);
  int64_t fd;
  if (v == NULL || !berth_parse_int64 (v, 0, INT32_MAX, &fd) || fcntl ((int) fd, F_GETFD) < 0)
    return -1;
  fcntl ((int) fd, F_SETFD, FD_CLOEXEC);
  g_unsetenv (name);
  return (int) fd;
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Close every inherited fd >= 3 but the ones in keep (a caller's pipe held
 * open by a daemon would hang `$(...)`); the kept ones are CLOEXEC. */
static void
close_inherited_fds (int *keep, size_t n)
{
  qsort (keep, n, sizeof *keep, cmp_int);
  unsigned from = 3;
  for (size_t i = 0; i < n; i++)
    {
      if (keep[i] < 3 || (unsigned) keep[i] < from)
        continue;
      if ((unsigned) keep[i] > from)
        syscall (SYS_close_range, from, (unsigned) keep[i] - 1, 0);
      from = (unsigned) keep[i] + 1;
    }
  syscall (SYS_close_range, from, ~0U, 0);
  syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
}

static void
stdio_to_devnull (void)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return;
  for (int i = 0; i < 3; i++)
    dup2 (null, i);
  close (null);
}

static void
shim_init (Shim *s, ShimOptions *o)
{
  memset (s, 0, sizeof *s);
  s->o = o;
  shim_messages_setup (&s->messages, o->msg_level, o->syslog, o->cid);
  s->sync_fd = s->start_fd = s->attach_pipe_fd = s->sigfd = -1;
  s->stdin_fd = s->stdout_fd = s->stderr_fd = -1;
  s->console_listen_fd = s->attach_fd = -1;
  s->ctl_fd = s->ctl_wfd = s->winsz_fd = s->winsz_wfd = -1;
  s->early_exits = g_hash_table_new (NULL, NULL);
  shim_oom_init (&s->oom);
}

/* Frees what a run allocated, on every return from main (LeakSanitizer
 * reports process-lifetime state that is unreachable at exit as leaks). */
static void
shim_clear (Shim *s)
{
  shim_logs_close (&s->logs);
  g_clear_pointer (&s->clients, g_ptr_array_unref);
  g_clear_pointer (&s->stdin_queue, g_byte_array_unref);
  g_clear_pointer (&s->early_exits, g_hash_table_unref);
  g_clear_pointer (&s->loop, g_main_loop_unref);
  g_clear_pointer (&s->read_buf, g_free);
  g_clear_pointer (&s->console_dir, g_free);
  g_clear_pointer (&s->console_path, g_free);
  g_clear_pointer (&s->attach_path, g_free);
}

static bool
make_pipe (int fds[2], GError **error)
{
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return berth_fail_errno (error, errno, "pipe");
  return true;
}

/* The container's stdio: our ends into s, the worker ends into w[3]
 * (-1 = /dev/null, -2 = the shim's own, for passthrough). */
static bool
stdio_setup (Shim *s, bool passthrough, int w[3], GError **error)
{
  int p[2];
  w[0] = w[1] = w[2] = -1;
  if (passthrough)
    {
      w[0] = w[1] = w[2] = -2;
      return true;
    }
  if (s->o->terminal)
    {
      if (!shim_console_socket_create (s, error))
        return false;
    }
  else
    {
      if (s->o->stdin_)
        {
          if (!make_pipe (p, error))
            return false;
          s->stdin_fd = p[1];
          w[0] = p[0];
          fcntl (s->stdin_fd, F_SETFL, O_NONBLOCK);
          s->stdin_queue = g_byte_array_new ();
        }
      if (!make_pipe (p, error))
        return false;
      s->stdout_fd = p[0];
      w[1] = p[1];
      fcntl (p[0], F_SETPIPE_SZ, SHIM_PIPE_SIZE);  /* best effort (pipe-max-size) */
      fcntl (s->stdout_fd, F_SETFL, O_NONBLOCK);
    }
  /* stderr: also the runtime's own error channel (read on failure). */
  if (!make_pipe (p, error))
    return false;
  s->stderr_fd = p[0];
  w[2] = p[1];
  fcntl (p[0], F_SETPIPE_SZ, SHIM_PIPE_SIZE);
  fcntl (s->stderr_fd, F_SETFL, O_NONBLOCK);
  return true;
}

static int
fail (const char *what, GError *err)
{
  fprintf (stderr, "berth-shim: %s%s\n", what, err ? err->message : "");
  if (err)
    g_error_free (err);
  return 1;
}

static int
adopt_main (ShimOptions *o)
{
  /* The exec'ing process was the container init's parent: the init is our child. */
  __attribute__ ((cleanup (shim_clear))) Shim s;
  shim_init (&s, o);
  GError *err = NULL;
  if (!shim_logs_open (&s.logs, o, &err))
    return fail ("", err);
  stdio_to_devnull ();
  setsid ();
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  if (o->conmon_pidfile && !shim_write_pidfile (o->conmon_pidfile, getpid (), &err))
    return fail ("", err);
  s.loop = g_main_loop_new (NULL, FALSE);
  sigset_t orig;
  if (!shim_signals_setup (&s, &orig, &err))
    return fail ("", err);
  if (o->console_fd >= 0)
    {
      fcntl ((int) o->console_fd, F_SETFD, FD_CLOEXEC);
      fcntl ((int) o->console_fd, F_SETFL, fcntl ((int) o->console_fd, F_GETFL) | O_NONBLOCK);
      s.stdout_fd = (int) o->console_fd;
    }
  shim_adopted (&s, (pid_t) o->adopt_pid);
  shim_reap (&s);
  if (!s.container_done)
    g_main_loop_run (s.loop);
  return shim_run_exit_command (&s, &orig);
}

int
main (int argc, char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "recvtty"))
    return shim_recvtty_main (argc - 1, argv + 1);
  __attribute__ ((cleanup (shim_options_clear))) ShimOptions o = { 0 };
  GError *err = NULL;
  if (!shim_options_parse (&o, &argc, &argv, &err))
    return fail ("", err);
  if (o.version)
    {
      fputs (SHIM_VERSION_TEXT, stdout);
      return 0;
    }
  signal (SIGPIPE, SIG_IGN);
  if (o.adopt_pid)
    {
      int keep[1] = { (int) o.console_fd };
      close_inherited_fds (keep, 1);
      return adopt_main (&o);
    }

  __attribute__ ((cleanup (shim_clear))) Shim s;
  shim_init (&s, &o);
  s.sync_fd = env_fd ("_OCI_SYNCPIPE");
  s.start_fd = env_fd ("_OCI_STARTPIPE");
  s.attach_pipe_fd = env_fd ("_OCI_ATTACHPIPE");
  {
    /* Kept: the pipes and --preserve-fds ones (which the runtime child re-opens). */
    int npreserve = MIN (shim_preserve_fds (&o), 4096);
    g_autofree int *keep = g_new (int, (gsize) npreserve + 3);
    keep[0] = s.sync_fd; keep[1] = s.start_fd; keep[2] = s.attach_pipe_fd;
    for (int i = 0; i < npreserve; i++)
      keep[3 + i] = 3 + i;
    close_inherited_fds (keep, (size_t) npreserve + 3);
  }

  if (!shim_logs_open (&s.logs, &o, &err))
    {
      shim_sync_send (&s, s.sync_fd, "pid", -1, err->message);
      return fail ("", err);
    }
  bool passthrough = shim_logs_passthrough (&s.logs);
  if (passthrough && (isatty (0) || isatty (1) || isatty (2)))
    {
      err = g_error_new (BERTH_ERROR, EINVAL, "--log-path passthrough: the shim's stdio must not be a tty");
      shim_sync_send (&s, s.sync_fd, "pid", -1, err->message);
      return fail ("", err);
    }
  int adj = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adj >= 0)
    {
      if (write (adj, "-1000", 5) < 0)
        { /* no CAP_SYS_RESOURCE: fine */ }
      close (adj);
    }

  /* Nothing is forked before podman's start byte (it moves us into our cgroup first). */
  if (s.start_fd >= 0)
    {
      char c;
      ssize_t n;
      while ((n = read (s.start_fd, &c, 1)) < 0 && errno == EINTR)
        ;
      g_debug ("start pipe: %s", n == 1 ? "start byte received" : "closed");
      if (!o.exec_attach)
        berth_close_fdp (&s.start_fd);
    }

  if (!o.sync)
    {
      pid_t pid = fork ();
      if (pid < 0)
        return fail ("fork: ", g_error_new (BERTH_ERROR, errno, "%s", g_strerror (errno)));
      if (pid > 0)
        {
          if (o.conmon_pidfile && !shim_write_pidfile (o.conmon_pidfile, pid, &err))
            {
              kill (pid, SIGKILL);
              return fail ("", err);
            }
          _exit (0);
        }
    }
  else if (o.conmon_pidfile && !shim_write_pidfile (o.conmon_pidfile, getpid (), &err))
    return fail ("", err);

  if (!passthrough)
    stdio_to_devnull ();
  setsid ();
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    g_debug ("PR_SET_CHILD_SUBREAPER: %s", g_strerror (errno));

  s.loop = g_main_loop_new (NULL, FALSE);
  sigset_t orig;
  int w[3];
  if (!shim_signals_setup (&s, &orig, &err) || !stdio_setup (&s, passthrough, w, &err)
      || (!passthrough && !shim_attach_listen (&s, &err)) || (!passthrough && !shim_ctl_open (&s, &err)) || !shim_sdnotify_listen (&s, &err))
    {
      shim_sync_send (&s, s.sync_fd, "pid", -1, err->message);
      return fail ("", err);
    }
  if (o.exec_attach)
    shim_sync_send (&s, s.attach_pipe_fd, "pid", 0, NULL);

  g_autoptr (GPtrArray) rargv = shim_runtime_argv (&o, s.console_path);
  pid_t rpid = fork ();
  if (rpid < 0)
    {
      err = g_error_new (BERTH_ERROR, errno, "fork runtime: %s", g_strerror (errno));
      shim_sync_send (&s, s.sync_fd, "pid", -1, err->message);
      return fail ("", err);
    }
  if (rpid > 0 && s.messages.level >= SHIM_MSG_DEBUG)
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) rargv->pdata);
      g_debug ("runtime child %d: %s", (int) rpid, cmd);
    }
  if (rpid == 0)
    shim_runtime_child_exec (&o, (char **) rargv->pdata, w[0], w[1], w[2],
                             o.exec_attach ? s.start_fd : -1, &orig);
  s.runtime_pid = rpid;
  /* Passthrough: the runtime child took our stdio for the container; we
   * drop it as conmon does, so that a pipe reader sees EOF when the
   * container is done, and the exit command (podman's cleanup prints the
   * container ID) does not write into the user's output. */
  if (passthrough)
    stdio_to_devnull ();
  for (int i = 0; i < 3; i++)
    if (w[i] >= 0)
      close (w[i]);
  berth_close_fdp (&s.start_fd);
  berth_close_fdp (&s.attach_pipe_fd);

  shim_reap (&s);
  if (!s.container_done && !s.runtime_failed)
    g_main_loop_run (s.loop);
  if (s.runtime_failed)
    {
      shim_console_socket_remove (&s);
      return 1;
    }
  shim_console_socket_remove (&s);
  shim_logs_close (&s.logs);
  int code = shim_run_exit_command (&s, &orig);
  return code < 0 ? 255 : code;
}
