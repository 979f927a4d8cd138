/* The supervisor loop: signals (signalfd), the runtime child, the container's
 * stdio, its exit (exit files, oom, exec sync message), the exit command. */
#include "shim.h"
#include "supervise.h"

#include "console.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ------------------------------------------------------------------ sync pipe */
void
shim_sync_send (Shim *s, int fd, const char *key0, int64_t value, const char *message)
{
  if (fd < 0)
    return;
  g_autofree char *line = shim_sync_line (s->o->api_version, key0, value, message);
  /* podman may already have closed its end: EPIPE is ignored (SIGPIPE is). */
  if (!berth_write_all (fd, line, strlen (line)))
    g_debug ("sync pipe: %s", g_strerror (errno));
}

/* ------------------------------------------------------------------ container stdin */
static gboolean
stdin_out_cb (int fd, GIOCondition cond, gpointer data)
{
  Shim *s = data;
  s->stdin_src = 0;
  shim_stdin_flush (s);
  return G_SOURCE_REMOVE;
}

static void
stdin_close (Shim *s)
{
  if (s->stdin_src)
    g_source_remove (s->stdin_src);
  s->stdin_src = 0;
  berth_close_fdp (&s->stdin_fd);
  if (s->stdin_queue)
    g_byte_array_set_size (s->stdin_queue, 0);
  shim_attach_pause_input (s, false);
}

void
shim_stdin_flush (Shim *s)
{
  if (s->stdin_fd < 0 || s->stdin_queue == NULL)
    return;
  while (s->stdin_queue->len > 0)
    {
      ssize_t w = write (s->stdin_fd, s->stdin_queue->data, s->stdin_queue->len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            break;
          stdin_close (s);  /* EPIPE: the container closed its stdin */
          return;
        }
      g_byte_array_remove_range (s->stdin_queue, 0, (guint) w);
    }
  if (s->stdin_queue->len > 0)
    {
      if (!s->stdin_src)
        s->stdin_src = berth_fd_add (s->stdin_fd, G_IO_OUT | G_IO_ERR, stdin_out_cb, s);
      shim_attach_pause_input (s, s->stdin_queue->len >= SHIM_STDIN_QUEUE_MAX);
      return;
    }
  shim_attach_pause_input (s, false);
  if (s->stdin_close_pending)
    stdin_close (s);
}

void
shim_stdin_shutdown (Shim *s)
{
  s->stdin_close_pending = true;
  shim_stdin_flush (s);
}

/* A resize that arrives before the runtime has sent the pty master (podman
 * writes an exec session's size to ctl before the runtime runs) is applied
 * when the master arrives: conmon keeps it in its winsz fifo. */
void
shim_resize (Shim *s, int rows, int cols)
{
  if (!s->o->terminal)
    return;
  if (s->stdout_fd < 0)
    {
      s->pending_rows = (unsigned short) rows;
      s->pending_cols = (unsigned short) cols;
      return;
    }
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (ioctl (s->stdout_fd, TIOCSWINSZ, &ws) < 0)
    g_debug ("resize: %s", g_strerror (errno));
}

/* ------------------------------------------------------------------ container output */
/* One read of container output, logged and relayed: the byte count, 0 at
 * EOF, -1 with errno (EAGAIN when there is nothing to read). */
static ssize_t
output_read_once (Shim *s, int fd, ShimStream stream)
{
  if (s->read_buf == NULL)
    s->read_buf = g_malloc (SHIM_READ_BUF_SIZE);
  ssize_t n;
  while ((n = read (fd, s->read_buf, SHIM_READ_BUF_SIZE)) < 0 && errno == EINTR)
    ;
  if (n > 0)
    {
      shim_logs_write (&s->logs, stream, s->read_buf, (size_t) n);
      shim_attach_broadcast (s, stream, s->read_buf, (size_t) n);
    }
  return n;
}

