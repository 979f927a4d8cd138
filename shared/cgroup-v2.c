/* cgroup v2 resources (runc 1.1 libcontainer/cgroups/fs2), controller
 * enabling, the hybrid unified extras and the v2 freezer. */
#include "cgroup-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define F(x) ".linux.resources." x
#define UNIFIED_ROOT "/sys/fs/cgroup/unified"

static bool
enable_in (const char *dir, const char *const *controllers)
{
  g_autofree char *avail = berth_cgroup_read (dir, "cgroup.controllers");
  g_autofree char *enabled = berth_cgroup_read (dir, "cgroup.subtree_control");
  g_autoptr (GString) want = g_string_new (NULL);
  for (const char *const *c = controllers; c && *c; c++)
    if (**c && berth_cgroup_word_in_list (avail, *c, " \n") && !berth_cgroup_word_in_list (enabled, *c, " \n"))
      g_string_append_printf (want, "%s+%s", want->len ? " " : "", *c);
  if (want->len == 0)
    return true;
  /* A non-root cgroup holding processes cannot delegate domain controllers
   * ("no internal processes"); enabling the threaded ones would leave its
   * children unable to take processes.  Leave it alone. */
  g_autofree char *procs = berth_cgroup_read (dir, "cgroup.procs");
  if (procs != NULL && *procs != '\0' && berth_cgroup_file_exists (dir, "cgroup.type") /* not the root */)
    return true;
  if (berth_cgroup_write (dir, "cgroup.subtree_control", want->str, "cgroup.subtree_control", NULL))
    return true;
  /* runc: retry one by one; what stays disabled shows up later as a
   * failing write naming the resource. */
  g_auto (GStrv) each = g_strsplit (want->str, " ", -1);
  for (char **e = each; *e; e++)
    berth_cgroup_write (dir, "cgroup.subtree_control", *e, "cgroup.subtree_control", NULL);
  return true;
}

bool
berth_cgroup_v2_enable_controllers (const char *base, const char *dir,
                                    const char *const *controllers, GError **error)
{
  size_t blen = strlen (base);
  if (strncmp (dir, base, blen) != 0 || (dir[blen] != '/' && dir[blen] != '\0'))
    return berth_fail (error, "cgroup: %s is not below %s", dir, base);
  g_autofree char *cur = g_strdup (base);
  g_auto (GStrv) parts = g_strsplit (dir + blen, "/", -1);
  for (char **p = parts; *p; p++)
    {
      if (**p == '\0')
        continue;
      enable_in (cur, controllers);
      char *next = g_build_filename (cur, *p, NULL);
      g_free (cur);
      cur = next;
    }
  return true;
}

static char *
num_to_str (int64_t v)
{
  if (v == 0)
    return NULL;
  if (v == -1)
    return g_strdup ("max");
  return g_strdup_printf ("%" G_GINT64_FORMAT, v);
}

static bool
apply_memory (const char *dir, const BerthMemory *m, bool update, GError **error)
{
  int64_t limit = m->has_limit ? m->limit : 0;
  int64_t swap_spec = m->has_swap ? m->swap : 0;
  if (update && m->has_checkBeforeUpdate && m->checkBeforeUpdate && limit > 0)
    {
      g_autofree char *cur = berth_cgroup_read (dir, "memory.current");
      uint64_t u;
      if (cur != NULL && berth_parse_uint64 (cur, G_MAXUINT64, &u) && (uint64_t) limit < u)
        return berth_fail_code (error, EBUSY, F ("memory.limit") ": rejecting limit %" G_GINT64_FORMAT
                                " below the current usage %" G_GUINT64_FORMAT " (checkBeforeUpdate)", limit, u);
    }
  int64_t swap;
  if (!berth_cgroup_swap_to_v2 (swap_spec, limit, &swap, error))
    return false;
  g_autofree char *swap_str = num_to_str (swap);
  if (swap_str == NULL && swap == 0 && swap_spec > 0)
    swap_str = g_strdup ("0"); /* memory == memory+swap: no swap */
  if (swap_str != NULL)
    {
      g_autoptr (GError) local = NULL;
      if (!berth_cgroup_write (dir, "memory.swap.max", swap_str, F ("memory.swap"), &local)
          && !(local->code == ENOENT && (strcmp (swap_str, "max") == 0 || strcmp (swap_str, "0") == 0)))
        return g_propagate_error (error, g_steal_pointer (&local)), false;
    }
  g_autofree char *max = num_to_str (limit);
  if (max != NULL && !berth_cgroup_write (dir, "memory.max", max, F ("memory.limit"), error))
    return false;
  g_autofree char *low = num_to_str (m->has_reservation ? m->reservation : 0);
  if (low != NULL && !berth_cgroup_write (dir, "memory.low", low, F ("memory.reservation"), error))
    return false;
  if (m->has_swappiness || m->has_disableOOMKiller || m->has_kernel || m->has_kernelTCP)
    g_debug ("cgroup v2: memory.swappiness/disableOOMKiller/kernel/kernelTCP are ignored");
  return true;
}

