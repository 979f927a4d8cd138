/* events: runc-compatible stats and OOM events, relayed from the
 * berth-monitor serving the state root (started here when there is none).
 * One exception: `--stats ID` with no monitor running reads its one sample
 * here, with the monitor's own sampling code (shared/cgroup-stats*), rather
 * than starting a monitor for a single read. */
#include "cli.h"

#include "cgroup-stats.h"
#include "console.h"
#include "error.h"
#include "monitor-proto.h"
#include "proc.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_ATTEMPTS 200

/* $BERTH_MONITOR, else berth-monitor next to this binary, else the build
 * tree's monitor/berth-monitor. */
static char *
monitor_path (void)
{
  const char *env = g_getenv ("BERTH_MONITOR");
  if (env != NULL && *env)
    return g_strdup (env);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : g_strdup ("/usr/bin");
  char *p = g_build_filename (dir, "berth-monitor", NULL);
  if (access (p, X_OK) == 0)
    return p;
  g_free (p);
  p = g_build_filename (dir, "..", "monitor", "berth-monitor", NULL);
  if (access (p, X_OK) == 0)
    return p;
  g_free (p);
  return g_build_filename (dir, "berth-monitor", NULL);
}

static int
connect_monitor (int root_fd)
{
  g_autofree char *path = berth_monitor_socket_path (root_fd);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  g_strlcpy (sa.sun_path, path, sizeof sa.sun_path);
  berth_autofd int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return -1;
  return berth_steal_fd (&fd);
}

/* Start a detached monitor (double fork, setsid, cwd /, stdio /dev/null).
 * Returns its first word: 'R' ready, 'B' another one holds the root; false
 * with an error when it could not start. */
static bool
spawn_monitor (const char *root, char *ret_status, GError **error)
{
  g_autofree char *exe = monitor_path ();
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return berth_fail_errno (error, errno, "events: pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (p[0]), close (p[1]);
      return berth_fail_errno (error, errno, "events: fork");
    }
  if (pid == 0)
    {
      setsid ();
      pid_t pid2 = fork ();
      if (pid2 != 0)
        _exit (pid2 < 0);
      if (chdir ("/") < 0)
        _exit (127);
      int null = open ("/dev/null", O_RDWR);
      if (null < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (null, 2) < 0 || dup2 (p[1], 3) < 0)
        _exit (127);
      berth_close_fds_from (4);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      execl (exe, "berth-monitor", "--root", root, "--ready-fd", "3", (char *) NULL);
      char msg[512];
      int n = snprintf (msg, sizeof msg, "Xexec %s: %s", exe, strerror (errno));
      if (write (3, msg, (size_t) n) < 0)
        _exit (127);
      _exit (127);
    }
  close (p[1]);
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  char buf[1024];
  ssize_t n, len = 0;
  while (len < (ssize_t) sizeof buf - 1 && (n = read (p[0], buf + len, sizeof buf - 1 - len)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      len += n;
    }
  close (p[0]);
  buf[len] = '\0';
  if (len == 0)
    return berth_fail_code (error, EIO, "events: %s exited while starting", exe);
  if (buf[0] == 'X')
    return berth_fail_code (error, EIO, "events: %s", buf + 1);
  *ret_status = buf[0];
  return true;
}

static void
sleep_ms (unsigned ms)
{
  struct timespec ts = { 0, (long) ms * 1000000L };
  nanosleep (&ts, NULL);
}

/* `--stats ID` without a monitor: the sample the monitor would send. */
static bool
stats_in_process (int root_fd, const char *id, GError **error)
{
  berth_autofd int dir_fd = berth_state_dir_open (root_fd, id, error);
  if (dir_fd < 0)
    return false;
  g_autoptr (GError) local = NULL;
  g_autoptr (BerthContainerState) st = berth_state_read (dir_fd, &local);
  if (st == NULL && !g_error_matches (local, BERTH_ERROR, ENOENT))
    return berth_fail_code (error, local->code, "events: container \"%s\": %s", id, local->message);
  if (st == NULL || st->pid <= 0 || !berth_proc_is_alive (st->pid, st->pid_start_time))
    return berth_fail_code (error, EINVAL, "events: container \"%s\" is not running", id);
  g_autoptr (BerthCgroup) cg = st->cgroup ? berth_cgroup_deserialize (st->cgroup, error) : NULL;
  if (st->cgroup != NULL && cg == NULL)
    return false;
  g_autoptr (BerthStatsSource) src = berth_stats_source_new (st->pid, cg, error);
  g_autoptr (GString) line = g_string_sized_new (4096);
  if (src == NULL || !berth_stats_source_append_line (src, id, line, error))
    return g_prefix_error (error, "events: "), false;
  if (!berth_write_all (STDOUT_FILENO, line->str, line->len) && errno != EPIPE)
    return berth_fail_errno (error, errno, "events: write to stdout");
  return true;
}

/* Whether stdout is a kind of file the monitor writes to itself
 * (monitor-proto.h): a pipe, a socket, a regular file or /dev/null.  A
 * terminal (or anything else) is relayed. */
static bool
stdout_for_monitor (void)
{
  struct stat st;
  if (fstat (STDOUT_FILENO, &st) < 0)
    return false;
  return S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode) || S_ISREG (st.st_mode)
         || (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
}

/* "!<errno> <message>" from the monitor, as this command's error. */
static int
monitor_error (char *line, GError **error)
{
  char *end;
  long code = strtol (line + 1, &end, 10);
  berth_fail_code (error, code > 0 ? (int) code : EIO, "events: %s", *end ? end + 1 : "monitor error");
  return -1;
}

/* Send the request (with our stdout, when the monitor may write to it) and
 * follow the answer: relay its lines to stdout, or, when the monitor writes
 * to stdout itself, wait for the end.  Returns 1 done, 0 the monitor went
 * away before accepting (ask again), -1 error. */
static int
relay (int fd, const BerthMonitorRequest *req, GError **error)
{
  g_autofree char *line = berth_monitor_request_format (req);
  bool sent = !req->once && stdout_for_monitor () ? berth_send_fd (fd, STDOUT_FILENO, line, NULL)
                                                   : berth_write_all (fd, line, strlen (line));
  if (!sent)
    return 0;
  enum { WAITING, RELAYING, DIRECT } phase = WAITING;
  g_autoptr (GString) buf = g_string_sized_new (16384);
  char chunk[65536];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return phase != WAITING ? 1 : 0;
      g_string_append_len (buf, chunk, n);
      /* Whole lines only. */
      char *last_nl = memrchr (buf->str, '\n', buf->len);
      if (last_nl == NULL)
        continue;
      gsize upto = (gsize) (last_nl - buf->str) + 1, start = 0;
      /* Control lines: the answer, then (DIRECT) nothing but an error. */
      while (phase != RELAYING && start < upto)
        {
          char *l = buf->str + start, *nl = memchr (l, '\n', upto - start);
          *nl = '\0';
          if (l[0] == '!')
            return monitor_error (l, error);
          if (phase == WAITING && strcmp (l, BERTH_MONITOR_ACK) == 0)
            phase = RELAYING;
          else if (phase == WAITING && strcmp (l, BERTH_MONITOR_ACK_DIRECT) == 0)
            phase = DIRECT;
          else
            return berth_fail_code (error, EPROTO, "events: unexpected answer from berth-monitor"), -1;
          start = (gsize) (nl - buf->str) + 1;
        }
      if (upto > start && !berth_write_all (STDOUT_FILENO, buf->str + start, upto - start))
        {
          if (errno == EPIPE)
            return 1;         /* the reader is gone: nothing left to do */
          berth_fail_errno (error, errno, "events: write to stdout");
          return -1;
        }
      g_string_erase (buf, 0, upto);
    }
}

