/* libFuzzer harness: the sd_notify datagrams a container sends to the
 * NOTIFY_SOCKET berth-shim listens on (shim/sdnotify.c, included here for its
 * static notify_cb).  The datagram goes through a real socket; the relay
 * target is a real socket too, and what reaches it must be only READY=1 and
 * WATCHDOG=1 lines, each of which the container sent. */
#include "../../shim/sdnotify.c"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static int target = -1;
static ShimOptions opts;
static Shim shim = { .o = &opts };

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
setup (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fuzz-notify-XXXXXX", NULL);
  assert (dir != NULL);
  opts.sdnotify_socket = g_build_filename (dir, "host.sock", NULL);
  struct sockaddr_un addr;
  assert (sun_set (&addr, opts.sdnotify_socket));
  target = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  assert (target >= 0 && bind (target, (struct sockaddr *) &addr, sizeof addr) == 0);
}

static bool
line_sent (const uint8_t *data, size_t size, const char *line)
{
  size_t l = strlen (line);
  for (size_t i = 0; i + l <= size; i++)
    if ((i == 0 || data[i - 1] == '\n') && memcmp (data + i, line, l) == 0
        && (i + l == size || data[i + l] == '\n' || data[i + l] == '\0'))
      return true;
  return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (target < 0)
    setup ();
  if (size > 8192)
    return 0;
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
    abort ();
  if (send (sv[1], data, size, 0) != (ssize_t) size)
    abort ();
  notify_cb (sv[0], G_IO_IN, &shim);
  char out[8192];
  ssize_t n = recv (target, out, sizeof out - 1, MSG_DONTWAIT);
  if (n > 0)
    {
      out[n] = '\0';
      g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
      assert (out[n - 1] == '\n');
      for (char **l = lines; *l && l[1]; l++)
        {
          assert (g_str_equal (*l, "READY=1") || g_str_equal (*l, "WATCHDOG=1"));
          assert (line_sent (data, size, *l));
        }
    }
  close (sv[0]);
  close (sv[1]);
  return 0;
}
