/* Clients: `berth events` connections on ROOT/.monitor.sock.  Each sends one
 * request line; a subscription gets a timerfd at its interval.  Output goes
 * over the connection, or straight to the client's stdout when it passed one
 * the monitor can write without waiting on its reader (monitor-proto.h).
 * Output is written without blocking; a client that does not read is
 * dropped once 4 MiB are pending.  No clients for the grace period -> the
 * monitor exits. */
#include "monitor.h"

#include "error.h"
#include "loop.h"
#include "util.h"

#include <errno.h>
#include <glib-unix.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_PENDING (4u << 20)
#define MAX_REQUEST 1024

static void client_free (Client *cl);

static void
client_drop (Client *cl)
{
  Monitor *m = cl->m;
  g_ptr_array_remove (m->clients, cl);   /* frees cl */
  monitor_check_idle (m);
}

static bool
on_client_writable (int fd, uint32_t events, void *data);

static bool client_error (Client *cl, int code, const char *message);

static ssize_t
client_write (Client *cl, const char *buf, size_t len)
{
  if (cl->out_is_socket)
    return send (cl->out_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  return write (cl->out_fd, buf, len);
}

/* Writing to the client's stdout failed: a reader that went away ends the
 * stream quietly (as the client's own write would); any other error is
 * reported over the connection.  False when cl was dropped. */
static bool
client_direct_failed (Client *cl, int err)
{
  monitor_unwatch (&cl->out_watch);
  berth_close_fdp (&cl->out_fd);
  cl->out_fd = cl->fd;
  cl->out_is_socket = true;
  g_string_truncate (cl->out, 0);
  if (err == EPIPE)
    {
      client_drop (cl);
      return false;
    }
  g_autofree char *msg = g_strdup_printf ("write to stdout: %s", g_strerror (err));
  return client_error (cl, err, msg);
}

/* Write what is pending; false when the client is gone (dropped). */
static bool
client_flush (Client *cl)
{
  while (cl->out->len > 0)
    {
      ssize_t n = client_write (cl, cl->out->str, cl->out->len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          if (cl->out_watch == NULL)
            cl->out_watch = monitor_watch (cl->out_fd, EPOLLOUT, on_client_writable, cl);
          return true;
        }
      if (n < 0 && cl->out_fd != cl->fd)
        return client_direct_failed (cl, errno);
      if (n < 0)
        {
          client_drop (cl);
          return false;
        }
      g_string_erase (cl->out, 0, n);
    }
  monitor_unwatch (&cl->out_watch);
  if (cl->closing)
    {
      client_drop (cl);
      return false;
    }
  return true;
}

static bool
on_client_writable (int fd, uint32_t events, void *data)
{
  /* client_flush keeps this watch while output is pending and removes it
   * (or frees cl, watches first) otherwise. */
  client_flush (data);
  return true;
}

/* false when the client was dropped (cl is freed). */
static bool
client_send (Client *cl, const char *s, gsize len)
{
  if (cl->out->len + len > MAX_PENDING)
    {
      client_drop (cl);
      return false;
    }
  g_string_append_len (cl->out, s, len);
  return cl->out_watch != NULL || client_flush (cl);
}

/* Send what is pending, then close.  False when cl was dropped. */
static bool
client_end (Client *cl)
{
  cl->closing = true;
  monitor_unwatch (&cl->timer_watch);
  berth_close_fdp (&cl->timer_fd);
  return cl->out_watch != NULL || client_flush (cl);
}

/* Only before the answer or on the connection (client_direct_failed):
 * error lines go over the connection. */
static bool
client_error (Client *cl, int code, const char *message)
{
  g_autofree char *line = g_strdup_printf ("!%d %s\n", code, message);
  g_string_append (cl->out, line);
  return client_end (cl);
}

static bool
wants (Client *cl, Container *c)
{
  return cl->subscribed && !cl->closing && (cl->req.id == NULL || strcmp (cl->req.id, c->id) == 0);
}

void
monitor_broadcast (Monitor *m, Container *c, const char *line, gsize len)
{
  /* Copy: a send may drop a client and change the array. */
  g_autoptr (GPtrArray) targets = g_ptr_array_new ();
  for (guint i = 0; i < m->clients->len; i++)
    if (wants (m->clients->pdata[i], c))
      g_ptr_array_add (targets, m->clients->pdata[i]);
  for (guint i = 0; i < targets->len; i++)
    if (g_ptr_array_find (m->clients, targets->pdata[i], NULL))
      client_send (targets->pdata[i], line, len);
}

void
monitor_container_ended (Monitor *m, Container *c)
{
  g_autoptr (GPtrArray) targets = g_ptr_array_new ();
  for (guint i = 0; i < m->clients->len; i++)
    {
      Client *cl = m->clients->pdata[i];
      if (wants (cl, c) && cl->req.id != NULL)
        g_ptr_array_add (targets, cl);
    }
  for (guint i = 0; i < targets->len; i++)
    if (g_ptr_array_find (m->clients, targets->pdata[i], NULL))
      client_end (targets->pdata[i]);
}

/* One sample of the client's container(s); false when cl was dropped. */
static bool
client_sample (Client *cl)
{
  Monitor *m = cl->m;
  GString *s = m->scratch;
  g_string_truncate (s, 0);
  if (cl->req.id != NULL)
    {
      Container *c = monitor_container_get (m, cl->req.id);
      if (c != NULL && c->running)
        monitor_container_sample (c, s);
    }
  else
    {
      GHashTableIter it;
      gpointer v;
      g_hash_table_iter_init (&it, m->containers);
      while (g_hash_table_iter_next (&it, NULL, &v))
        if (((Container *) v)->running)
          monitor_container_sample (v, s);
    }
  return s->len == 0 || client_send (cl, s->str, s->len);
}

static bool
on_client_timer (int fd, uint32_t events, void *data)
{
  Client *cl = data;
  uint64_t ticks;
  if (read (fd, &ticks, sizeof ticks) != sizeof ticks)
    return true;
  client_sample (cl);
  return true;
}

/* The client's stdout, when the monitor can write to it without ever
 * waiting on a reader it does not know: a pipe through the monitor's own
 * non-blocking open of it (O_NONBLOCK on the client's would change its
 * file for everyone sharing it), a socket (MSG_DONTWAIT), a regular file,
 * /dev/null.  Only a file the client opened for writing: the reopen gives
 * no access the client did not have.  Returns the fd to write, or -1
 * (relay over the connection). */
static int
direct_output_open (int passed, bool *ret_is_socket)
{
  struct stat st;
  int fl = fcntl (passed, F_GETFL);
  if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) == O_RDONLY || fstat (passed, &st) < 0)
    return -1;
  *ret_is_socket = S_ISSOCK (st.st_mode);
  if (S_ISFIFO (st.st_mode))
    {
      char path[40];
      snprintf (path, sizeof path, "/proc/self/fd/%d", passed);
      return open (path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    }
  if (S_ISSOCK (st.st_mode) || S_ISREG (st.st_mode) || (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3)))
    return fcntl (passed, F_DUPFD_CLOEXEC, 3);
  return -1;
}

