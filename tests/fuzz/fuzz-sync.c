/* libFuzzer harness: the runtime's parent <-> container-init sync protocol
 * (runtime/sync.c: {u32 type, u32 length, payload}), the one byte stream in
 * which berth's parent reads what a process inside the container's
 * namespaces wrote.  The input is written to a real socketpair, the writer
 * side shut down, and messages are read until the stream ends.
 * Input: byte 0 selects sync_recv (0) or sync_expect of that type, then the stream. */
#include "sync.h"

#include <assert.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1 || size > 128 * 1024)
    return 0;
  unsigned mode = data[0] % 10;
  data++, size--;
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
  int buf = 256 * 1024;
  setsockopt (sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  if (size > 0 && write (sv[1], data, size) != (ssize_t) size)
    abort ();
  shutdown (sv[1], SHUT_WR);
  size_t consumed = 0;
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *payload = NULL;
      SyncType type = 0;
      bool ok = mode == 0 ? sync_recv (sv[0], &type, &payload, &error)
                          : sync_expect (sv[0], (SyncType) mode, &payload, &error);
      /* the contract: an error is set iff the call failed */
      assert (ok == (error == NULL));
      if (!ok)
        {
          assert (error->message != NULL);
          break;
        }
      assert (payload != NULL);
      size_t len = strlen (payload);
      assert (len <= SYNC_PAYLOAD_MAX);
      consumed += 8 + len;  /* at least: a payload may hold NULs */
      assert (consumed <= size);
    }
  close (sv[0]);
  close (sv[1]);
  return 0;
}
