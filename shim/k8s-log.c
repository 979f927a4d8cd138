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

bool
shim_k8s_format (const char *ts, const char *stream, const char *buf, size_t len, char *scratch, size_t scratch_size,
                  ShimEmitFn emit, void *user)
{
  /* Records are copied into scratch and emitted as one write: much cheaper
   * than a writev of 3-4 iovecs per line.  A line longer than scratch is
   * emitted with its own iovecs. */
  char full[16], partial[16];
  g_snprintf (full, sizeof full, " %s F ", stream);
  g_snprintf (partial, sizeof partial, " %s P ", stream);
  size_t tslen = strlen (ts), fl = strlen (full);
  size_t used = 0, pos = 0;
  while (pos < len)
    {
      const char *nl = memchr (buf + pos, '\n', len - pos);
      size_t l = nl ? (size_t) (nl - (buf + pos)) + 1 : len - pos;
      size_t rec = tslen + fl + l + (nl ? 0 : 1);
      if (used + rec > scratch_size && used > 0)
        {
          struct iovec v = { scratch, used };
          if (!emit (user, &v, 1))
            return false;
          used = 0;
        }
      if (rec > scratch_size)
        {
          struct iovec v[4] = { { (void *) ts, tslen }, { nl ? full : partial, fl },
                                { (void *) (buf + pos), l }, { (void *) "\n", 1 } };
          if (!emit (user, v, nl ? 3 : 4))
            return false;
        }
      else
        {
          char *o = scratch + used;
          memcpy (o, ts, tslen); o += tslen;
          memcpy (o, nl ? full : partial, fl); o += fl;
          memcpy (o, buf + pos, l); o += l;
          if (!nl)
            *o++ = '\n';
          used += rec;
        }
      pos += l;
    }
  if (used > 0)
    {
      struct iovec v = { scratch, used };
      return emit (user, &v, 1);
    }
  return true;
}