/* The output watch reads at most once per SHIM_OUTPUT_INTERVAL_US: after a
 * read that did not fill the buffer, the fd is left out of the poll until
 * then, so a fast writer is read in large chunks instead of one wakeup per
 * write of its (a 4 KiB write each, for `yes | head`).  Output is relayed
 * at most that much later; a full buffer is read again at once, so
 * throughput is not capped.  A GSource of its own, whose GPollFD events it
 * sets itself: switching a g_unix_fd_add source off and on (or setting a
 * ready time) costs GLib eventfd wakeups each time. */
#define SHIM_OUTPUT_INTERVAL_US 1000

typedef struct
{
  GSource source;
  Shim *s;
  GPollFD pfd;
  gint64 paused_until;   /* 0 when the fd is polled */
} OutputSource;

static gboolean
output_prepare (GSource *source, gint *timeout)
{
  OutputSource *os = (OutputSource *) source;
  *timeout = -1;
  if (os->paused_until == 0)
    return FALSE;
  gint64 left = os->paused_until - g_source_get_time (source);
  if (left <= 0)
    return TRUE;
  *timeout = (gint) ((left + 999) / 1000);
  return FALSE;
}

static gboolean
output_check (GSource *source)
{
  OutputSource *os = (OutputSource *) source;
  return os->pfd.revents != 0 || (os->paused_until != 0 && g_source_get_time (source) >= os->paused_until);
}

static gboolean
output_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  OutputSource *os = (OutputSource *) source;
  Shim *s = os->s;
  int fd = os->pfd.fd;
  bool is_out = fd == s->stdout_fd;
  GIOCondition cond = os->pfd.revents;
  os->pfd.events = G_IO_IN | G_IO_HUP | G_IO_ERR;
  os->paused_until = 0;
  ssize_t n = output_read_once (s, fd, is_out ? SHIM_STREAM_STDOUT : SHIM_STREAM_STDERR);
  if (n > 0)
    {
      if (n < SHIM_READ_BUF_SIZE)
        {
          os->pfd.events = 0;
          os->paused_until = g_source_get_time (source) + SHIM_OUTPUT_INTERVAL_US;
        }
      return G_SOURCE_CONTINUE;
    }
  if (n < 0 && errno == EAGAIN && !(cond & (G_IO_HUP | G_IO_ERR)))
    return G_SOURCE_CONTINUE;
  /* EOF (or EIO on a pty whose slave is gone): stop watching. */
  if (is_out)
    s->stdout_src = 0;
  else
    s->stderr_src = 0;
  return G_SOURCE_REMOVE;
}

static guint
output_watch (Shim *s, int fd)
{
  static GSourceFuncs funcs = { .prepare = output_prepare, .check = output_check, .dispatch = output_dispatch };
  GSource *source = g_source_new (&funcs, sizeof (OutputSource));
  OutputSource *os = (OutputSource *) source;
  os->s = s;
  os->pfd = (GPollFD) { .fd = fd, .events = G_IO_IN | G_IO_HUP | G_IO_ERR };
  g_source_add_poll (source, &os->pfd);
  g_source_set_can_recurse (source, TRUE);
  guint id = g_source_attach (source, NULL);
  g_source_unref (source);
  return id;
}

static void
output_drain (Shim *s, int fd, ShimStream stream)
{
  if (fd < 0)
    return;
  int fl = fcntl (fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK))
    fcntl (fd, F_SETFL, fl | O_NONBLOCK);
  for (int i = 0; i < 100000 && output_read_once (s, fd, stream) > 0; i++)
    ;
}

static void
watch_output (Shim *s)
{
  if (s->stdout_fd >= 0 && !s->stdout_src)
    s->stdout_src = output_watch (s, s->stdout_fd);
  if (s->stderr_fd >= 0 && !s->stderr_src)
    s->stderr_src = output_watch (s, s->stderr_fd);
}

