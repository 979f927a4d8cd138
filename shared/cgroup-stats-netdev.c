/* network_interfaces: the counters of the container's network namespace,
 * read from /proc/<init pid>/net/dev (which shows the netns of that pid).
 * runc 1.1 declares types.NetworkInterface without json tags, so its keys
 * are the Go field names: Name, RxBytes, RxPackets, RxErrors, RxDropped,
 * TxBytes, TxPackets, TxErrors, TxDropped. */
#include "cgroup-stats.h"

#include "json-out.h"
#include "util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
berth_stats_append_netdev (GString *out, int *fdp, pid_t pid)
{
  char buf[16384];
  if (*fdp < 0)
    {
      char path[64];
      g_snprintf (path, sizeof path, "/proc/%d/net/dev", (int) pid);
      *fdp = open (path, O_RDONLY | O_CLOEXEC);
    }
  /* Kept open (it pins the netns, not the cgroup) and re-read from 0. */
  ssize_t n = *fdp < 0 ? -1 : pread (*fdp, buf, sizeof buf - 1, 0);
  if (n <= 0)
    {
      g_string_append (out, "null");
      return;
    }
  buf[n] = '\0';
  /* Two header lines, then "  name: rx_bytes packets errs drop fifo frame
   * compressed multicast tx_bytes packets errs drop fifo colls carrier compressed". */
  char *l = strchr (buf, '\n');
  l = l ? strchr (l + 1, '\n') : NULL;
  gsize start = out->len;
  g_string_append_c (out, '[');
  while (l != NULL && l[1] != '\0')
    {
      l++;
      char *colon = strchr (l, ':');
      char *eol = strchr (l, '\n');
      if (colon == NULL || (eol != NULL && colon > eol))
        break;
      unsigned long long v[16];
      char *p = colon + 1, *end;
      int got = 0;
      for (; got < 16; got++, p = end)
        {
          v[got] = strtoull (p, &end, 10);
          if (end == p)
            break;
        }
      if (got == 16)
        {
          char *name = l;
          while (*name == ' ')
            name++;
          *colon = '\0';
          g_string_append (out, "{\"Name\":");
          berth_json_string (out, name);
          static const char *const keys[] = { ",\"RxBytes\":", ",\"RxPackets\":", ",\"RxErrors\":", ",\"RxDropped\":",
                                              ",\"TxBytes\":", ",\"TxPackets\":", ",\"TxErrors\":", ",\"TxDropped\":" };
          static const int cols[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
          for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
            {
              g_string_append (out, keys[i]);
              berth_json_u64 (out, v[cols[i]]);
            }
          g_string_append (out, "},");
        }
      l = eol;
    }
  berth_json_trim_comma (out);
  if (out->len == start + 1)
    g_string_truncate (out, start), g_string_append (out, "null");
  else
    g_string_append_c (out, ']');
}