static bool
apply_cpu (const char *dir, const BerthCpu *c, GError **error)
{
  if (c->has_idle)
    {
      g_autofree char *v = g_strdup_printf ("%" G_GINT64_FORMAT, c->idle);
      if (!berth_cgroup_write (dir, "cpu.idle", v, F ("cpu.idle"), error))
        return false;
    }
  uint64_t weight = c->has_shares ? berth_cgroup_cpu_shares_to_weight (c->shares) : 0;
  if (weight != 0)
    {
      g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT, weight);
      if (!berth_cgroup_write (dir, "cpu.weight", v, F ("cpu.shares"), error))
        return false;
    }
  bool burst_pending = false;
  g_autofree char *burst = c->has_burst ? g_strdup_printf ("%" G_GUINT64_FORMAT, c->burst) : NULL;
  if (burst != NULL)
    {
      g_autoptr (GError) local = NULL;
      if (!berth_cgroup_write (dir, "cpu.max.burst", burst, F ("cpu.burst"), &local))
        {
          if (local->code != EINVAL)
            return g_propagate_error (error, g_steal_pointer (&local)), false;
          burst_pending = true; /* runc: retry after cpu.max */
        }
    }
  int64_t quota = c->has_quota ? c->quota : 0;
  uint64_t period = c->has_period ? c->period : 0;
  if (quota != 0 || period != 0)
    {
      g_autoptr (GString) v = g_string_new (quota > 0 ? NULL : "max");
      if (quota > 0)
        g_string_printf (v, "%" G_GINT64_FORMAT, quota);
      if (period != 0)
        g_string_append_printf (v, " %" G_GUINT64_FORMAT, period);
      if (!berth_cgroup_write (dir, "cpu.max", v->str, quota != 0 ? F ("cpu.quota") : F ("cpu.period"), error))
        return false;
    }
  if (burst_pending && !berth_cgroup_write (dir, "cpu.max.burst", burst, F ("cpu.burst"), error))
    return false;
  return berth_cgroup_write_cpuset (dir, c, error);
}

static bool
write_io_max (const char *dir, const char *key, const char *field, const BerthThrottleDevice *d, size_t n,
              GError **error)
{
  for (size_t i = 0; i < n; i++)
    {
      g_autofree char *line = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT " %s=%" G_GUINT64_FORMAT,
                                               d[i].major, d[i].minor, key, d[i].rate);
      g_autofree char *f = g_strdup_printf (F ("blockIO.%s[%zu]"), field, i);
      if (!berth_cgroup_write (dir, "io.max", line, f, error))
        return false;
    }
  return true;
}

static bool
apply_io (const char *dir, const BerthBlockIO *b, GError **error)
{
  /* runc: BFQ's io.bfq.weight takes the value as is; io.weight converted. */
  bool bfq = berth_cgroup_file_exists (dir, "io.bfq.weight");
  if (b->has_weight && b->weight != 0)
    {
      g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                            bfq ? b->weight : berth_cgroup_blkio_weight_to_io_weight (b->weight));
      if (!berth_cgroup_write (dir, bfq ? "io.bfq.weight" : "io.weight", v, F ("blockIO.weight"), error))
        return false;
    }
  for (size_t i = 0; i < b->n_weightDevice; i++)
    {
      const BerthWeightDevice *w = &b->weightDevice[i];
      g_autofree char *field = g_strdup_printf (F ("blockIO.weightDevice[%zu]"), i);
      if (!w->has_weight)
        continue;
      if (!bfq)
        return berth_fail_code (error, ENOTSUP, "%s: per-device weights need the BFQ scheduler (no io.bfq.weight)", field);
      g_autofree char *line = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT " %u", w->major, w->minor, w->weight);
      if (!berth_cgroup_write (dir, "io.bfq.weight", line, field, error))
        return false;
    }
  return write_io_max (dir, "rbps", "throttleReadBpsDevice", b->throttleReadBpsDevice, b->n_throttleReadBpsDevice, error)
         && write_io_max (dir, "wbps", "throttleWriteBpsDevice", b->throttleWriteBpsDevice, b->n_throttleWriteBpsDevice, error)
         && write_io_max (dir, "riops", "throttleReadIOPSDevice", b->throttleReadIOPSDevice, b->n_throttleReadIOPSDevice, error)
         && write_io_max (dir, "wiops", "throttleWriteIOPSDevice", b->throttleWriteIOPSDevice, b->n_throttleWriteIOPSDevice, error);
}

static bool
apply_hugetlb (const char *dir, const BerthResources *r, GError **error)
{
  for (size_t i = 0; i < r->n_hugepageLimits; i++)
    {
      g_autofree char *file = g_strdup_printf ("hugetlb.%s.max", r->hugepageLimits[i].pageSize);
      g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT, r->hugepageLimits[i].limit);
      g_autofree char *field = g_strdup_printf (F ("hugepageLimits[%zu]"), i);
      if (!berth_cgroup_write (dir, file, v, field, error))
        return false;
    }
  return true;
}

