/* libFuzzer harness: berth-shim's attach socket (shim/attach.c, included here
 * for its static callbacks), on a real SOCK_SEQPACKET socket bound by
 * shim_attach_listen and a real client.  The input is a script of operations:
 *   0 LEN16 BYTES  the client sends a stdin packet
 *   1 S LEN16 BYTES  the container writes output to stream 2+(S&1) (broadcast)
 *   2 N            the client reads up to N packets, then the shim flushes its queue
 *   3              the client shuts down its write side (stdin EOF)
 *   4 B            input paused (B&1) or resumed (as stdin back-pressure does)
 * Oracles: the stdin bytes that reach the container are exactly what the client
 * sent (each packet truncated to the shim's 32767-byte buffer, as conmon); the
 * packets the client receives are, in order, a subsequence of the output
 * packets (1 stream byte + at most 8192 bytes); nothing is left behind. */
#include "../../shim/attach.c"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static ShimOptions opts;
static Shim shim = { .o = &opts };
static GByteArray *stdin_got;

void
shim_stdin_flush (Shim *s)
{
  g_byte_array_append (stdin_got, s->stdin_queue->data, s->stdin_queue->len);
  g_byte_array_set_size (s->stdin_queue, 0);
}

void
shim_stdin_shutdown (Shim *s)
{
  s->stdin_close_pending = true;
  shim_stdin_flush (s);
}

static void
setup (void)
{
  opts.bundle = g_dir_make_tmp ("fuzz-attach-XXXXXX", NULL);
  assert (opts.bundle != NULL);
  opts.full_attach = true;
  opts.stdin_ = true;
  g_autoptr (GError) error = NULL;
  if (!shim_attach_listen (&shim, &error))
    g_error ("%s", error->message);
  shim.stdin_fd = 0;  /* never written: shim_stdin_flush is the stub above */
  shim.stdin_queue = g_byte_array_new ();
  stdin_got = g_byte_array_new ();
}

static AttachClient *
the_client (void)
{
  return shim.clients->len ? shim.clients->pdata[0] : NULL;
}

/* Dispatch a callback the way GLib does: a G_SOURCE_REMOVE return destroys its source. */
static void
dispatch (GUnixFDSourceFunc fn, bool in)
{
  AttachClient *c = the_client ();
  if (c == NULL)
    return;
  guint id = in ? c->in_src : c->out_src;
  if (id == 0)
    return;
  if (fn (c->fd, in ? G_IO_IN : G_IO_OUT, c) == G_SOURCE_REMOVE)
    g_source_remove (id);
}

static size_t
take (const uint8_t **data, size_t *size, size_t n)
{
  n = MIN (n, *size);
  *data += n, *size -= n;
  return n;
}

static unsigned
take_byte (const uint8_t **data, size_t *size)
{
  unsigned v = *size ? **data : 0;
  take (data, size, 1);
  return v;
}

/* Reads up to max packets; each must be the next expected one or a later one
 * (a slow client loses whole packets, never parts or order). */