static void
client_subscribe (Client *cl)
{
  Monitor *m = cl->m;
  if (cl->req.id != NULL)
    {
      Container *c = monitor_container_get (m, cl->req.id);
      if (c == NULL)
        {
          g_autofree char *msg = g_strdup_printf ("container \"%s\" does not exist", cl->req.id);
          client_error (cl, ENOENT, msg);
          return;
        }
      if (!c->running)
        {
          g_autofree char *msg = g_strdup_printf ("container \"%s\" is not running", cl->req.id);
          client_error (cl, EINVAL, msg);
          return;
        }
    }
  if (!cl->req.once)
    {
      cl->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
      if (cl->timer_fd < 0)
        {
          client_error (cl, errno, "timerfd_create failed");
          return;
        }
    }
  cl->subscribed = true;
  bool is_socket = false;
  int direct = cl->req.once || cl->passed_fd < 0 ? -1 : direct_output_open (cl->passed_fd, &is_socket);
  berth_close_fdp (&cl->passed_fd);
  /* The acknowledgement: a client that sees EOF before it raced with a
   * monitor that was exiting and simply asks again. */
  const char *ack = direct >= 0 ? BERTH_MONITOR_ACK_DIRECT "\n" : BERTH_MONITOR_ACK "\n";
  if (!client_send (cl, ack, strlen (ack)))
    {
      berth_close_fdp (&direct);
      return;
    }
  if (direct >= 0 && cl->out->len > 0)
    {
      /* Cannot happen with a fresh connection's empty buffer; were the
       * answer still pending, the stream must not overtake it. */
      client_drop (cl);
      close (direct);
      return;
    }
  if (direct >= 0)
    {
      cl->out_fd = direct;
      cl->out_is_socket = is_socket;
    }
  if (cl->req.once)
    {
      if (client_sample (cl))
        client_end (cl);
      return;
    }
  /* As runc: the first sample after one interval; OOM events at once. */
  struct itimerspec its = { 0 };
  its.it_interval.tv_sec = (time_t) (cl->req.interval_ns / 1000000000ull);
  its.it_interval.tv_nsec = (long) (cl->req.interval_ns % 1000000000ull);
  its.it_value = its.it_interval;
  timerfd_settime (cl->timer_fd, 0, &its, NULL);
  cl->timer_watch = monitor_watch (cl->timer_fd, EPOLLIN, on_client_timer, cl);
}

/* recv, keeping an fd passed with the request (the client's stdout) in
 * cl->passed_fd; any other fd is closed (room for one: the kernel drops
 * the rest). */
static ssize_t
client_recv (Client *cl, char *buf, size_t len)
{
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n = recvmsg (cl->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0)
    return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      for (size_t off = 0; off + sizeof (int) <= c->cmsg_len - CMSG_LEN (0); off += sizeof (int))
        {
          int fd;
          memcpy (&fd, CMSG_DATA (c) + off, sizeof fd);
          if (cl->passed_fd < 0 && !cl->subscribed && !cl->closing)
            cl->passed_fd = fd;
          else
            close (fd);
        }
  return n;
}