/* ------------------------------------------------------------------ console socket */
static bool
console_take (Shim *s, GError **error)
{
  berth_autofd int conn = accept4 (s->console_listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return berth_fail_errno (error, errno, "console socket: accept");
  berth_autofd int master = berth_recv_fd (conn, NULL, error);
  if (master < 0)
    return false;
  fcntl (master, F_SETFD, FD_CLOEXEC);
  struct termios t;
  if (tcgetattr (master, &t) == 0)
    {
      t.c_oflag |= ONLCR;
      tcsetattr (master, TCSANOW, &t);
    }
  fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK);
  if (s->o->stdin_)
    {
      s->stdin_fd = fcntl (master, F_DUPFD_CLOEXEC, 3);
      s->stdin_queue = g_byte_array_new ();
    }
  s->stdout_fd = berth_steal_fd (&master);
  shim_console_socket_remove (s);
  if (s->pending_rows != 0 || s->pending_cols != 0)
    shim_resize (s, s->pending_rows, s->pending_cols);
  return true;
}

void
shim_console_socket_remove (Shim *s)
{
  if (s->console_src)
    g_source_remove (s->console_src);
  s->console_src = 0;
  berth_close_fdp (&s->console_listen_fd);
  if (s->console_path)
    unlink (s->console_path);
  if (s->console_dir)
    rmdir (s->console_dir);
  g_clear_pointer (&s->console_path, g_free);
  g_clear_pointer (&s->console_dir, g_free);
}