bool
berth_cgroup_v2_unified (const char *dir, GHashTable *unified, GError **error)
{
  if (unified == NULL)
    return true;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, unified);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      g_autofree char *field = g_strdup_printf (F ("unified[\"%s\"]"), (const char *) k);
      if (!berth_cgroup_write (dir, k, v, field, error))
        return false;
    }
  return true;
}

bool
berth_cgroup_v2_apply (BerthCgroup *cg, const char *dir, const BerthResources *r, bool update, GError **error)
{
  if (r->memory != NULL && !apply_memory (dir, r->memory, update, error))
    return false;
  if (r->cpu != NULL && !apply_cpu (dir, r->cpu, error))
    return false;
  if (r->has_pids_limit)
    {
      g_autofree char *v = r->pids_limit > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, r->pids_limit) : g_strdup ("max");
      if (!berth_cgroup_write (dir, "pids.max", v, F ("pids.limit"), error))
        return false;
    }
  if (r->blockIO != NULL && !apply_io (dir, r->blockIO, error))
    return false;
  if (!apply_hugetlb (dir, r, error))
    return false;
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      const BerthRdma *d = &r->rdma[i];
      g_autoptr (GString) line = g_string_new (d->device);
      if (d->has_hcaHandles)
        g_string_append_printf (line, " hca_handle=%u", d->hcaHandles);
      if (d->has_hcaObjects)
        g_string_append_printf (line, " hca_object=%u", d->hcaObjects);
      g_autofree char *field = g_strdup_printf (F ("rdma[\"%s\"]"), d->device);
      if (!berth_cgroup_write (dir, "rdma.max", line->str, field, error))
        return false;
    }
  return berth_cgroup_v2_unified (dir, r->unified, error);
}

bool
berth_cgroup_v2_apply_hybrid (BerthCgroup *cg, const BerthResources *r, GError **error)
{
  bool hugetlb_here = r->n_hugepageLimits > 0 && berth_cgroup_v1_dir (cg, "hugetlb") == NULL;
  bool unified = r->unified != NULL && g_hash_table_size (r->unified) > 0;
  if (!hugetlb_here && !unified)
    return true;
  if (cg->unified_dir == NULL)
    return berth_fail_code (error, ENOTSUP, F ("unified") ": no cgroup2 directory for this container");
  /* Enable only what is needed, from the mount root down. */
  g_autoptr (GPtrArray) ctrls = g_ptr_array_new_with_free_func (g_free);
  if (hugetlb_here)
    g_ptr_array_add (ctrls, g_strdup ("hugetlb"));
  if (unified)
    {
      GHashTableIter it;
      gpointer k;
      g_hash_table_iter_init (&it, r->unified);
      while (g_hash_table_iter_next (&it, &k, NULL))
        {
          const char *dot = strchr (k, '.');
          g_autofree char *c = g_strndup (k, dot - (const char *) k);
          if (strcmp (c, "cgroup") != 0)
            g_ptr_array_add (ctrls, g_steal_pointer (&c));
        }
    }
  g_ptr_array_add (ctrls, NULL);
  if (ctrls->len > 1
      && !berth_cgroup_v2_enable_controllers (UNIFIED_ROOT, cg->unified_dir, (const char *const *) ctrls->pdata, error))
    return false;
  if (hugetlb_here && !apply_hugetlb (cg->unified_dir, r, error))
    return false;
  return berth_cgroup_v2_unified (cg->unified_dir, r->unified, error);
}

bool
berth_cgroup_v2_freeze (const char *dir, bool frozen, GError **error)
{
  if (!berth_cgroup_write (dir, "cgroup.freeze", frozen ? "1" : "0", frozen ? "freeze" : "thaw", error))
    return false;
  g_autofree char *path = g_build_filename (dir, "cgroup.events", NULL);
  berth_autofd int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_errno (error, errno, "cgroup: open %s", path);
  const char *want = frozen ? "frozen 1" : "frozen 0";
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  for (;;)
    {
      char buf[512];
      ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
      if (n < 0)
        return berth_fail_errno (error, errno, "cgroup: read %s", path);
      buf[n] = '\0';
      if (strstr (buf, want) != NULL)
        return true;
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      if (left <= 0)
        {
          if (frozen)
            berth_cgroup_write (dir, "cgroup.freeze", "0", "thaw", NULL);
          return berth_fail_code (error, EBUSY, "cgroup: %s did not report \"%s\" within 2 s", path, want);
        }
      /* cgroup.events changes wake poll with POLLPRI (kernfs notify). */
      struct pollfd p = { fd, POLLPRI, 0 };
      if (poll (&p, 1, (int) MIN (left, 100)) < 0 && errno != EINTR)
        return berth_fail_errno (error, errno, "cgroup: poll %s", path);
    }
}
