/* The k8s-file record format, exactly as conmon's write_k8s_log:
 *   <RFC 3339 local time, 9 fractional digits, ±HH:MM> <stdout|stderr> <F|P> <bytes>\n
 * One timestamp per read chunk; F for a line that ended with '\n' in this
 * chunk, P for a trailing partial line (a '\n' is added after it). */
#include "shim.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

size_t
shim_k8s_timestamp (char *buf, size_t size, const struct timespec *ts)
{
  struct tm tm;
  if (localtime_r (&ts->tv_sec, &tm) == NULL)
    return 0;
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  if (n == 0)
    return 0;
  long off = tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  if (off < 0)
    off = -off;
  int m = snprintf (buf + n, size - n, ".%09ld%c%02ld:%02ld", (long) ts->tv_nsec, sign, off / 3600, (off % 3600) / 60);
  if (m < 0 || (size_t) m >= size - n)
    return 0;
  return n + (size_t) m;
}

#define BATCH_IOV 1020  /* < IOV_MAX, a multiple of the record size (4 or 5 iovecs) */

bool
shim_k8s_format (const char *ts, const char *stream, const char *buf, size_t len, ShimEmitFn emit, void *user)
{
  struct iovec iov[BATCH_IOV];
  int n = 0;
  char full[16], partial[16];
  g_snprintf (full, sizeof full, " %s F ", stream);
  g_snprintf (partial, sizeof partial, " %s P ", stream);
  size_t tslen = strlen (ts), fl = strlen (full);
  size_t pos = 0;
  while (pos < len)
    {
      if (n + 5 > BATCH_IOV)
        {
          if (!emit (user, iov, n))
            return false;
          n = 0;
        }
      const char *nl = memchr (buf + pos, '\n', len - pos);
      iov[n++] = (struct iovec) { (void *) ts, tslen };
      if (nl)
        {
          size_t l = (size_t) (nl - (buf + pos)) + 1;
          iov[n++] = (struct iovec) { full, fl };
          iov[n++] = (struct iovec) { (void *) (buf + pos), l };
          pos += l;
        }
      else
        {
          iov[n++] = (struct iovec) { partial, fl };
          iov[n++] = (struct iovec) { (void *) (buf + pos), len - pos };
          iov[n++] = (struct iovec) { (void *) "\n", 1 };
          pos = len;
        }
    }
  if (n > 0)
    return emit (user, iov, n);
  return true;
}
