/* libFuzzer harness: container output (the least trusted bytes berth-shim
 * reads) formatted into k8s-file log records by shim_k8s_format.  Oracle:
 * every record is "<ts> <stream> F|P <line>\n", and the records' contents put
 * back together are exactly the input, whatever the scratch buffer size.
 * Input: byte 0 = scratch size seed and stream, then the output chunk. */
#include "shim.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
collect (void *user, const struct iovec *iov, int iovcnt)
{
  assert (iovcnt >= 1 && iovcnt <= 4);
  for (int i = 0; i < iovcnt; i++)
    g_string_append_len (user, iov[i].iov_base, (gssize) iov[i].iov_len);
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  static const char ts[] = "2026-01-02T03:04:05.123456789+00:00";
  const char *stream = data[0] & 1 ? "stderr" : "stdout";
  size_t scratch_size = 1 + (size_t) (data[0] >> 1) * 8;  /* 1..1017: records of every size fit or not */
  data++, size--;
  g_autofree char *scratch = g_malloc (scratch_size);
  g_autoptr (GString) out = g_string_new (NULL);
  assert (shim_k8s_format (ts, stream, (const char *) data, size, scratch, scratch_size, collect, out));
  g_autoptr (GString) back = g_string_new (NULL);
  g_autofree char *full = g_strdup_printf ("%s %s F ", ts, stream);
  g_autofree char *partial = g_strdup_printf ("%s %s P ", ts, stream);
  size_t pl = strlen (full), pos = 0;
  while (pos < out->len)
    {
      const char *rec = out->str + pos;
      const char *nl = memchr (rec, '\n', out->len - pos);
      assert (nl != NULL && (size_t) (nl - rec) >= pl);
      bool is_full = memcmp (rec, full, pl) == 0;
      assert (is_full || memcmp (rec, partial, pl) == 0);
      /* F keeps its newline; P had one added */
      g_string_append_len (back, rec + pl, (nl - rec) - (gssize) pl + (is_full ? 1 : 0));
      pos = (size_t) (nl - out->str) + 1;
    }
  assert (back->len == size && memcmp (back->str, data, size) == 0);
  return 0;
}
