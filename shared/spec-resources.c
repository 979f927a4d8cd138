/* linux.resources of config.json, also the whole of `update -r resources.json`. */
#include "spec-internal.h"

#include <string.h>

static bool
parse_device_rule (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthDeviceCgroupRule *r = elem;
  if (!spec_get_bool (c, o, "allow", REQUIRED, &r->allow, NULL, error)
      || !spec_get_string (c, o, "type", OPTIONAL, &r->type, error))
    return false;
  if (r->type != NULL && strcmp (r->type, "a") != 0 && strcmp (r->type, "c") != 0 && strcmp (r->type, "b") != 0)
    return spec_fail (c, "type", error, "unknown device type \"%s\" (expected a, c or b)", r->type);
  if (!spec_get_int64 (c, o, "major", OPTIONAL, &r->major, &r->has_major, error)
      || !spec_get_int64 (c, o, "minor", OPTIONAL, &r->minor, &r->has_minor, error)
      || !spec_get_string (c, o, "access", OPTIONAL, &r->access, error))
    return false;
  if (r->access != NULL && r->access[strspn (r->access, "rwm")] != '\0')
    return spec_fail (c, "access", error, "must be a combination of r, w and m, got \"%s\"", r->access);
  return true;
}

static bool
parse_memory (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthMemory *m = data;
  if (!spec_get_int64 (c, o, "limit", OPTIONAL, &m->limit, &m->has_limit, error)
      || !spec_get_int64 (c, o, "reservation", OPTIONAL, &m->reservation, &m->has_reservation, error)
      || !spec_get_int64 (c, o, "swap", OPTIONAL, &m->swap, &m->has_swap, error)
      || !spec_get_int64 (c, o, "kernel", OPTIONAL, &m->kernel, &m->has_kernel, error)
      || !spec_get_int64 (c, o, "kernelTCP", OPTIONAL, &m->kernelTCP, &m->has_kernelTCP, error)
      || !spec_get_uint64 (c, o, "swappiness", OPTIONAL, &m->swappiness, &m->has_swappiness, error)
      || !spec_get_bool (c, o, "disableOOMKiller", OPTIONAL, &m->disableOOMKiller, &m->has_disableOOMKiller, error)
      || !spec_get_bool (c, o, "useHierarchy", OPTIONAL, &m->useHierarchy, &m->has_useHierarchy, error)
      || !spec_get_bool (c, o, "checkBeforeUpdate", OPTIONAL, &m->checkBeforeUpdate, &m->has_checkBeforeUpdate, error))
    return false;
  /* Like runc, -1 (as uint64) means "not set". */
  if (m->has_swappiness && m->swappiness == UINT64_MAX)
    m->has_swappiness = false;
  if (m->has_swappiness && m->swappiness > 100)
    return spec_fail (c, "swappiness", error, "must be in 0..100");
  return true;
}

static bool
parse_cpu (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthCpu *cpu = data;
  return spec_get_uint64 (c, o, "shares", OPTIONAL, &cpu->shares, &cpu->has_shares, error)
         && spec_get_int64 (c, o, "quota", OPTIONAL, &cpu->quota, &cpu->has_quota, error)
         && spec_get_uint64 (c, o, "burst", OPTIONAL, &cpu->burst, &cpu->has_burst, error)
         && spec_get_uint64 (c, o, "period", OPTIONAL, &cpu->period, &cpu->has_period, error)
         && spec_get_int64 (c, o, "realtimeRuntime", OPTIONAL, &cpu->realtimeRuntime, &cpu->has_realtimeRuntime, error)
         && spec_get_uint64 (c, o, "realtimePeriod", OPTIONAL, &cpu->realtimePeriod, &cpu->has_realtimePeriod, error)
         && spec_get_string (c, o, "cpus", OPTIONAL, &cpu->cpus, error)
         && spec_get_string (c, o, "mems", OPTIONAL, &cpu->mems, error)
         && spec_get_int64 (c, o, "idle", OPTIONAL, &cpu->idle, &cpu->has_idle, error);
}

static bool
parse_pids (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthResources *r = data;
  return spec_get_int64 (c, o, "limit", OPTIONAL, &r->pids_limit, &r->has_pids_limit, error);
}

static bool
parse_weight_device (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthWeightDevice *d = elem;
  return spec_get_int64 (c, o, "major", REQUIRED, &d->major, NULL, error)
         && spec_get_int64 (c, o, "minor", REQUIRED, &d->minor, NULL, error)
         && spec_get_uint16 (c, o, "weight", OPTIONAL, &d->weight, &d->has_weight, error)
         && spec_get_uint16 (c, o, "leafWeight", OPTIONAL, &d->leafWeight, &d->has_leafWeight, error);
}