static bool
on_client_readable (int fd, uint32_t events, void *data)
{
  Client *cl = data;
  char buf[512];
  ssize_t n = client_recv (cl, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    {
      /* The client went away (or half-closed before asking); freeing it
       * removes this watch before closing the fd. */
      client_drop (cl);
      return false;
    }
  if (cl->subscribed || cl->closing)
    return true;         /* nothing more is expected; keep for hangup */
  g_string_append_len (cl->in, buf, n);
  char *nl = memchr (cl->in->str, '\n', cl->in->len);
  if (nl == NULL)
    {
      if (cl->in->len > MAX_REQUEST)
        client_error (cl, EINVAL, "monitor request: too long");
      return true;
    }
  *nl = '\0';
  g_autoptr (GError) error = NULL;
  if (!berth_monitor_request_parse (cl->in->str, &cl->req, &error))
    client_error (cl, error->code, error->message);
  else
    client_subscribe (cl);
  return true;
}

static void
client_free (Client *cl)
{
  monitor_unwatch (&cl->in_watch);
  monitor_unwatch (&cl->out_watch);
  monitor_unwatch (&cl->timer_watch);
  berth_close_fdp (&cl->timer_fd);
  if (cl->out_fd != cl->fd)
    berth_close_fdp (&cl->out_fd);
  berth_close_fdp (&cl->passed_fd);
  berth_close_fdp (&cl->fd);
  berth_monitor_request_clear (&cl->req);
  g_string_free (cl->in, TRUE);
  g_string_free (cl->out, TRUE);
  g_free (cl);
}

static bool
on_listen (int fd, uint32_t events, void *data)
{
  Monitor *m = data;
  int cfd = accept4 (fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (cfd < 0)
    return true;
  Client *cl = g_new0 (Client, 1);
  cl->m = m;
  cl->fd = cl->out_fd = cfd;
  cl->out_is_socket = true;
  cl->passed_fd = cl->timer_fd = -1;
  cl->in = g_string_new (NULL);
  cl->out = g_string_new (NULL);
  cl->in_watch = monitor_watch (cfd, EPOLLIN, on_client_readable, cl);
  g_ptr_array_add (m->clients, cl);
  monitor_check_idle (m);
  return true;
}

static bool
on_grace (int fd, uint32_t events, void *data)
{
  Monitor *m = data;
  uint64_t ticks;
  m->grace_armed = false;
  if (read (fd, &ticks, sizeof ticks) == sizeof ticks && m->clients->len == 0)
    monitor_loop_quit ();
  return true;
}

void
monitor_check_idle (Monitor *m)
{
  bool idle = m->clients->len == 0;
  if (idle == m->grace_armed)
    return;               /* armed while idle, or disarmed while serving: as it should be */
  struct itimerspec its = { 0 };
  if (idle)
    {
      its.it_value.tv_sec = (time_t) (m->grace_ms / 1000);
      its.it_value.tv_nsec = (long) (m->grace_ms % 1000) * 1000000L + 1;
    }
  if (timerfd_settime (m->grace_fd, 0, &its, NULL) == 0)
    m->grace_armed = idle;
}

bool
monitor_clients_start (Monitor *m, GError **error)
{
  m->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_free);
  m->grace_fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (m->grace_fd < 0)
    return berth_fail_errno (error, errno, "timerfd_create");
  monitor_watch (m->grace_fd, EPOLLIN, on_grace, m);

  g_autofree char *path = berth_monitor_socket_path (m->root_fd);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return berth_fail (error, "socket path too long: %s", path);
  strcpy (sa.sun_path, path);
  m->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (m->listen_fd < 0)
    return berth_fail_errno (error, errno, "socket");
  /* We hold the root's lock: a socket file left there is stale. */
  unlinkat (m->root_fd, BERTH_MONITOR_SOCKET, 0);
  if (bind (m->listen_fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return berth_fail_errno (error, errno, "bind %s/%s", m->root, BERTH_MONITOR_SOCKET);
  if (listen (m->listen_fd, 128) < 0)
    return berth_fail_errno (error, errno, "listen");
  monitor_watch (m->listen_fd, EPOLLIN, on_listen, m);
  monitor_check_idle (m);
  return true;
}

void
monitor_clients_stop (Monitor *m)
{
  if (m->listen_fd >= 0)
    {
      unlinkat (m->root_fd, BERTH_MONITOR_SOCKET, 0);
      berth_close_fdp (&m->listen_fd);
    }
  if (m->clients != NULL)
    {
      /* Flush what we can (blocking briefly is fine at exit), then close. */
      for (guint i = 0; i < m->clients->len; i++)
        {
          Client *cl = m->clients->pdata[i];
          /* Direct output: a pipe stays non-blocking (a full one is given up). */
          if (cl->out->len > 0)
            {
              if (cl->out_fd == cl->fd)
                g_unix_set_fd_nonblocking (cl->fd, FALSE, NULL);
              berth_write_all (cl->out_fd, cl->out->str, cl->out->len);
            }
        }
      g_clear_pointer (&m->clients, g_ptr_array_unref);
    }
  berth_close_fdp (&m->grace_fd);
}
