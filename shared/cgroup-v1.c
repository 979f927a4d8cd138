/* cgroup v1 resources (runc 1.1 libcontainer/cgroups/fs), cpuset
 * initialisation and the freezer. */
#include "cgroup-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define F(x) ".linux.resources." x

static bool
write_u64 (const char *dir, const char *file, uint64_t v, const char *field, GError **error)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  return berth_cgroup_write (dir, file, buf, field, error);
}

static bool
write_i64 (const char *dir, const char *file, int64_t v, const char *field, GError **error)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
  return berth_cgroup_write (dir, file, buf, field, error);
}

static bool
require_dir (const char *dir, const char *controller, const char *field, GError **error)
{
  if (dir == NULL)
    return berth_fail_code (error, ENOTSUP, "%s: the %s controller is not mounted", field, controller);
  return true;
}

/* A new cpuset cgroup starts with empty cpus/mems: copy them from the
 * nearest ancestor that has them, down to dir (as runc does). */
bool
berth_cgroup_v1_prepare_cpuset (const char *dir, GError **error)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *cur = berth_cgroup_read (dir, files[i]);
      if (cur == NULL)
        return berth_fail_errno (error, errno, "cgroup: read %s/%s", dir, files[i]);
      if (*cur != '\0')
        continue;
      g_autofree char *parent = g_path_get_dirname (dir);
      if (strcmp (parent, dir) == 0 || !berth_cgroup_v1_prepare_cpuset (parent, error))
        return strcmp (parent, dir) == 0 ? berth_fail (error, "cgroup: no cpuset above %s", dir) : false;
      g_autofree char *value = berth_cgroup_read (parent, files[i]);
      if (value == NULL)
        return berth_fail_errno (error, errno, "cgroup: read %s/%s", parent, files[i]);
      if (!berth_cgroup_write (dir, files[i], value, "cgroup: cpuset initialisation", error))
        return false;
    }
  return true;
}

static bool
memory_usage_check (const char *dir, int64_t limit, GError **error)
{
  g_autofree char *usage = berth_cgroup_read (dir, "memory.usage_in_bytes");
  uint64_t u;
  if (limit > 0 && usage != NULL && berth_parse_uint64 (usage, G_MAXUINT64, &u) && (uint64_t) limit < u)
    return berth_fail_code (error, EBUSY, F ("memory.limit") ": rejecting limit %" G_GINT64_FORMAT
                            " below the current usage %" G_GUINT64_FORMAT " (checkBeforeUpdate)", limit, u);
  return true;
}

static bool
apply_memory (BerthCgroup *cg, const BerthMemory *m, bool update, GError **error)
{
  const char *dir = berth_cgroup_v1_dir (cg, "memory");
  if (!require_dir (dir, "memory", F ("memory"), error))
    return false;
  int64_t limit = m->has_limit ? m->limit : 0;
  int64_t swap = m->has_swap ? m->swap : 0;
  if (update && m->has_checkBeforeUpdate && m->checkBeforeUpdate && !memory_usage_check (dir, limit, error))
    return false;
  /* runc setMemoryAndSwap: -1 memory with no swap means unlimited both. */
  if (limit == -1 && swap == 0)
    swap = -1;
  bool have_memsw = berth_cgroup_file_exists (dir, "memory.memsw.limit_in_bytes");
  if (swap != 0 && !have_memsw)
    {
      if (swap != -1 && swap != limit)
        return berth_fail_code (error, ENOTSUP, F ("memory.swap") ": swap accounting is not enabled (no memory.memsw.limit_in_bytes)");
      swap = 0;
    }
  bool swap_first = false;
  if (limit != 0 && swap != 0)
    {
      g_autofree char *cur = berth_cgroup_read (dir, "memory.limit_in_bytes");
      uint64_t cur_limit = G_MAXUINT64;
      if (cur != NULL)
        berth_parse_uint64 (cur, G_MAXUINT64, &cur_limit);
      swap_first = swap == -1 || cur_limit < (uint64_t) swap;
    }
  if (swap_first && !write_i64 (dir, "memory.memsw.limit_in_bytes", swap, F ("memory.swap"), error))
    return false;
  if (limit != 0 && !write_i64 (dir, "memory.limit_in_bytes", limit, F ("memory.limit"), error))
    return false;
  if (!swap_first && swap != 0 && !write_i64 (dir, "memory.memsw.limit_in_bytes", swap, F ("memory.swap"), error))
    return false;
  if (m->has_reservation && m->reservation != 0
      && !write_i64 (dir, "memory.soft_limit_in_bytes", m->reservation, F ("memory.reservation"), error))
    return false;
  if (m->has_swappiness && !write_u64 (dir, "memory.swappiness", m->swappiness, F ("memory.swappiness"), error))
    return false;
  if (m->has_disableOOMKiller && m->disableOOMKiller
      && !berth_cgroup_write (dir, "memory.oom_control", "1", F ("memory.disableOOMKiller"), error))
    return false;
  /* kernelTCP still works on v1 (memory.kmem.tcp.*); memory.kernel is
   * accepted and ignored by the kernel since 5.16, so it is not written. */
  if (m->has_kernelTCP && m->kernelTCP != 0 && berth_cgroup_file_exists (dir, "memory.kmem.tcp.limit_in_bytes")
      && !write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernelTCP, F ("memory.kernelTCP"), error))
    return false;
  if (m->has_kernel)
    g_debug ("cgroup: memory.kernel is deprecated and ignored");
  return true;
}

