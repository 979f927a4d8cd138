/* The runtime call: `RT [--systemd-cgroup] [runtime-args] create|exec|restore ... CID`
 * and the forked child that execs it with the container's stdio. */
#include "shim.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime-cmd.h"

GPtrArray *
shim_runtime_argv (const ShimOptions *o, const char *console_socket)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
#define ADD(x) g_ptr_array_add (a, g_strdup (x))
  ADD (o->runtime);
  if (o->systemd_cgroup)
    ADD ("--systemd-cgroup");
  for (char **p = o->runtime_args; p && *p; p++)
    ADD (*p);
  if (o->exec)
    {
      ADD ("exec");
      ADD ("--pid-file"); ADD (o->container_pidfile);
      ADD ("--process"); ADD (o->exec_process_spec);
      ADD ("--detach");
      if (o->terminal)
        ADD ("--tty");
    }
  else if (o->restore)
    {
      ADD ("restore");
      ADD ("--bundle"); ADD (o->bundle);
      ADD ("--pid-file"); ADD (o->container_pidfile);
      ADD ("--detach");
      ADD ("--image-path"); ADD (o->restore);
      ADD ("--work-path"); ADD (o->bundle);
    }
  else
    {
      ADD ("create");
      ADD ("--bundle"); ADD (o->bundle);
      ADD ("--pid-file"); ADD (o->container_pidfile);
    }
  if (!o->exec)
    {
      if (o->no_pivot)
        ADD ("--no-pivot");
      if (o->no_new_keyring)
        ADD ("--no-new-keyring");
    }
  if (console_socket)
    {
      ADD ("--console-socket");
      ADD (console_socket);
    }
  for (char **p = o->runtime_opts; p && *p; p++)
    ADD (*p);
  ADD (o->cid);
#undef ADD
  g_ptr_array_add (a, NULL);
  return a;
}

int
shim_preserve_fds (const ShimOptions *o)
{
  for (char **p = o->runtime_opts; p && *p; p++)
    {
      const char *v = NULL;
      if (g_str_equal (*p, "--preserve-fds") && p[1])
        v = p[1];
      else if (g_str_has_prefix (*p, "--preserve-fds="))
        v = *p + strlen ("--preserve-fds=");
      int64_t n;
      if (v && berth_parse_int64 (v, 0, 1 << 20, &n))
        return (int) n;
    }
  return 0;
}

/* In the forked child: async-signal-safe calls only up to execv. */
void
shim_runtime_child_exec (const ShimOptions *o, char **argv, int in_fd, int out_fd, int err_fd,
                         int second_start_fd, const sigset_t *orig_mask)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  signal (SIGPIPE, SIG_DFL);
  if (second_start_fd >= 0)
    {
      /* exec --exec-attach: wait for podman's second start byte. */
      char c;
      while (read (second_start_fd, &c, 1) < 0 && errno == EINTR)
        ;
    }
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (in_fd == -2)
    in_fd = 0;  /* passthrough: keep ours */
  else if (in_fd < 0)
    in_fd = null;
  if (out_fd == -2)
    out_fd = 1;
  else if (out_fd < 0)
    out_fd = null;
  if (err_fd == -2)
    err_fd = 2;
  else if (err_fd < 0)
    err_fd = null;
  /* dup2 onto 0..2 clears CLOEXEC; when an fd already is 0..2, clear it by hand. */
  int fds[3] = { in_fd, out_fd, err_fd };
  int moved[3];
  for (int i = 0; i < 3; i++)
    moved[i] = fds[i] < 3 && fds[i] != i ? fcntl (fds[i], F_DUPFD_CLOEXEC, 3) : fds[i];
  for (int i = 0; i < 3; i++)
    {
      if (moved[i] == i)
        fcntl (i, F_SETFD, 0);
      else if (dup2 (moved[i], i) < 0)
        _exit (127);
    }
  int n = shim_preserve_fds (o);
  for (int fd = 3; fd < 3 + n; fd++)
    fcntl (fd, F_SETFD, 0);
  int adj = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adj >= 0)
    {
      if (write (adj, "0", 1) < 0)
        { /* best effort */ }
      close (adj);
    }
  if (o->replace_listen_pid && getenv ("LISTEN_PID"))
    {
      char buf[16];
      snprintf (buf, sizeof buf, "%d", (int) getpid ());
      setenv ("LISTEN_PID", buf, 1);
    }
  sigprocmask (SIG_SETMASK, orig_mask, NULL);
  execv (argv[0], argv);
  dprintf (2, "berth-shim: exec %s: %s\n", argv[0], strerror (errno));
  _exit (127);
}
