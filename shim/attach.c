/* The attach socket (conmon's framing): SOCK_SEQPACKET, mode 0700, bound at
 * <bundle>/attach (--full-attach) or <socket-dir-path>/<cuuid>/attach (a
 * symlink to the bundle), through /proc/self/fd/<dirfd>/attach so long
 * paths work.  Output packets: 1 byte stream id (2 stdout, 3 stderr) + up
 * to 8192 bytes.  Input packets: raw stdin bytes.  A client that cannot keep
 * up gets a bounded queue, then loses packets; it never blocks the shim. */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

struct AttachClient
{
  Shim *s;
  int fd;
  guint in_src, out_src;
  bool read_eof;
  GByteArray *queue;     /* packets: u16 length + bytes */
  uint64_t dropped;
};

static void
client_free (gpointer p)
{
  AttachClient *c = p;
  if (c->in_src)
    g_source_remove (c->in_src);
  if (c->out_src)
    g_source_remove (c->out_src);
  berth_close_fdp (&c->fd);
  if (c->queue)
    g_byte_array_unref (c->queue);
  g_free (c);
}

static void
client_drop (AttachClient *c)
{
  g_ptr_array_remove (c->s->clients, c);
}

static gboolean client_in_cb (int fd, GIOCondition cond, gpointer data);

void
shim_attach_pause_input (Shim *s, bool paused)
{
  for (guint i = 0; s->clients && i < s->clients->len; i++)
    {
      AttachClient *c = s->clients->pdata[i];
      if (c->read_eof)
        continue;
      if (paused && c->in_src)
        {
          g_source_remove (c->in_src);
          c->in_src = 0;
        }
      else if (!paused && !c->in_src)
        c->in_src = berth_fd_add (c->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, client_in_cb, c);
    }
}

