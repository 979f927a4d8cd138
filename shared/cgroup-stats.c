/* The typed stats snapshot (BerthCgroupStats: cpu,
 * memory, pids from v1 or v2 files) and an OOM notification fd.  The
 * runc-format sampling path is cgroup-stats-reader.c. */
#include "cgroup-stats.h"
#include "cgroup-internal.h"
#include "json-out.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static uint64_t
read_u64 (const char *dir, const char *file)
{
  if (dir == NULL)
    return 0;
  g_autofree char *v = berth_cgroup_read (dir, file);
  uint64_t n = 0;
  if (v == NULL)
    return 0;
  if (strcmp (v, "max") == 0)
    return UINT64_MAX;
  berth_parse_uint64 (v, UINT64_MAX, &n);
  return n;
}

/* "key value" lines into a table of uint64_t. */
static GHashTable *
read_keyed (const char *dir, const char *file)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = dir ? berth_cgroup_read (dir, file) : NULL;
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *sp = strchr (*l, ' ');
      uint64_t v;
      if (sp == NULL || !berth_parse_uint64 (sp + 1, UINT64_MAX, &v))
        continue;
      g_hash_table_insert (t, g_strndup (*l, sp - *l), g_memdup2 (&v, sizeof v));
    }
  return t;
}

static uint64_t
keyed (GHashTable *t, const char *key)
{
  const uint64_t *v = g_hash_table_lookup (t, key);
  return v ? *v : 0;
}

void
berth_cgroup_stats_clear (BerthCgroupStats *s)
{
  g_clear_pointer (&s->memory_stat, g_hash_table_unref);
  memset (s, 0, sizeof *s);
}

bool
berth_cgroup_stats (BerthCgroup *cg, BerthCgroupStats *s, GError **error)
{
  memset (s, 0, sizeof *s);
  if (cg->mode == BERTH_CGROUP_V2)
    {
      const char *d = cg->unified_dir;
      if (access (d, F_OK) != 0)
        return berth_fail_errno (error, errno, "cgroup stats: %s", d);
      g_autoptr (GHashTable) cpu = read_keyed (d, "cpu.stat");
      s->cpu_usage_ns = keyed (cpu, "usage_usec") * 1000;
      s->cpu_user_ns = keyed (cpu, "user_usec") * 1000;
      s->cpu_system_ns = keyed (cpu, "system_usec") * 1000;
      s->cpu_periods = keyed (cpu, "nr_periods");
      s->cpu_throttled_periods = keyed (cpu, "nr_throttled");
      s->cpu_throttled_ns = keyed (cpu, "throttled_usec") * 1000;
      s->memory_usage = read_u64 (d, "memory.current");
      s->memory_limit = read_u64 (d, "memory.max");
      s->memory_max_usage = read_u64 (d, "memory.peak");
      s->memory_swap_usage = read_u64 (d, "memory.swap.current");
      s->memory_swap_limit = read_u64 (d, "memory.swap.max");
      g_autoptr (GHashTable) ev = read_keyed (d, "memory.events");
      s->memory_failcnt = keyed (ev, "max");
      s->memory_oom_kill = keyed (ev, "oom_kill");
      s->memory_stat = read_keyed (d, "memory.stat");
      s->memory_cache = keyed (s->memory_stat, "file");
      s->pids_current = read_u64 (d, "pids.current");
      s->pids_limit = read_u64 (d, "pids.max");
      return true;
    }
  const char *acct = berth_cgroup_v1_dir (cg, "cpuacct");
  const char *cpu = berth_cgroup_v1_dir (cg, "cpu");
  const char *mem = berth_cgroup_v1_dir (cg, "memory");
  const char *pids = berth_cgroup_v1_dir (cg, "pids");
  if (mem != NULL && access (mem, F_OK) != 0)
    return berth_fail_errno (error, errno, "cgroup stats: %s", mem);
  s->cpu_usage_ns = read_u64 (acct, "cpuacct.usage");
  g_autoptr (GHashTable) ticks = read_keyed (acct, "cpuacct.stat");
  long hz = sysconf (_SC_CLK_TCK);
  uint64_t ns_per_tick = hz > 0 ? 1000000000ull / (uint64_t) hz : 10000000ull;
  s->cpu_user_ns = keyed (ticks, "user") * ns_per_tick;
  s->cpu_system_ns = keyed (ticks, "system") * ns_per_tick;
  g_autoptr (GHashTable) cs = read_keyed (cpu, "cpu.stat");
  s->cpu_periods = keyed (cs, "nr_periods");
  s->cpu_throttled_periods = keyed (cs, "nr_throttled");
  s->cpu_throttled_ns = keyed (cs, "throttled_time");
  s->memory_usage = read_u64 (mem, "memory.usage_in_bytes");
  s->memory_limit = read_u64 (mem, "memory.limit_in_bytes");
  s->memory_max_usage = read_u64 (mem, "memory.max_usage_in_bytes");
  s->memory_failcnt = read_u64 (mem, "memory.failcnt");
  s->memory_swap_usage = read_u64 (mem, "memory.memsw.usage_in_bytes");
  s->memory_swap_limit = read_u64 (mem, "memory.memsw.limit_in_bytes");
  g_autoptr (GHashTable) oom = read_keyed (mem, "memory.oom_control");
  s->memory_oom_kill = keyed (oom, "oom_kill");
  s->memory_stat = read_keyed (mem, "memory.stat");
  s->memory_cache = keyed (s->memory_stat, "cache");
  s->pids_current = read_u64 (pids, "pids.current");
  s->pids_limit = read_u64 (pids, "pids.max");
  return true;
}

int
berth_cgroup_oom_fd (BerthCgroup *cg, bool *ret_is_eventfd, GError **error)
{
  if (cg->mode == BERTH_CGROUP_V2)
    {
      g_autofree char *path = g_build_filename (cg->unified_dir, "memory.events", NULL);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno (error, errno, "cgroup: open %s", path), -1;
      *ret_is_eventfd = false;
      return fd;
    }
  const char *mem = berth_cgroup_v1_dir (cg, "memory");
  if (mem == NULL)
    return berth_fail_code (error, ENOTSUP, "cgroup: the memory controller is not mounted"), -1;
  g_autofree char *oc = g_build_filename (mem, "memory.oom_control", NULL);
  berth_autofd int oc_fd = open (oc, O_RDONLY | O_CLOEXEC);
  if (oc_fd < 0)
    return berth_fail_errno (error, errno, "cgroup: open %s", oc), -1;
  berth_autofd int efd = eventfd (0, EFD_CLOEXEC);
  if (efd < 0)
    return berth_fail_errno (error, errno, "cgroup: eventfd"), -1;
  g_autofree char *line = g_strdup_printf ("%d %d", efd, oc_fd);
  if (!berth_cgroup_write (mem, "cgroup.event_control", line, "cgroup: OOM notification", error))
    return -1;
  *ret_is_eventfd = true;
  return berth_steal_fd (&efd);
}
