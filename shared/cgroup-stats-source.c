/* One container's stats line as `runc events` prints it (cgroup-stats.h):
 * the cgroup's counters (BerthStatsReader) or, without a cgroup, the /proc
 * subset (cgroup-stats-proc.c), and network_interfaces from the init's
 * network namespace when it has its own. */
#include "cgroup-stats.h"

#include "error.h"
#include "json-out.h"
#include "util.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

struct BerthStatsSource
{
  pid_t pid;
  bool own_netns;
  int netdev_fd;                /* /proc/PID/net/dev, -1 until first read */
  BerthStatsReader *reader;     /* NULL: no cgroup */
};

void
berth_stats_source_free (BerthStatsSource *s)
{
  if (s == NULL)
    return;
  berth_close_fdp (&s->netdev_fd);
  g_clear_pointer (&s->reader, berth_stats_reader_free);
  g_free (s);
}

static bool
has_own_netns (pid_t pid)
{
  char path[64];
  struct stat own, st;
  g_snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  return stat (path, &st) == 0 && stat ("/proc/self/ns/net", &own) == 0 && st.st_ino != own.st_ino;
}

BerthStatsSource *
berth_stats_source_new (pid_t init_pid, const BerthCgroup *cgroup, GError **error)
{
  g_autoptr (BerthStatsSource) s = g_new0 (BerthStatsSource, 1);
  s->pid = init_pid;
  s->netdev_fd = -1;
  if (cgroup != NULL && (s->reader = berth_stats_reader_new (cgroup, error)) == NULL)
    return NULL;
  s->own_netns = has_own_netns (init_pid);
  return g_steal_pointer (&s);
}

BerthStatsReader *
berth_stats_source_reader (BerthStatsSource *s)
{
  return s->reader;
}

bool
berth_stats_source_append_line (BerthStatsSource *s, const char *id, GString *out, GError **error)
{
  gsize start = out->len;
  g_string_append (out, "{\"type\":\"stats\",\"id\":");
  berth_json_string (out, id);
  g_string_append (out, ",\"data\":{");
  bool ok = s->reader != NULL ? berth_stats_reader_append_json (s->reader, out, error)
                              : berth_stats_proc_append_json (s->pid, out, error);
  if (!ok)
    {
      g_string_truncate (out, start);
      return false;
    }
  g_string_append (out, ",\"network_interfaces\":");
  if (s->own_netns)
    berth_stats_append_netdev (out, &s->netdev_fd, s->pid);
  else
    g_string_append (out, "null");
  g_string_append (out, "}}\n");
  return true;
}