static bool
apply_cpu (BerthCgroup *cg, const BerthCpu *c, GError **error)
{
  bool need_cpu = c->has_shares || c->has_quota || c->has_period || c->has_burst || c->has_realtimeRuntime
                  || c->has_realtimePeriod || c->has_idle;
  const char *dir = berth_cgroup_v1_dir (cg, "cpu");
  if (need_cpu && !require_dir (dir, "cpu", F ("cpu"), error))
    return false;
  if (c->has_realtimePeriod && c->realtimePeriod != 0
      && !write_u64 (dir, "cpu.rt_period_us", c->realtimePeriod, F ("cpu.realtimePeriod"), error))
    return false;
  if (c->has_realtimeRuntime && c->realtimeRuntime != 0
      && !write_i64 (dir, "cpu.rt_runtime_us", c->realtimeRuntime, F ("cpu.realtimeRuntime"), error))
    return false;
  if (c->has_shares && c->shares != 0)
    {
      if (!write_u64 (dir, "cpu.shares", c->shares, F ("cpu.shares"), error))
        return false;
      g_autofree char *back = berth_cgroup_read (dir, "cpu.shares");
      uint64_t got;
      if (back != NULL && berth_parse_uint64 (back, G_MAXUINT64, &got) && got != c->shares)
        return berth_fail (error, F ("cpu.shares") ": %" G_GUINT64_FORMAT " is out of range (the kernel set %" G_GUINT64_FORMAT ")",
                           c->shares, got);
    }
  /* runc: a smaller period may be refused (EINVAL) until the quota is set. */
  bool period_pending = false;
  if (c->has_period && c->period != 0)
    {
      g_autoptr (GError) local = NULL;
      if (!write_u64 (dir, "cpu.cfs_period_us", c->period, F ("cpu.period"), &local))
        {
          if (local->code != EINVAL || !c->has_quota || c->quota == 0)
            return g_propagate_error (error, g_steal_pointer (&local)), false;
          period_pending = true;
        }
    }
  if (c->has_quota && c->quota != 0)
    {
      if (!write_i64 (dir, "cpu.cfs_quota_us", c->quota, F ("cpu.quota"), error))
        return false;
      if (period_pending && !write_u64 (dir, "cpu.cfs_period_us", c->period, F ("cpu.period"), error))
        return false;
    }
  if (c->has_burst && !write_u64 (dir, "cpu.cfs_burst_us", c->burst, F ("cpu.burst"), error))
    return false;
  if (c->has_idle && !write_i64 (dir, "cpu.idle", c->idle, F ("cpu.idle"), error))
    return false;
  if ((c->cpus && *c->cpus) || (c->mems && *c->mems))
    {
      const char *cs = berth_cgroup_v1_dir (cg, "cpuset");
      if (!require_dir (cs, "cpuset", F ("cpu.cpus"), error))
        return false;
      if (!berth_cgroup_write_cpuset (cs, c, error))
        return false;
    }
  return true;
}

static bool
write_devices (const char *dir, const char *file, const char *field, const BerthThrottleDevice *d, size_t n,
               GError **error)
{
  for (size_t i = 0; i < n; i++)
    {
      g_autofree char *line = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT " %" G_GUINT64_FORMAT,
                                               d[i].major, d[i].minor, d[i].rate);
      g_autofree char *f = g_strdup_printf (F ("blockIO.%s[%zu]"), field, i);
      if (!berth_cgroup_write (dir, file, line, f, error))
        return false;
    }
  return true;
}

