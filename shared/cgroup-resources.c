/* runc's resource conversions between the OCI spec (cgroup v1 semantics) and
 * cgroup v2 files, the validation done before any cgroup is touched, and
 * runc's default device rules. */
#include "cgroup-internal.h"
#include "error.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

uint64_t
berth_cgroup_cpu_shares_to_weight (uint64_t shares)
{
  /* runc ConvertCPUSharesToCgroupV2Value: [2,262144] -> [1,10000]. */
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
berth_cgroup_blkio_weight_to_io_weight (uint64_t weight)
{
  /* runc ConvertBlkIOToIOWeightValue: [10,1000] -> [1,10000]. */
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  return 1 + (weight - 10) * 9999 / 990;
}

bool
berth_cgroup_swap_to_v2 (int64_t swap, int64_t limit, int64_t *ret, GError **error)
{
  /* runc ConvertMemorySwapToCgroupV2Value: the spec's swap is memory+swap. */
  if (limit == -1 && swap == 0)
    return *ret = -1, true;
  if (swap == -1 || swap == 0)
    return *ret = swap, true;
  if (limit == 0 || limit == -1)
    return berth_fail (error, ".linux.resources.memory.swap: cannot set a swap limit without a memory limit");
  if (limit < 0)
    return berth_fail (error, ".linux.resources.memory.limit: invalid value %" G_GINT64_FORMAT, limit);
  if (swap < limit)
    return berth_fail (error, ".linux.resources.memory.swap: memory+swap limit %" G_GINT64_FORMAT
                       " must be >= the memory limit %" G_GINT64_FORMAT, swap, limit);
  *ret = swap - limit;
  return true;
}

char **
berth_cgroup_hugepage_sizes (void)
{
  /* runc HugePageSizes: hugepages-2048kB -> "2MB" (units.CustomSize %g). */
  static const char *const units[] = { "KB", "MB", "GB", "TB", "PB" };
  g_autoptr (GPtrArray) sizes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open ("/sys/kernel/mm/hugepages", 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      guint64 kb;
      if (!g_str_has_prefix (name, "hugepages-") || !g_str_has_suffix (name, "kB"))
        continue;
      g_autofree char *num = g_strndup (name + 10, strlen (name) - 12);
      if (!g_ascii_string_to_unsigned (num, 10, 1, G_MAXUINT64, &kb, NULL))
        continue;
      double v = (double) kb;
      size_t u = 0;
      while (v >= 1024 && u + 1 < G_N_ELEMENTS (units))
        v /= 1024, u++;
      g_ptr_array_add (sizes, g_strdup_printf ("%g%s", v, units[u]));
    }
  g_ptr_array_add (sizes, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&sizes), FALSE);
}

/* The nearest existing directory at or above dir. */
static char *
existing_ancestor (const char *dir)
{
  g_autofree char *cur = g_strdup (dir);
  while (access (cur, F_OK) != 0 && strcmp (cur, "/") != 0)
    {
      char *up = g_path_get_dirname (cur);
      g_free (cur);
      cur = up;
    }
  return g_steal_pointer (&cur);
}

static bool
unified_available (const BerthCgroup *cg, const char *controller)
{
  if (cg->unified_dir == NULL)
    return false;
  if (strcmp (controller, "cgroup") == 0)
    return true;
  g_autofree char *dir = existing_ancestor (cg->unified_dir);
  if (strcmp (dir, cg->unified_dir) == 0)
    {
      g_autofree char *up = g_path_get_dirname (dir);
      if (berth_cgroup_v2_has_controller (up, controller))
        return true;
    }
  return berth_cgroup_v2_has_controller (dir, controller);
}

static bool
validate_unified (const BerthCgroup *cg, GHashTable *unified, GError **error)
{
  if (unified == NULL || g_hash_table_size (unified) == 0)
    return true;
  if (cg->mode == BERTH_CGROUP_V1 || cg->unified_dir == NULL)
    return berth_fail (error, ".linux.resources.unified: requires cgroup v2 (this host has cgroup v1)");
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, unified);
  while (g_hash_table_iter_next (&it, &k, &v))
    {
      const char *key = k;
      const char *dot = strchr (key, '.');
      if (strchr (key, '/') != NULL || strstr (key, "..") != NULL || dot == NULL || dot == key || dot[1] == '\0')
        return berth_fail (error, ".linux.resources.unified: invalid key \"%s\" (want <controller>.<file>)", key);
      g_autofree char *ctrl = g_strndup (key, dot - key);
      if (!unified_available (cg, ctrl))
        return berth_fail_code (error, ENOTSUP, ".linux.resources.unified: key \"%s\": controller \"%s\" is not available",
                                key, ctrl);
      if (v == NULL || strchr (v, '\n') != NULL)
        return berth_fail (error, ".linux.resources.unified: key \"%s\": invalid value", key);
    }
  return true;
}