static gboolean
console_accept_cb (int fd, GIOCondition cond, gpointer data)
{
  Shim *s = data;
  g_autoptr (GError) err = NULL;
  if (!console_take (s, &err))
    g_debug ("%s", err->message);
  return s->console_src ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

bool
shim_console_socket_create (Shim *s, GError **error)
{
  const char *tmp = g_getenv ("TMPDIR");
  g_autofree char *tmpl = g_build_filename (tmp && *tmp ? tmp : "/tmp", "berth-shim-term.XXXXXX", NULL);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    return berth_fail_errno (error, errno, "console socket: mkdtemp %s", tmpl);
  s->console_dir = g_steal_pointer (&tmpl);
  s->console_path = g_build_filename (s->console_dir, "sock", NULL);
  berth_autofd int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (fd < 0)
    return berth_fail_errno (error, errno, "console socket");
  if (strlen (s->console_path) >= sizeof addr.sun_path)
    return berth_fail (error, "console socket: TMPDIR path too long");
  strcpy (addr.sun_path, s->console_path);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    return berth_fail_errno (error, errno, "console socket: bind %s", s->console_path);
  s->console_listen_fd = berth_steal_fd (&fd);
  s->console_src = berth_fd_add (s->console_listen_fd, G_IO_IN, console_accept_cb, s);
  return true;
}

/* ------------------------------------------------------------------ exit */
static void
write_exit_files (Shim *s)
{
  const ShimOptions *o = s->o;
  g_autoptr (GError) err = NULL;
  if (shim_oom_check (&s->oom))
    {
      /* podman reads <bundle>/oom; a container handed over by `berth run -d` has no bundle
       * here: its state dir. Never the working directory (conmon's habit). */
      const char *dir = o->bundle ? o->bundle : o->state_dir;
      if (dir)
        {
          g_autofree char *p = g_build_filename (dir, "oom", NULL);
          int fd = open (p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
          if (fd >= 0)
            close (fd);
        }
      if (o->persist_dir && !shim_atomic_write (o->persist_dir, "oom", "", &err))
        g_clear_error (&err);
    }
  char buf[32];
  g_snprintf (buf, sizeof buf, "%d", s->exit_code);
  if (o->exit_dir && !shim_atomic_write (o->exit_dir, o->cid, buf, &err))
    g_clear_error (&err);
  if (o->persist_dir && !shim_atomic_write (o->persist_dir, "exit", buf, &err))
    g_clear_error (&err);
  if (o->state_dir && !shim_atomic_write (o->state_dir, "exit", buf, &err))
    g_clear_error (&err);
}

static void
container_exited (Shim *s, int status)
{
  s->container_done = true;
  s->container_status = status;
  if (s->timed_out)
    s->exit_code = -1;
  else if (WIFEXITED (status))
    s->exit_code = WEXITSTATUS (status);
  else if (WIFSIGNALED (status))
    s->exit_code = 128 + WTERMSIG (status);
  else
    s->exit_code = 255;
  g_info ("container pid %d exited, status %d%s", (int) s->container_pid, s->exit_code,
          s->timed_out ? " (--timeout)" : "");
  /* Everything the container wrote reaches the log before the exit file,
   * and every attach client that connected before. */
  shim_attach_accept_pending (s);
  output_drain (s, s->stdout_fd, SHIM_STREAM_STDOUT);
  output_drain (s, s->stderr_fd, SHIM_STREAM_STDERR);
  if (!s->o->no_sync_log)
    shim_logs_sync (&s->logs);
  shim_attach_close_all (s);
  write_exit_files (s);
  if (s->o->exec)
    {
      if (s->timed_out)
        shim_sync_send (s, s->sync_fd, "exit_code", -1, "command timed out");
      else
        shim_sync_send (s, s->sync_fd, "exit_code", s->exit_code, NULL);
    }
  g_main_loop_quit (s->loop);
}

static gboolean
timeout_cb (gpointer data)
{
  Shim *s = data;
  if (s->container_pid > 0 && !s->container_done)
    {
      s->timed_out = true;
      kill (s->container_pid, SIGKILL);
    }
  return G_SOURCE_REMOVE;
}

static void
runtime_failed (Shim *s, const char *why)
{
  char buf[8192];
  ssize_t n = 0;
  if (s->stderr_fd >= 0)
    {
      fcntl (s->stderr_fd, F_SETFL, fcntl (s->stderr_fd, F_GETFL) | O_NONBLOCK);
      n = read (s->stderr_fd, buf, sizeof buf - 1);
    }
  g_autofree char *msg = n > 0 ? g_strndup (buf, (gsize) n) : g_strdup (why);
  size_t ml = strlen (msg);
  while (ml > 0 && msg[ml - 1] == '\n')
    ml--;
  g_critical ("runtime failed: %.*s", (int) ml, msg);
  shim_sync_send (s, s->sync_fd, "pid", -1, msg);
  s->exit_code = 1;
  s->runtime_failed = true;
  g_main_loop_quit (s->loop);
}

static void
runtime_exited (Shim *s, int status)
{
  s->runtime_done = true;
  s->runtime_status = status;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_autofree char *why = WIFEXITED (status)
                                 ? g_strdup_printf ("runtime exited with status %d", WEXITSTATUS (status))
                                 : g_strdup_printf ("runtime killed by signal %d", WTERMSIG (status));
      runtime_failed (s, why);
      return;
    }
  if (s->o->terminal && s->stdout_fd < 0 && s->console_listen_fd >= 0)
    {
      g_autoptr (GError) err = NULL;
      if (!console_take (s, &err))
        {
          runtime_failed (s, err->message);
          return;
        }
    }
  g_autofree char *text = berth_read_file_at (AT_FDCWD, s->o->container_pidfile, 64, NULL);
  int64_t pid;
  if (text == NULL || !berth_parse_int64 (g_strstrip (text), 1, INT32_MAX, &pid))
    {
      g_autofree char *why = g_strdup_printf ("read container pid file %s: %s", s->o->container_pidfile,
                                              text ? "not a pid" : g_strerror (errno));
      runtime_failed (s, why);
      return;
    }
  s->container_pid = (pid_t) pid;
  g_autoptr (GError) err = NULL;
  if (!shim_oom_watch (&s->oom, s->container_pid, &err))
    g_debug ("oom: %s", err->message);
  g_info ("container created, pid %d", (int) pid);
  shim_sync_send (s, s->sync_fd, "pid", pid, NULL);
  watch_output (s);
  /* Set-up is over (option parsing, the runtime's fork, the sync pipe): the
   * shim now mostly waits; it keeps only its live state. */
  berth_release_idle_memory_before_next_wait ();
  if (s->o->timeout > 0)
    g_timeout_add_seconds ((guint) s->o->timeout, timeout_cb, s);
  gpointer st;
  if (g_hash_table_lookup_extended (s->early_exits, GINT_TO_POINTER (s->container_pid), NULL, &st))
    container_exited (s, GPOINTER_TO_INT (st));
}

void
shim_reap (Shim *s)
{
  for (;;)
    {
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);
      if (pid <= 0)
        return;
      if (pid == s->runtime_pid && !s->runtime_done)
        runtime_exited (s, status);
      else if (pid == s->container_pid && !s->container_done)
        container_exited (s, status);
      else if (s->container_pid == 0 && g_hash_table_size (s->early_exits) < 4096)
        g_hash_table_insert (s->early_exits, GINT_TO_POINTER (pid), GINT_TO_POINTER (status));
      if (s->runtime_failed || s->container_done)
        return;
    }
}

