/* Clients: `berth events` connections on ROOT/.monitor.sock.  Each sends one
 * request line; a subscription gets a timerfd at its interval.  Output is
 * written without blocking; a client that does not read is dropped once
 * 4 MiB are pending.  No clients for the grace period -> the monitor exits. */
#include "monitor.h"

#include "error.h"
#include "mainloop.h"
#include "util.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
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

static gboolean
on_client_writable (int fd, GIOCondition cond, gpointer data);

/* Write what is pending; false when the client is gone (dropped). */
static bool
client_flush (Client *cl)
{
  while (cl->out->len > 0)
    {
      ssize_t n = send (cl->fd, cl->out->str, cl->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          if (cl->out_src == 0)
            cl->out_src = berth_fd_add (cl->fd, G_IO_OUT, on_client_writable, cl);
          return true;
        }
      if (n < 0)
        {
          client_drop (cl);
          return false;
        }
      g_string_erase (cl->out, 0, n);
    }
  g_clear_handle_id (&cl->out_src, g_source_remove);
  if (cl->closing)
    {
      client_drop (cl);
      return false;
    }
  return true;
}

static gboolean
on_client_writable (int fd, GIOCondition cond, gpointer data)
{
  Client *cl = data;
  cl->out_src = 0;
  client_flush (cl);
  return G_SOURCE_REMOVE;
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
  return cl->out_src != 0 || client_flush (cl);
}

/* Send what is pending, then close. */
static void
client_end (Client *cl)
{
  cl->closing = true;
  g_clear_handle_id (&cl->timer_src, g_source_remove);
  berth_close_fdp (&cl->timer_fd);
  if (cl->out_src == 0)
    client_flush (cl);
}

static void
client_error (Client *cl, int code, const char *message)
{
  g_autofree char *line = g_strdup_printf ("!%d %s\n", code, message);
  g_string_append (cl->out, line);
  client_end (cl);
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

static gboolean
on_client_timer (int fd, GIOCondition cond, gpointer data)
{
  Client *cl = data;
  uint64_t ticks;
  if (read (fd, &ticks, sizeof ticks) != sizeof ticks)
    return G_SOURCE_CONTINUE;
  client_sample (cl);
  return G_SOURCE_CONTINUE;
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
  cl->subscribed = true;
  /* The acknowledgement: a client that sees EOF before it raced with a
   * monitor that was exiting and simply asks again. */
  if (!client_send (cl, "+\n", 2))
    return;
  if (cl->req.once)
    {
      if (client_sample (cl))
        client_end (cl);
      return;
    }
  /* As runc: the first sample after one interval; OOM events at once. */
  cl->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (cl->timer_fd < 0)
    {
      client_error (cl, errno, "timerfd_create failed");
      return;
    }
  struct itimerspec its = { 0 };
  its.it_interval.tv_sec = (time_t) (cl->req.interval_ns / 1000000000ull);
  its.it_interval.tv_nsec = (long) (cl->req.interval_ns % 1000000000ull);
  its.it_value = its.it_interval;
  timerfd_settime (cl->timer_fd, 0, &its, NULL);
  cl->timer_src = berth_fd_add (cl->timer_fd, G_IO_IN, on_client_timer, cl);
}

static gboolean
on_client_readable (int fd, GIOCondition cond, gpointer data)
{
  Client *cl = data;
  char buf[512];
  ssize_t n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* The client went away (or half-closed before asking). */
      cl->in_src = 0;
      client_drop (cl);
      return G_SOURCE_REMOVE;
    }
  if (cl->subscribed || cl->closing)
    return G_SOURCE_CONTINUE;         /* nothing more is expected; keep for hangup */
  g_string_append_len (cl->in, buf, n);
  char *nl = memchr (cl->in->str, '\n', cl->in->len);
  if (nl == NULL)
    {
      if (cl->in->len > MAX_REQUEST)
        client_error (cl, EINVAL, "monitor request: too long");
      return G_SOURCE_CONTINUE;
    }
  *nl = '\0';
  g_autoptr (GError) error = NULL;
  if (!berth_monitor_request_parse (cl->in->str, &cl->req, &error))
    client_error (cl, error->code, error->message);
  else
    client_subscribe (cl);
  return G_SOURCE_CONTINUE;
}

static void
client_free (Client *cl)
{
  g_clear_handle_id (&cl->in_src, g_source_remove);
  g_clear_handle_id (&cl->out_src, g_source_remove);
  g_clear_handle_id (&cl->timer_src, g_source_remove);
  berth_close_fdp (&cl->timer_fd);
  berth_close_fdp (&cl->fd);
  berth_monitor_request_clear (&cl->req);
  g_string_free (cl->in, TRUE);
  g_string_free (cl->out, TRUE);
  g_free (cl);
}

static gboolean
on_listen (int fd, GIOCondition cond, gpointer data)
{
  Monitor *m = data;
  int cfd = accept4 (fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (cfd < 0)
    return G_SOURCE_CONTINUE;
  Client *cl = g_new0 (Client, 1);
  cl->m = m;
  cl->fd = cfd;
  cl->timer_fd = -1;
  cl->in = g_string_new (NULL);
  cl->out = g_string_new (NULL);
  cl->in_src = berth_fd_add (cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client_readable, cl);
  g_ptr_array_add (m->clients, cl);
  monitor_check_idle (m);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_grace (int fd, GIOCondition cond, gpointer data)
{
  Monitor *m = data;
  uint64_t ticks;
  if (read (fd, &ticks, sizeof ticks) == sizeof ticks && m->clients->len == 0)
    g_main_loop_quit (m->loop);
  return G_SOURCE_CONTINUE;
}

void
monitor_check_idle (Monitor *m)
{
  struct itimerspec its = { 0 };
  if (m->clients->len == 0)
    {
      its.it_value.tv_sec = (time_t) (m->grace_ms / 1000);
      its.it_value.tv_nsec = (long) (m->grace_ms % 1000) * 1000000L + 1;
    }
  timerfd_settime (m->grace_fd, 0, &its, NULL);
}

bool
monitor_clients_start (Monitor *m, GError **error)
{
  m->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_free);
  m->grace_fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (m->grace_fd < 0)
    return berth_fail_errno (error, errno, "timerfd_create");
  berth_fd_add (m->grace_fd, G_IO_IN, on_grace, m);

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
  berth_fd_add (m->listen_fd, G_IO_IN, on_listen, m);
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
          if (cl->out->len > 0)
            {
              g_unix_set_fd_nonblocking (cl->fd, FALSE, NULL);
              berth_write_all (cl->fd, cl->out->str, cl->out->len);
            }
        }
      g_clear_pointer (&m->clients, g_ptr_array_unref);
    }
  berth_close_fdp (&m->grace_fd);
}