static bool
parse_throttle_device (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthThrottleDevice *d = elem;
  return spec_get_int64 (c, o, "major", REQUIRED, &d->major, NULL, error)
         && spec_get_int64 (c, o, "minor", REQUIRED, &d->minor, NULL, error)
         && spec_get_uint64 (c, o, "rate", REQUIRED, &d->rate, NULL, error);
}

static bool
parse_block_io (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthBlockIO *b = data;
  return spec_get_uint16 (c, o, "weight", OPTIONAL, &b->weight, &b->has_weight, error)
         && spec_get_uint16 (c, o, "leafWeight", OPTIONAL, &b->leafWeight, &b->has_leafWeight, error)
         && SPEC_OBJECT_ARRAY (c, o, "weightDevice", OPTIONAL, b->weightDevice, b->n_weightDevice,
                               parse_weight_device, error)
         && SPEC_OBJECT_ARRAY (c, o, "throttleReadBpsDevice", OPTIONAL, b->throttleReadBpsDevice,
                               b->n_throttleReadBpsDevice, parse_throttle_device, error)
         && SPEC_OBJECT_ARRAY (c, o, "throttleWriteBpsDevice", OPTIONAL, b->throttleWriteBpsDevice,
                               b->n_throttleWriteBpsDevice, parse_throttle_device, error)
         && SPEC_OBJECT_ARRAY (c, o, "throttleReadIOPSDevice", OPTIONAL, b->throttleReadIOPSDevice,
                               b->n_throttleReadIOPSDevice, parse_throttle_device, error)
         && SPEC_OBJECT_ARRAY (c, o, "throttleWriteIOPSDevice", OPTIONAL, b->throttleWriteIOPSDevice,
                               b->n_throttleWriteIOPSDevice, parse_throttle_device, error);
}

static bool
parse_hugepage_limit (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthHugepageLimit *h = elem;
  if (!spec_get_string (c, o, "pageSize", REQUIRED, &h->pageSize, error))
    return false;
  if (h->pageSize[0] == '\0')
    return spec_fail (c, "pageSize", error, "must not be empty");
  return spec_get_uint64 (c, o, "limit", REQUIRED, &h->limit, NULL, error);
}

static bool
parse_interface_priority (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthInterfacePriority *p = elem;
  return spec_get_string (c, o, "name", REQUIRED, &p->name, error)
         && spec_get_uint32 (c, o, "priority", REQUIRED, &p->priority, NULL, error);
}

static bool
parse_network (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthResources *r = data;
  return spec_get_uint32 (c, o, "classID", OPTIONAL, &r->network_classID, &r->has_network_classID, error)
         && SPEC_OBJECT_ARRAY (c, o, "priorities", OPTIONAL, r->network_priorities, r->n_network_priorities,
                               parse_interface_priority, error);
}

static bool
parse_rdma (SpecCtx *c, const char *device, JsonObject *o, void *elem, GError **error)
{
  BerthRdma *r = elem;
  r->device = g_strdup (device);
  return spec_get_uint32 (c, o, "hcaHandles", OPTIONAL, &r->hcaHandles, &r->has_hcaHandles, error)
         && spec_get_uint32 (c, o, "hcaObjects", OPTIONAL, &r->hcaObjects, &r->has_hcaObjects, error);
}

bool
spec_parse_resources (SpecCtx *c, JsonObject *o, BerthResources *r, GError **error)
{
  return SPEC_OBJECT_ARRAY (c, o, "devices", OPTIONAL, r->devices, r->n_devices, parse_device_rule, error)
         && SPEC_ALLOC (c, o, "memory", r->memory, parse_memory, error)
         && SPEC_ALLOC (c, o, "cpu", r->cpu, parse_cpu, error)
         && spec_get_sub (c, o, "pids", OPTIONAL, parse_pids, r, error)
         && SPEC_ALLOC (c, o, "blockIO", r->blockIO, parse_block_io, error)
         && SPEC_OBJECT_ARRAY (c, o, "hugepageLimits", OPTIONAL, r->hugepageLimits, r->n_hugepageLimits,
                               parse_hugepage_limit, error)
         && spec_get_sub (c, o, "network", OPTIONAL, parse_network, r, error)
         && SPEC_KEYED_OBJECTS (c, o, "rdma", r->rdma, r->n_rdma, parse_rdma, error)
         && spec_get_string_map (c, o, "unified", &r->unified, error);
}