static gboolean
signal_cb (int fd, GIOCondition cond, gpointer data)
{
  Shim *s = data;
  struct signalfd_siginfo si;
  while (read (fd, &si, sizeof si) == (ssize_t) sizeof si)
    {
      if (si.ssi_signo == SIGCHLD)
        shim_reap (s);
      else
        {
          /* SIGTERM/SIGINT/SIGQUIT: forward to the container, or the runtime while it runs. */
          pid_t target = s->container_pid > 0 && !s->container_done ? s->container_pid
                         : (!s->runtime_done ? s->runtime_pid : 0);
          if (target > 0)
            kill (target, (int) si.ssi_signo);
        }
    }
  return G_SOURCE_CONTINUE;
}

bool
shim_signals_setup (Shim *s, sigset_t *ret_orig_mask, GError **error)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGQUIT);
  if (sigprocmask (SIG_BLOCK, &set, ret_orig_mask) < 0)
    return berth_fail_errno (error, errno, "sigprocmask");
  s->sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sigfd < 0)
    return berth_fail_errno (error, errno, "signalfd");
  berth_fd_add (s->sigfd, G_IO_IN, signal_cb, s);
  return true;
}

void
shim_adopted (Shim *s, pid_t pid)
{
  s->runtime_done = true;
  s->container_pid = pid;
  g_autoptr (GError) err = NULL;
  if (!shim_oom_watch (&s->oom, pid, &err))
    g_debug ("oom: %s", err->message);
  watch_output (s);
  berth_release_idle_memory_before_next_wait ();
}

/* ------------------------------------------------------------------ exit command */
int
shim_run_exit_command (Shim *s, const sigset_t *orig_mask)
{
  const ShimOptions *o = s->o;
  int code = s->exit_code;
  if (o->exit_command == NULL)
    return code;
  g_info ("running the exit command %s", o->exit_command);
  prctl (PR_SET_CHILD_SUBREAPER, 0);
  shim_messages_close (&s->messages);
  berth_close_fds_from (3);
  pid_t pid = fork ();
  if (pid == 0)
    {
      sigprocmask (SIG_SETMASK, orig_mask, NULL);
      signal (SIGPIPE, SIG_DFL);
      if (o->exit_delay > 0)
        sleep ((unsigned) o->exit_delay);
      guint n = o->exit_command_args ? g_strv_length (o->exit_command_args) : 0;
      char **argv = g_new0 (char *, n + 2);
      argv[0] = o->exit_command;
      for (guint i = 0; i < n; i++)
        argv[i + 1] = o->exit_command_args[i];
      execv (o->exit_command, argv);
      _exit (127);
    }
  int status = 0, cmd_status = 0;
  pid_t w;
  while ((w = waitpid (-1, &status, 0)) > 0 || (w < 0 && errno == EINTR))
    if (w == pid)
      cmd_status = WIFEXITED (status) ? WEXITSTATUS (status) : 255;
  return cmd_status != 0 ? cmd_status : code;
}