int
cmd_events (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  gboolean stats = FALSE, all = FALSE;
  g_autofree char *interval = NULL;
  GOptionEntry entries[] = {
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "display the container's stats then exit", NULL },
    { "interval", 0, 0, G_OPTION_ARG_FILENAME, &interval, "set the stats collection interval (default 5s)", "DURATION" },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, "every container of --root, including ones created later (berth extension)", NULL },
    { NULL }
  };
  if (!cli_parse ("events", "<container-id>", entries, &argc, &argv, error)
      || !cli_require_args ("events", argc, argv, all ? 0 : 1, all ? "" : "container ID", error))
    return 1;
  g_auto (BerthMonitorRequest) req = { .interval_ns = 5000000000ull, .once = stats };
  if (interval != NULL)
    {
      if (!berth_parse_go_duration (interval, &req.interval_ns, error))
        return g_prefix_error (error, "events: --interval: "), 1;
      if (req.interval_ns == 0)
        return berth_fail (error, "events: --interval: must be greater than 0, not \"%s\"", interval), 1;
    }
  /* Cheap checks here (no state parsing on the hot path); whether the
   * container is running is the monitor's answer. */
  berth_autofd int root_fd = berth_state_root_open (g->root, all, error);
  if (!all)
    {
      struct stat st;
      if (!berth_id_validate (argv[1], error))
        return 1;
      if (root_fd < 0 || fstatat (root_fd, argv[1], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
        {
          g_clear_error (error);
          return berth_fail_code (error, ENOENT, "container \"%s\" does not exist", argv[1]), 1;
        }
      req.id = g_strdup (argv[1]);
    }
  if (root_fd < 0)
    return 1;
  for (int attempt = 0; attempt < START_ATTEMPTS; attempt++)
    {
      berth_autofd int fd = connect_monitor (root_fd);
      if (fd < 0 && req.once && req.id != NULL)
        return stats_in_process (root_fd, req.id, error) ? 0 : 1;
      if (fd < 0)
        {
          char st = 0;
          if (!spawn_monitor (g->root, &st, error))
            return 1;
          if (st != 'R')
            sleep_ms (5);       /* another monitor is starting or exiting */
          continue;
        }
      int r = relay (fd, &req, error);
      if (r != 0)
        return r > 0 ? 0 : 1;
      sleep_ms (2);
    }
  return berth_fail_code (error, EAGAIN, "events: could not reach berth-monitor for %s", g->root), 1;
}