static gboolean
client_in_cb (int fd, GIOCondition cond, gpointer data)
{
  AttachClient *c = data;
  Shim *s = c->s;
  /* A seqpacket read shorter than the packet drops the rest of it: ask the
   * packet's length first (podman writes 32 KiB per packet; a read of one
   * byte less lost a byte of every one). */
  char stack_buf[SHIM_CONN_BUF_SIZE];
  g_autofree char *heap_buf = NULL;
  char *buf = stack_buf;
  size_t cap = sizeof stack_buf;
  ssize_t len = recv (fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  if (len > (ssize_t) cap)
    {
      cap = (size_t) len;
      buf = heap_buf = g_malloc (cap);
    }
  ssize_t n = recv (fd, buf, cap, MSG_DONTWAIT);
  if (n < 0)
    {
      if (errno == EAGAIN || errno == EINTR)
        return G_SOURCE_CONTINUE;
      c->in_src = 0;
      client_drop (c);
      return G_SOURCE_REMOVE;
    }
  if (n == 0)
    {
      /* The client shut down its write side (podman's CloseWrite): stdin EOF. */
      c->read_eof = true;
      c->in_src = 0;
      if (s->o->stdin_ && !s->o->leave_stdin_open)
        shim_stdin_shutdown (s);
      if (cond & (G_IO_HUP | G_IO_ERR))
        client_drop (c);
      return G_SOURCE_REMOVE;
    }
  if (s->stdin_fd >= 0 && s->stdin_queue)
    {
      g_byte_array_append (s->stdin_queue, (guint8 *) buf, (guint) n);
      shim_stdin_flush (s);
    }
  return G_SOURCE_CONTINUE;
}

static bool
client_send_now (AttachClient *c, const guint8 *pkt, size_t len)
{
  for (;;)
    {
      ssize_t w = send (c->fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w >= 0)
        return true;
      if (errno == EINTR)
        continue;
      return false;
    }
}

static gboolean
client_out_cb (int fd, GIOCondition cond, gpointer data)
{
  AttachClient *c = data;
  guint off = 0;
  while (off + 2 <= c->queue->len)
    {
      guint16 l;
      memcpy (&l, c->queue->data + off, 2);
      if (!client_send_now (c, c->queue->data + off + 2, l))
        {
          if (errno == EAGAIN)
            break;
          c->out_src = 0;
          client_drop (c);
          return G_SOURCE_REMOVE;
        }
      off += 2u + l;
    }
  g_byte_array_remove_range (c->queue, 0, off);
  if (c->queue->len == 0)
    {
      c->out_src = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
client_send (AttachClient *c, const guint8 *pkt, size_t len)
{
  if (c->queue->len == 0)
    {
      if (client_send_now (c, pkt, len))
        return;
      if (errno != EAGAIN)
        {
          client_drop (c);
          return;
        }
    }
  if (c->queue->len + len + 2 > SHIM_CLIENT_QUEUE_MAX)
    {
      c->dropped += len;
      return;
    }
  guint16 l = (guint16) len;
  g_byte_array_append (c->queue, (guint8 *) &l, 2);
  g_byte_array_append (c->queue, pkt, (guint) len);
  if (!c->out_src)
    c->out_src = berth_fd_add (c->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, client_out_cb, c);
}

void
shim_attach_broadcast (Shim *s, ShimStream stream, const char *buf, size_t len)
{
  if (s->clients == NULL || s->clients->len == 0)
    return;
  guint8 pkt[SHIM_STDIO_BUF_SIZE + 1];
  while (len > 0)
    {
      size_t l = MIN (len, (size_t) SHIM_STDIO_BUF_SIZE);
      pkt[0] = (guint8) stream;
      memcpy (pkt + 1, buf, l);
      /* Iterate backwards: client_send may drop (remove) the client. */
      for (guint i = s->clients->len; i-- > 0;)
        client_send (s->clients->pdata[i], pkt, l + 1);
      buf += l;
      len -= l;
    }
}

/* Accepts one pending connection; false when none is left (or on error). */
static bool
attach_accept_one (Shim *s)
{
  int cfd = accept4 (s->attach_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (cfd < 0)
    return false;
  if (s->clients->len >= SHIM_MAX_ATTACH_CLIENTS)
    {
      close (cfd);
      return true;
    }
  AttachClient *c = g_new0 (AttachClient, 1);
  c->s = s;
  c->fd = cfd;
  c->queue = g_byte_array_new ();
  g_ptr_array_add (s->clients, c);
  bool paused = s->stdin_queue && s->stdin_queue->len >= SHIM_STDIN_QUEUE_MAX;
  if (!paused)
    c->in_src = berth_fd_add (cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, client_in_cb, c);
  return true;
}

/* podman connects before it runs `RT start`, so a client whose connect() has
 * returned may still wait in the listen backlog when output is relayed.  In
 * the loop the accept source (older than the output sources) is dispatched
 * first, but when the container wrote and exited before the loop woke up,
 * the signalfd source (the oldest) drains the output at the exit: that path
 * takes every pending connection first, so such a client gets all of it. */
void
shim_attach_accept_pending (Shim *s)
{
  if (s->attach_fd < 0 || s->clients == NULL)
    return;
  for (int i = 0; i < SHIM_MAX_ATTACH_CLIENTS && attach_accept_one (s); i++)
    ;
}

static gboolean
attach_accept_cb (int fd, GIOCondition cond, gpointer data)
{
  attach_accept_one (data);
  return G_SOURCE_CONTINUE;
}

bool
shim_attach_listen (Shim *s, GError **error)
{
  const ShimOptions *o = s->o;
  g_autofree char *dir = NULL;
  if (o->full_attach)
    dir = g_strdup (o->bundle);
  else
    {
      if (g_mkdir_with_parents (o->socket_dir_path, 0755) < 0)
        return berth_fail_errno (error, errno, "--socket-dir-path: mkdir %s", o->socket_dir_path);
      dir = g_build_filename (o->socket_dir_path, o->cuuid, NULL);
      if (unlink (dir) < 0 && errno != ENOENT)
        return berth_fail_errno (error, errno, "remove old %s", dir);
      if (symlink (o->bundle, dir) < 0)
        return berth_fail_errno (error, errno, "symlink %s -> %s", dir, o->bundle);
    }
  berth_autofd int dfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return berth_fail_errno (error, errno, "attach socket: open %s", dir);
  berth_autofd int sfd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sfd < 0)
    return berth_fail_errno (error, errno, "attach socket");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/attach", dfd);
  unlinkat (dfd, "attach", 0);
  g_autofree char *path = g_build_filename (dir, "attach", NULL);
  if (bind (sfd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return berth_fail_errno (error, errno, "attach socket: bind %s", path);
  fchmodat (dfd, "attach", 0700, 0);
  if (listen (sfd, 10) < 0)
    return berth_fail_errno (error, errno, "attach socket: listen %s", path);
  s->clients = g_ptr_array_new_with_free_func (client_free);
  s->attach_fd = berth_steal_fd (&sfd);
  s->attach_path = g_steal_pointer (&path);
  s->attach_src = berth_fd_add (s->attach_fd, G_IO_IN, attach_accept_cb, s);
  return true;
}

void
shim_attach_close_all (Shim *s)
{
  if (s->attach_src)
    g_source_remove (s->attach_src);
  s->attach_src = 0;
  if (s->clients)
    {
      /* Last chance for queued output: at most 1 s in all, so that a client
       * that stopped reading cannot delay the exit file. */
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
      for (guint i = 0; i < s->clients->len; i++)
        {
          AttachClient *c = s->clients->pdata[i];
          guint off = 0;
          while (off + 2 <= c->queue->len)
            {
              guint16 l;
              memcpy (&l, c->queue->data + off, 2);
              bool sent;
              while (!(sent = client_send_now (c, c->queue->data + off + 2, l)) && errno == EAGAIN
                     && g_get_monotonic_time () < deadline)
                g_usleep (5000);
              if (!sent)
                break;
              off += 2u + l;
            }
          shutdown (c->fd, SHUT_RDWR);
          /* Input the client sent that we did not read (podman forwards the
           * ^D `script` sends at its stdin's EOF, for one) would make the
           * close an ECONNRESET for the client, reported by its next recv()
           * ahead of the output still queued for it: podman then shows
           * nothing.  After shutdown(SHUT_RDWR) nothing more can be queued
           * to us, so emptying the queue now makes the close a clean EOF. */
          char junk[512];
          while (recv (c->fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
            ;
        }
      g_clear_pointer (&s->clients, g_ptr_array_unref);
    }
  berth_close_fdp (&s->attach_fd);
}
