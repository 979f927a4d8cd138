/* berth-monitor --root ROOT [--ready-fd FD]
 *
 * Started detached by `berth events` (double fork, setsid, cwd /, stdio
 * /dev/null).  One per state root: it holds flock(LOCK_EX) on the root
 * directory for its lifetime (nothing else locks the root itself) and
 * listens on ROOT/.monitor.sock.  On FD it writes "R" once listening, "B"
 * when another monitor holds the root, or "X<message>" on failure.
 * It exits when it has had no client for BERTH_MONITOR_GRACE_MS (default
 * 2000) or the root is removed; SIGTERM/SIGINT/SIGHUP end it at once. */
#include "monitor.h"

#include "error.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

static bool
on_signal (int fd, uint32_t events, void *data)
{
  struct signalfd_siginfo si;
  if (read (fd, &si, sizeof si) == sizeof si)
    monitor_loop_quit ();
  return true;
}

static void
report (int ready_fd, const char *msg)
{
  if (ready_fd >= 0)
    {
      berth_write_all (ready_fd, msg, strlen (msg));
      close (ready_fd);
    }
}

static bool
setup (Monitor *m, GError **error)
{
  m->root_fd = berth_state_root_open (m->root, false, error);
  if (m->root_fd < 0)
    return false;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  sigprocmask (SIG_BLOCK, &set, NULL);
  int sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return berth_fail_errno (error, errno, "signalfd");
  monitor_watch (sfd, EPOLLIN, on_signal, NULL);
  /* Many containers: a few fds each. */
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  return monitor_containers_start (m, error) && monitor_clients_start (m, error);
}

int
main (int argc, char **argv)
{
  const char *root = NULL;
  int ready_fd = -1;
  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--root") == 0)
        root = argv[i + 1];
      else if (strcmp (argv[i], "--ready-fd") == 0)
        ready_fd = atoi (argv[i + 1]);
    }
  if (root == NULL || root[0] != '/')
    {
      fprintf (stderr, "usage: berth-monitor --root /ABSOLUTE/STATE/ROOT [--ready-fd FD]\n");
      report (ready_fd, "Xberth-monitor: --root must be an absolute path");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  Monitor m = { .root = g_strdup (root), .root_fd = -1, .inotify_fd = -1, .root_wd = -1,
                .listen_fd = -1, .grace_fd = -1, .grace_ms = 2000 };
  const char *grace = g_getenv ("BERTH_MONITOR_GRACE_MS");
  uint64_t v;
  if (grace != NULL && berth_parse_uint64 (grace, 3600000, &v))
    m.grace_ms = v;
  m.scratch = g_string_sized_new (8192);

  g_autoptr (GError) error = NULL;
  int rc = 0;
  berth_autofd int lock_fd = berth_state_root_open (root, false, &error);
  if (lock_fd >= 0 && flock (lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      /* Another monitor serves this root. */
      report (ready_fd, "B");
      return 0;
    }
  if (lock_fd < 0 || !monitor_loop_init (&error) || !setup (&m, &error))
    {
      g_autofree char *msg = g_strdup_printf ("Xberth-monitor: %s", error->message);
      report (ready_fd, msg);
      rc = 1;
    }
  else
    {
      report (ready_fd, "R");
      monitor_loop_run ();
    }
  monitor_clients_stop (&m);
  monitor_containers_stop (&m);
  berth_close_fdp (&m.root_fd);
  g_string_free (m.scratch, TRUE);
  monitor_loop_free ();
  g_free (m.root);
  return rc;
}
