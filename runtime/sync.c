#include "sync.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static bool
read_exact (int fd, void *buf, size_t len)
{
  char *p = buf;
  while (len > 0)
    {
      ssize_t n = read (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EPIPE;
          return false;
        }
      p += n;
      len -= (size_t) n;
    }
  return true;
}

bool
sync_send (int fd, SyncType type, const char *payload, GError **error)
{
  uint32_t hdr[2] = { type, payload ? (uint32_t) strlen (payload) : 0 };
  if (!berth_write_all (fd, hdr, sizeof hdr) || (hdr[1] > 0 && !berth_write_all (fd, payload, hdr[1])))
    return berth_fail_errno (error, errno, "sync with container init");
  return true;
}

bool
sync_recv (int fd, SyncType *ret_type, char **ret_payload, GError **error)
{
  uint32_t hdr[2];
  if (!read_exact (fd, hdr, sizeof hdr))
    {
      if (errno == EPIPE)
        return berth_fail_code (error, EPIPE, "container init exited unexpectedly");
      return berth_fail_errno (error, errno, "sync with container init");
    }
  if (hdr[1] > SYNC_PAYLOAD_MAX)
    return berth_fail_code (error, EBADMSG, "sync with container init: message too large");
  g_autofree char *payload = g_malloc (hdr[1] + 1);
  if (hdr[1] > 0 && !read_exact (fd, payload, hdr[1]))
    return berth_fail_code (error, EPIPE, "container init exited unexpectedly");
  payload[hdr[1]] = '\0';
  *ret_type = hdr[0];
  if (ret_payload)
    *ret_payload = g_steal_pointer (&payload);
  return true;
}

bool
sync_expect (int fd, SyncType type, char **ret_payload, GError **error)
{
  SyncType got;
  g_autofree char *payload = NULL;
  if (!sync_recv (fd, &got, &payload, error))
    return false;
  if (got == SYNC_ERROR)
    return berth_fail_code (error, EIO, "%s", payload);
  if (got != type)
    return berth_fail_code (error, EBADMSG, "sync with container init: unexpected message %u", got);
  if (ret_payload)
    *ret_payload = g_steal_pointer (&payload);
  return true;
}