static void
client_read (int cfd, GPtrArray *expected, guint *next, unsigned max)
{
  guint8 buf[SHIM_STDIO_BUF_SIZE + 2];
  for (unsigned i = 0; i < max; i++)
    {
      ssize_t n = recv (cfd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0)
        return;
      assert (n >= 2 && n <= SHIM_STDIO_BUF_SIZE + 1 && (buf[0] == 2 || buf[0] == 3));
      bool found = false;
      while (*next < expected->len && !found)
        {
          gsize l;
          const guint8 *p = g_bytes_get_data (expected->pdata[(*next)++], &l);
          found = l == (gsize) n && memcmp (p, buf, l) == 0;
        }
      assert (found);
    }
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (shim.clients == NULL)
    setup ();
  g_byte_array_set_size (stdin_got, 0);
  shim.stdin_close_pending = false;
  int cfd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_strlcpy (addr.sun_path, shim.attach_path, sizeof addr.sun_path);
  if (cfd < 0 || connect (cfd, (struct sockaddr *) &addr, sizeof addr) < 0)
    abort ();
  attach_accept_cb (shim.attach_fd, G_IO_IN, &shim);
  assert (shim.clients->len == 1);
  /* Fill the socket early to exercise the shim's per-client queue (a full packet must still fit:
   * a SEQPACKET send larger than the send buffer fails with EMSGSIZE, which drops the client). */
  int small = 16384;
  setsockopt (the_client ()->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt (cfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);

  g_autoptr (GByteArray) stdin_sent = g_byte_array_new ();
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint next = 0;
  bool eof = false;
  while (size > 0)
    {
      unsigned op = take_byte (&data, &size) % 5;
      switch (op)
        {
        case 0:
          {
            size_t len = take_byte (&data, &size) << 8;
            len |= take_byte (&data, &size);
            const uint8_t *p = data;
            len = take (&data, &size, len);
            if (len == 0 || eof)
              break;  /* an empty packet reads as EOF on a SEQPACKET socket */
            if (send (cfd, p, len, MSG_NOSIGNAL) != (ssize_t) len)
              break;
            g_byte_array_append (stdin_sent, p, (guint) MIN (len, (size_t) SHIM_CONN_BUF_SIZE - 1));
            dispatch (client_in_cb, true);
            break;
          }
        case 1:
          {
            ShimStream stream = 2 + (take_byte (&data, &size) & 1);
            size_t len = take_byte (&data, &size) << 8;
            len |= take_byte (&data, &size);
            const uint8_t *p = data;
            len = take (&data, &size, len);
            for (size_t o = 0; o < len; o += SHIM_STDIO_BUF_SIZE)
              {
                size_t l = MIN (len - o, (size_t) SHIM_STDIO_BUF_SIZE);
                guint8 *pkt = g_malloc (l + 1);
                pkt[0] = (guint8) stream;
                memcpy (pkt + 1, p + o, l);
                g_ptr_array_add (out, g_bytes_new_take (pkt, l + 1));
              }
            shim_attach_broadcast (&shim, stream, (const char *) p, len);
            break;
          }
        case 2:
          client_read (cfd, out, &next, take_byte (&data, &size));
          dispatch (client_out_cb, false);
          break;
        case 3:
          if (eof)
            break;
          shutdown (cfd, SHUT_WR);
          eof = true;
          dispatch (client_in_cb, true);
          break;
        case 4:
          shim_attach_pause_input (&shim, take_byte (&data, &size) & 1);
          break;
        }
    }
  /* Drain the input: every packet sent (then the EOF) reaches the container. */
  shim_attach_pause_input (&shim, false);
  for (int i = 0; i < 100000 && the_client () && the_client ()->in_src; i++)
    {
      guint before = stdin_got->len;
      dispatch (client_in_cb, true);
      if (the_client () && the_client ()->in_src && stdin_got->len == before)
        break;  /* nothing left to read */
    }
  assert (stdin_got->len == stdin_sent->len
          && (stdin_got->len == 0 || memcmp (stdin_got->data, stdin_sent->data, stdin_got->len) == 0));
  assert (!eof || shim.stdin_close_pending);
  /* Drain the output: everything still queued reaches the client. */
  for (int i = 0; i < 1000 && the_client () && the_client ()->queue->len > 0; i++)
    {
      client_read (cfd, out, &next, 1000);
      dispatch (client_out_cb, false);
    }
  client_read (cfd, out, &next, 100000);
  assert (the_client () == NULL || the_client ()->queue->len == 0);
  /* far below SHIM_CLIENT_QUEUE_MAX, nothing may have been dropped */
  assert (the_client () == NULL || (next == out->len && the_client ()->dropped == 0));
  close (cfd);
  g_ptr_array_set_size (shim.clients, 0);
  return 0;
}
