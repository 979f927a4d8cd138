/* Stats of a container that has no cgroup of its own (rootless on a host
 * without a delegated cgroup): the subset /proc shows about its processes.
 *
 * The container's processes are those of berth_proc_pidns_pids (its pid
 * namespace, e.g. also `berth exec`ed ones whose parent is outside).  One
 * /proc/PID/stat read per process gives its times and its resident set:
 *   cpu.usage.total/kernel/user: utime+stime of the live processes plus
 *     the times of the children they reaped (cutime, cstime), in ns;
 *   memory.usage.usage: the sum of their resident sets (shared pages are
 *     counted once per process, so it overestimates);
 *   pids.current: how many there are.
 * Nothing else is known without a cgroup (no limits, blkio, hugetlb). */
#include "cgroup-stats.h"

#include "json-out.h"
#include "proc.h"

#include <unistd.h>

bool
berth_stats_proc_append_json (pid_t init_pid, GString *out, GError **error)
{
  g_autoptr (GArray) pids = berth_proc_pidns_pids (init_pid, error);
  if (pids == NULL)
    return g_prefix_error (error, "stats: "), false;
  uint64_t user = 0, system = 0, rss = 0, n = 0;
  for (guint i = 0; i < pids->len; i++)
    {
      uint64_t f[BERTH_PROC_STAT_FIELDS];
      if (!berth_proc_stat (g_array_index (pids, pid_t, i), f))
        continue; /* exited since */
      user += f[BERTH_PROC_STAT_UTIME] + f[BERTH_PROC_STAT_CUTIME];
      system += f[BERTH_PROC_STAT_STIME] + f[BERTH_PROC_STAT_CSTIME];
      rss += f[BERTH_PROC_STAT_RSS];
      n++;
    }
  long hz = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
  uint64_t ns_per_tick = 1000000000ull / (uint64_t) (hz > 0 ? hz : 100);
  g_string_append (out, "\"cpu\":{\"usage\":{\"total\":");
  berth_json_u64 (out, (user + system) * ns_per_tick);
  g_string_append (out, ",\"kernel\":");
  berth_json_u64 (out, system * ns_per_tick);
  g_string_append (out, ",\"user\":");
  berth_json_u64 (out, user * ns_per_tick);
  g_string_append (out, "}},\"memory\":{\"usage\":{\"usage\":");
  berth_json_u64 (out, rss * (uint64_t) (page > 0 ? page : 4096));
  g_string_append (out, "}},\"pids\":{\"current\":");
  berth_json_u64 (out, n);
  g_string_append_c (out, '}');
  return true;
}