bool
berth_cgroup_resources_validate (const BerthCgroup *cg, const BerthResources *r, GError **error)
{
  if (!validate_unified (cg, r->unified, error))
    return false;
  bool v2 = cg->mode == BERTH_CGROUP_V2;
  if (r->n_hugepageLimits > 0)
    {
      g_auto (GStrv) sizes = berth_cgroup_hugepage_sizes ();
      for (size_t i = 0; i < r->n_hugepageLimits; i++)
        {
          const char *ps = r->hugepageLimits[i].pageSize;
          if (ps == NULL || !g_strv_contains ((const char *const *) sizes, ps))
            {
              g_autofree char *known = g_strjoinv (", ", sizes);
              return berth_fail (error, ".linux.resources.hugepageLimits[%zu].pageSize: unknown page size \"%s\" (this host has: %s)",
                                 i, ps ? ps : "", known);
            }
        }
      bool have = v2 ? unified_available (cg, "hugetlb")
                     : (berth_cgroup_v1_dir (cg, "hugetlb") != NULL
                        || (cg->mode == BERTH_CGROUP_HYBRID && unified_available (cg, "hugetlb")));
      if (!have)
        return berth_fail_code (error, ENOTSUP, ".linux.resources.hugepageLimits: the hugetlb controller is not available");
    }
  if (r->has_network_classID && (v2 || berth_cgroup_v1_dir (cg, "net_cls") == NULL))
    return berth_fail_code (error, ENOTSUP, ".linux.resources.network.classID: the net_cls controller is not mounted");
  if (r->n_network_priorities > 0 && (v2 || berth_cgroup_v1_dir (cg, "net_prio") == NULL))
    return berth_fail_code (error, ENOTSUP, ".linux.resources.network.priorities: the net_prio controller is not mounted");
  if (r->n_rdma > 0 && !(v2 ? unified_available (cg, "rdma") : berth_cgroup_v1_dir (cg, "rdma") != NULL))
    return berth_fail_code (error, ENOTSUP, ".linux.resources.rdma: the rdma controller is not available");
  if (v2 && r->cpu != NULL && (r->cpu->has_realtimeRuntime || r->cpu->has_realtimePeriod)
      && (r->cpu->realtimeRuntime != 0 || r->cpu->realtimePeriod != 0))
    return berth_fail_code (error, ENOTSUP, ".linux.resources.cpu.realtimeRuntime: real-time scheduling is not supported with cgroup v2");
  if (r->memory != NULL && r->memory->has_swappiness && r->memory->swappiness > 100 && !v2)
    return berth_fail (error, ".linux.resources.memory.swappiness: %" G_GUINT64_FORMAT " is not in [0,100]",
                       r->memory->swappiness);
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const BerthDeviceCgroupRule *d = &r->devices[i];
      if (d->type != NULL && strcmp (d->type, "a") != 0 && strcmp (d->type, "c") != 0 && strcmp (d->type, "b") != 0)
        return berth_fail (error, ".linux.resources.devices[%zu].type: \"%s\" is not a, b or c", i, d->type);
      if (d->access != NULL && (d->access[0] == '\0' || strspn (d->access, "rwm") != strlen (d->access)))
        return berth_fail (error, ".linux.resources.devices[%zu].access: \"%s\" is not a subset of \"rwm\"", i, d->access);
      if ((d->has_major && (d->major < 0 || d->major > UINT32_MAX)) || (d->has_minor && (d->minor < 0 || d->minor > UINT32_MAX)))
        return berth_fail (error, ".linux.resources.devices[%zu]: major/minor out of range", i);
    }
  return true;
}

#define RULE(t, maj, min, acc) { true, (char *) (t), (maj) >= 0, (maj), (min) >= 0, (min), (char *) (acc) }

const BerthDeviceCgroupRule *
berth_cgroup_default_device_rules (size_t *ret_n)
{
  /* runc 1.1 libcontainer/specconv AllowedDevices. */
  static const BerthDeviceCgroupRule rules[] = {
    RULE ("c", -1, -1, "m"),    /* mknod of any char device */
    RULE ("b", -1, -1, "m"),    /* mknod of any block device */
    RULE ("c", 1, 3, "rwm"),    /* /dev/null */
    RULE ("c", 1, 8, "rwm"),    /* /dev/random */
    RULE ("c", 1, 7, "rwm"),    /* /dev/full */
    RULE ("c", 5, 0, "rwm"),    /* /dev/tty */
    RULE ("c", 1, 5, "rwm"),    /* /dev/zero */
    RULE ("c", 1, 9, "rwm"),    /* /dev/urandom */
    RULE ("c", 136, -1, "rwm"), /* /dev/pts/N */
    RULE ("c", 5, 2, "rwm"),    /* /dev/ptmx */
  };
  *ret_n = G_N_ELEMENTS (rules);
  return rules;
}

bool
berth_cgroup_is_allow_all_rule (const BerthDeviceCgroupRule *rule, bool *ret_allow)
{
  bool all_types = rule->type == NULL || strcmp (rule->type, "a") == 0;
  bool all_access = rule->access == NULL || (strchr (rule->access, 'r') && strchr (rule->access, 'w') && strchr (rule->access, 'm'));
  *ret_allow = rule->allow;
  return all_types && !rule->has_major && !rule->has_minor && all_access;
}