static bool
apply_blkio (BerthCgroup *cg, const BerthBlockIO *b, GError **error)
{
  const char *dir = berth_cgroup_v1_dir (cg, "blkio");
  if (!require_dir (dir, "blkio", F ("blockIO"), error))
    return false;
  /* runc: blkio.weight (CFQ), else blkio.bfq.weight when only BFQ exists. */
  const char *weight_file = berth_cgroup_file_exists (dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  if (b->has_weight && b->weight != 0 && !write_u64 (dir, weight_file, b->weight, F ("blockIO.weight"), error))
    return false;
  if (b->has_leafWeight && b->leafWeight != 0
      && !write_u64 (dir, "blkio.leaf_weight", b->leafWeight, F ("blockIO.leafWeight"), error))
    return false;
  const char *wd_file = berth_cgroup_file_exists (dir, "blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
  for (size_t i = 0; i < b->n_weightDevice; i++)
    {
      const BerthWeightDevice *w = &b->weightDevice[i];
      g_autofree char *field = g_strdup_printf (F ("blockIO.weightDevice[%zu]"), i);
      if (w->has_weight)
        {
          g_autofree char *line = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT " %u", w->major, w->minor, w->weight);
          if (!berth_cgroup_write (dir, wd_file, line, field, error))
            return false;
        }
      if (w->has_leafWeight)
        {
          g_autofree char *line = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT " %u", w->major, w->minor, w->leafWeight);
          if (!berth_cgroup_write (dir, "blkio.leaf_weight_device", line, field, error))
            return false;
        }
    }
  return write_devices (dir, "blkio.throttle.read_bps_device", "throttleReadBpsDevice", b->throttleReadBpsDevice,
                        b->n_throttleReadBpsDevice, error)
         && write_devices (dir, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice", b->throttleWriteBpsDevice,
                           b->n_throttleWriteBpsDevice, error)
         && write_devices (dir, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice", b->throttleReadIOPSDevice,
                           b->n_throttleReadIOPSDevice, error)
         && write_devices (dir, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice", b->throttleWriteIOPSDevice,
                           b->n_throttleWriteIOPSDevice, error);
}

bool
berth_cgroup_v1_apply (BerthCgroup *cg, const BerthResources *r, bool update, GError **error)
{
  if (r->memory != NULL && !apply_memory (cg, r->memory, update, error))
    return false;
  if (r->cpu != NULL && !apply_cpu (cg, r->cpu, error))
    return false;
  if (r->has_pids_limit)
    {
      const char *dir = berth_cgroup_v1_dir (cg, "pids");
      if (!require_dir (dir, "pids", F ("pids.limit"), error))
        return false;
      g_autofree char *v = r->pids_limit > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, r->pids_limit) : g_strdup ("max");
      if (!berth_cgroup_write (dir, "pids.max", v, F ("pids.limit"), error))
        return false;
    }
  if (r->blockIO != NULL && !apply_blkio (cg, r->blockIO, error))
    return false;
  const char *hugetlb = berth_cgroup_v1_dir (cg, "hugetlb");
  for (size_t i = 0; hugetlb != NULL && i < r->n_hugepageLimits; i++)
    {
      g_autofree char *file = g_strdup_printf ("hugetlb.%s.limit_in_bytes", r->hugepageLimits[i].pageSize);
      g_autofree char *field = g_strdup_printf (F ("hugepageLimits[%zu]"), i);
      if (!write_u64 (hugetlb, file, r->hugepageLimits[i].limit, field, error))
        return false;
    }
  if (r->has_network_classID
      && !write_u64 (berth_cgroup_v1_dir (cg, "net_cls"), "net_cls.classid", r->network_classID, F ("network.classID"), error))
    return false;
  for (size_t i = 0; i < r->n_network_priorities; i++)
    {
      g_autofree char *line = g_strdup_printf ("%s %u", r->network_priorities[i].name, r->network_priorities[i].priority);
      g_autofree char *field = g_strdup_printf (F ("network.priorities[%zu]"), i);
      if (!berth_cgroup_write (berth_cgroup_v1_dir (cg, "net_prio"), "net_prio.ifpriomap", line, field, error))
        return false;
    }
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const BerthRdma *d = &r->rdma[i];
      g_autoptr (GString) line = g_string_new (d->device);
      if (d->has_hcaHandles)
        g_string_append_printf (line, " hca_handle=%u", d->hcaHandles);
      if (d->has_hcaObjects)
        g_string_append_printf (line, " hca_object=%u", d->hcaObjects);
      g_autofree char *field = g_strdup_printf (F ("rdma[\"%s\"]"), d->device);
      if (!berth_cgroup_write (berth_cgroup_v1_dir (cg, "rdma"), "rdma.max", line->str, field, error))
        return false;
    }
  return true;
}

bool
berth_cgroup_v1_freeze (BerthCgroup *cg, bool frozen, GError **error)
{
  const char *dir = berth_cgroup_v1_dir (cg, "freezer");
  if (dir == NULL)
    return berth_fail_code (error, ENOTSUP, "cgroup: the freezer controller is not mounted");
  const char *want = frozen ? "FROZEN" : "THAWED";
  /* runc: write, read back; FREEZING means retry. Bounded to about 2 s. */
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  unsigned delay_us = 100;
  for (;;)
    {
      if (!berth_cgroup_write (dir, "freezer.state", want, frozen ? "freeze" : "thaw", error))
        return false;
      g_autofree char *state = berth_cgroup_read (dir, "freezer.state");
      if (state == NULL)
        return berth_fail_errno (error, errno, "cgroup: read %s/freezer.state", dir);
      if (strcmp (state, want) == 0)
        return true;
      if (g_get_monotonic_time () >= deadline)
        {
          if (frozen)
            berth_cgroup_write (dir, "freezer.state", "THAWED", "thaw", NULL);
          return berth_fail_code (error, EBUSY, "cgroup: %s: freezer.state stays %s", dir, state);
        }
      g_usleep (delay_us);
      delay_us = MIN (delay_us * 2, 10000);
    }
}
