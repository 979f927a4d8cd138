/* libFuzzer harness: the bytes berth-shim reads from its ctl and winsz fifos
 * (podman and any process allowed to open them write there).  The shim's own
 * fifo reader (shim/ctl.c, included here for its static fifo_read) runs on a
 * real pipe, fed in chunks whose sizes come from the input, so lines split
 * across reads, over-long lines and missing newlines all happen.
 * Input: byte 0 = mode (bit 0: winsz fifo) and chunk-size seed, then the stream. */
#include "../../shim/ctl.c"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

static int resizes, reopens;

/* The parser's contract: rows/cols within 0..65535 (winsize is 16 bits). */
void
shim_resize (Shim *s, int rows, int cols)
{
  assert (rows >= 0 && rows <= 65535 && cols >= 0 && cols <= 65535);
  resizes++;
}

void
shim_logs_reopen (ShimLogs *logs)
{
  reopens++;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  bool winsz = data[0] & 1;
  unsigned seed = data[0] >> 1;
  data++, size--;
  int p[2];
  if (pipe2 (p, O_NONBLOCK | O_CLOEXEC) < 0)
    abort ();
  Shim s = { 0 };
  size_t newlines = 0;
  for (size_t i = 0; i < size; i++)
    newlines += data[i] == '\n';
  resizes = reopens = 0;
  size_t off = 0;
  while (off < size)
    {
      /* chunk sizes 1..256 bytes, cycling through the seed */
      size_t chunk = MIN (size - off, (size_t) (1 + (seed * 37 + off) % 256));
      if (write (p[1], data + off, chunk) != (ssize_t) chunk)
        abort ();
      off += chunk;
      if (winsz)
        winsz_cb (p[0], G_IO_IN, &s);
      else
        ctl_cb (p[0], G_IO_IN, &s);
      size_t len = winsz ? s.winsz_len : s.ctl_len;
      assert (len < sizeof s.ctl_buf);
    }
  /* at most one action per complete line */
  assert ((size_t) (resizes + reopens) <= newlines);
  close (p[0]);
  close (p[1]);
  return 0;
}
