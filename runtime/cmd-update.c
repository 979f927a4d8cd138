/* `update ID`: runc's flags (or -r resources.json) merged into the
 * container's linux.resources, applied to its cgroup, and recorded in the
 * config.json kept in the state dir (so a later update or events sees them). */
#include "cli.h"

#include "cgroup.h"
#include "error.h"
#include "json.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  char *resources;
  char *blkio_weight, *cpu_period, *cpu_quota, *cpu_burst, *cpu_rt_period, *cpu_rt_runtime, *cpu_share;
  char *cpuset_cpus, *cpuset_mems;
  char *memory, *memory_reservation, *memory_swap, *kernel_memory, *kernel_memory_tcp;
  char *pids_limit, *l3_cache_schema, *mem_bw_schema;
} UpdateArgs;

static void
update_args_clear (UpdateArgs *a)
{
  char **fields[] = { &a->resources, &a->blkio_weight, &a->cpu_period, &a->cpu_quota, &a->cpu_burst,
                      &a->cpu_rt_period, &a->cpu_rt_runtime, &a->cpu_share, &a->cpuset_cpus, &a->cpuset_mems,
                      &a->memory, &a->memory_reservation, &a->memory_swap, &a->kernel_memory,
                      &a->kernel_memory_tcp, &a->pids_limit, &a->l3_cache_schema, &a->mem_bw_schema };
  for (size_t i = 0; i < G_N_ELEMENTS (fields); i++)
    g_clear_pointer (fields[i], g_free);
}

/* docker/go-units RAMInBytes as runc uses it: "512", "64m", "1.5g", "2 GiB",
 * binary multipliers; "-1" = unlimited. */
static bool
parse_memory (const char *flag, const char *text, int64_t *ret, GError **error)
{
  if (strcmp (text, "-1") == 0)
    {
      *ret = -1;
      return true;
    }
  const char *p = text;
  char *end = NULL;
  if (!g_ascii_isdigit (*p))
    goto bad;
  errno = 0;
  double v = g_ascii_strtod (p, &end);
  if (errno != 0 || end == p)
    goto bad;
  p = end;
  if (*p == ' ')
    p++;
  double mult = 1;
  switch (g_ascii_tolower (*p))
    {
    case 'k': mult = 1024.0; p++; break;
    case 'm': mult = 1024.0 * 1024; p++; break;
    case 'g': mult = 1024.0 * 1024 * 1024; p++; break;
    case 't': mult = 1024.0 * 1024 * 1024 * 1024; p++; break;
    case 'p': mult = 1024.0 * 1024 * 1024 * 1024 * 1024; p++; break;
    default: break;
    }
  if (mult > 1 && g_ascii_tolower (*p) == 'i')
    p++;
  if (g_ascii_tolower (*p) == 'b')
    p++;
  if (*p != '\0')
    goto bad;
  double bytes = v * mult;
  if (!isfinite (bytes) || bytes >= 9.2e18)
    return berth_fail_code (error, ERANGE, "update: --%s: \"%s\" is too large", flag, text);
  *ret = (int64_t) bytes;
  return true;
bad:
  return berth_fail_code (error, EINVAL, "update: --%s: invalid size \"%s\" (a number with an optional k, m, g, t "
                          "or p suffix, or -1 for unlimited)", flag, text);
}

static bool
parse_u64_flag (const char *flag, const char *text, uint64_t max, uint64_t *ret, GError **error)
{
  if (!berth_parse_uint64 (text, max, ret))
    return berth_fail_code (error, EINVAL, "update: --%s: \"%s\" is not an integer in 0..%" G_GUINT64_FORMAT, flag,
                            text, max);
  return true;
}

static bool
parse_i64_flag (const char *flag, const char *text, int64_t min, int64_t *ret, GError **error)
{
  if (!berth_parse_int64 (text, min, INT64_MAX, ret))
    return berth_fail_code (error, EINVAL, "update: --%s: \"%s\" is not an integer >= %" G_GINT64_FORMAT, flag,
                            text, min);
  return true;
}

static JsonObject *
sub_object (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    {
      json_object_set_object_member (o, member, json_object_new ());
      n = json_object_get_member (o, member);
    }
  return json_node_get_object (n);
}

/* The flags as a resources JSON object (only what was given). */
static JsonObject *
flags_to_resources (const UpdateArgs *a, GError **error)
{
  g_autoptr (JsonObject) r = json_object_new ();
  uint64_t u;
  int64_t i;
  if (a->l3_cache_schema != NULL || a->mem_bw_schema != NULL)
    return berth_fail_code (error, ENOTSUP, "update: --%s: Intel RDT (resctrl) is not supported by berth",
                            a->l3_cache_schema ? "l3-cache-schema" : "mem-bw-schema"), NULL;
  if (a->blkio_weight != NULL)
    {
      if (!parse_u64_flag ("blkio-weight", a->blkio_weight, 1000, &u, error))
        return NULL;
      if (u != 0 && u < 10)
        return berth_fail_code (error, EINVAL, "update: --blkio-weight: %" G_GUINT64_FORMAT " is out of range 10..1000", u), NULL;
      json_object_set_int_member (sub_object (r, "blockIO"), "weight", (gint64) u);
    }
  struct { const char *flag, *member; const char *text; bool is_signed; int64_t min; } cpu[] = {
    { "cpu-period", "period", a->cpu_period, false, 0 },
    { "cpu-quota", "quota", a->cpu_quota, true, -1 },
    { "cpu-burst", "burst", a->cpu_burst, false, 0 },
    { "cpu-rt-period", "realtimePeriod", a->cpu_rt_period, false, 0 },
    { "cpu-rt-runtime", "realtimeRuntime", a->cpu_rt_runtime, true, -1 },
    { "cpu-share", "shares", a->cpu_share, false, 0 },
  };
  for (size_t k = 0; k < G_N_ELEMENTS (cpu); k++)
    {
      if (cpu[k].text == NULL)
        continue;
      if (cpu[k].is_signed ? !parse_i64_flag (cpu[k].flag, cpu[k].text, cpu[k].min, &i, error)
                           : !parse_u64_flag (cpu[k].flag, cpu[k].text, INT64_MAX, &u, error))
        return NULL;
      json_object_set_int_member (sub_object (r, "cpu"), cpu[k].member, cpu[k].is_signed ? i : (gint64) u);
    }
  if (a->cpuset_cpus != NULL)
    json_object_set_string_member (sub_object (r, "cpu"), "cpus", a->cpuset_cpus);
  if (a->cpuset_mems != NULL)
    json_object_set_string_member (sub_object (r, "cpu"), "mems", a->cpuset_mems);
  struct { const char *flag, *member; const char *text; } mem[] = {
    { "memory", "limit", a->memory },
    { "memory-reservation", "reservation", a->memory_reservation },
    { "memory-swap", "swap", a->memory_swap },
    { "kernel-memory", "kernel", a->kernel_memory },
    { "kernel-memory-tcp", "kernelTCP", a->kernel_memory_tcp },
  };
  for (size_t k = 0; k < G_N_ELEMENTS (mem); k++)
    {
      if (mem[k].text == NULL)
        continue;
      if (!parse_memory (mem[k].flag, mem[k].text, &i, error))
        return NULL;
      json_object_set_int_member (sub_object (r, "memory"), mem[k].member, i);
    }
  if (a->pids_limit != NULL)
    {
      if (!berth_parse_int64 (a->pids_limit, INT64_MIN, INT64_MAX, &i))
        return berth_fail_code (error, EINVAL, "update: --pids-limit: \"%s\" is not an integer (<= 0 = unlimited)",
                                a->pids_limit), NULL;
      json_object_set_int_member (sub_object (r, "pids"), "limit", i);
    }
  return g_steal_pointer (&r);
}

static JsonObject *
read_resources_file (const char *path, GError **error)
{
  g_autofree char *json = NULL;
  size_t len = 0;
  if (strcmp (path, "-") == 0)
    json = berth_read_file_at (STDIN_FILENO, "/proc/self/fd/0", 16 * 1024 * 1024, &len);
  else
    json = berth_read_file_at (AT_FDCWD, path, 16 * 1024 * 1024, &len);
  if (json == NULL)
    return berth_fail_errno (error, errno, "update: --resources %s", path), NULL;
  /* Validate with the spec's own rules first: errors name the field. */
  g_autoptr (BerthResources) check = berth_resources_parse (json, len, error);
  if (check == NULL)
    return g_prefix_error (error, "update: --resources: "), NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, (gssize) len, NULL))
    return berth_fail (error, "update: --resources %s: not JSON", path), NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Members of objects (memory, cpu, ...) are replaced one by one; anything
 * else (arrays, scalars) is replaced whole.  Device rules are never
 * updated (as runc). */
static void
merge_resources (JsonObject *into, JsonObject *delta)
{
  g_autoptr (GList) members = json_object_get_members (delta);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *n = json_object_get_member (delta, name);
      if (strcmp (name, "devices") == 0)
        continue;
      if (JSON_NODE_HOLDS_OBJECT (n))
        {
          JsonObject *dst = sub_object (into, name);
          JsonObject *src = json_node_get_object (n);
          g_autoptr (GList) inner = json_object_get_members (src);
          for (GList *m = inner; m; m = m->next)
            json_object_set_member (dst, m->data, json_node_copy (json_object_get_member (src, m->data)));
        }
      else
        json_object_set_member (into, name, json_node_copy (n));
    }
}

static bool
member_int (JsonObject *o, const char *obj, const char *member, int64_t *ret)
{
  JsonNode *n = json_object_get_member (o, obj);
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return false;
  JsonNode *m = json_object_get_member (json_node_get_object (n), member);
  if (m == NULL || json_node_get_value_kind (m) != JSON_VALUE_INT)
    return false;
  *ret = json_node_get_int (m);
  return true;
}

/* runc/docker's rules when only one of memory and memory+swap is given. */
static bool
fix_up_swap (JsonObject *merged, JsonObject *delta, GError **error)
{
  int64_t limit, swap, new_limit;
  bool delta_limit = member_int (delta, "memory", "limit", &new_limit);
  bool delta_swap = member_int (delta, "memory", "swap", &swap);
  if (!delta_limit || delta_swap)
    return true;
  if (new_limit == -1)
    {
      /* unlimited memory: the swap limit cannot stay below it. */
      json_object_set_int_member (sub_object (merged, "memory"), "swap", -1);
      return true;
    }
  if (member_int (merged, "memory", "swap", &swap) && swap > 0 && member_int (merged, "memory", "limit", &limit)
      && limit > swap)
    return berth_fail_code (error, EINVAL, "update: --memory: %" G_GINT64_FORMAT " is above the current memory+swap "
                            "limit %" G_GINT64_FORMAT "; set --memory-swap too", limit, swap);
  return true;
}

int
cmd_update (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  __attribute__ ((cleanup (update_args_clear))) UpdateArgs a = { 0 };
  GOptionEntry entries[] = {
    { "resources", 'r', 0, G_OPTION_ARG_FILENAME, &a.resources, "resources.json with the new values (- = stdin); the other flags are then ignored", "FILE" },
    { "blkio-weight", 0, 0, G_OPTION_ARG_FILENAME, &a.blkio_weight, "block IO weight (10..1000)", "N" },
    { "cpu-period", 0, 0, G_OPTION_ARG_FILENAME, &a.cpu_period, "CFS period (us)", "N" },
    { "cpu-quota", 0, 0, G_OPTION_ARG_FILENAME, &a.cpu_quota, "CFS quota (us, -1 = none)", "N" },
    { "cpu-burst", 0, 0, G_OPTION_ARG_FILENAME, &a.cpu_burst, "CFS burst (us)", "N" },
    { "cpu-rt-period", 0, 0, G_OPTION_ARG_FILENAME, &a.cpu_rt_period, "realtime period (us)", "N" },
    { "cpu-rt-runtime", 0, 0, G_OPTION_ARG_FILENAME, &a.cpu_rt_runtime, "realtime runtime (us)", "N" },
    { "cpu-share", 0, 0, G_OPTION_ARG_FILENAME, &a.cpu_share, "CPU shares (relative weight)", "N" },
    { "cpuset-cpus", 0, 0, G_OPTION_ARG_FILENAME, &a.cpuset_cpus, "CPUs allowed (e.g. 0-1)", "LIST" },
    { "cpuset-mems", 0, 0, G_OPTION_ARG_FILENAME, &a.cpuset_mems, "memory nodes allowed", "LIST" },
    { "memory", 0, 0, G_OPTION_ARG_FILENAME, &a.memory, "memory limit (e.g. 64m; -1 = unlimited)", "SIZE" },
    { "memory-reservation", 0, 0, G_OPTION_ARG_FILENAME, &a.memory_reservation, "memory soft limit", "SIZE" },
    { "memory-swap", 0, 0, G_OPTION_ARG_FILENAME, &a.memory_swap, "memory+swap limit (-1 = unlimited)", "SIZE" },
    { "kernel-memory", 0, 0, G_OPTION_ARG_FILENAME, &a.kernel_memory, "deprecated, ignored", "SIZE" },
    { "kernel-memory-tcp", 0, 0, G_OPTION_ARG_FILENAME, &a.kernel_memory_tcp, "deprecated, ignored", "SIZE" },
    { "pids-limit", 0, 0, G_OPTION_ARG_FILENAME, &a.pids_limit, "maximum number of pids (<= 0 = unlimited)", "N" },
    { "l3-cache-schema", 0, 0, G_OPTION_ARG_FILENAME, &a.l3_cache_schema, "Intel RDT L3 schema (not supported)", "S" },
    { "mem-bw-schema", 0, 0, G_OPTION_ARG_FILENAME, &a.mem_bw_schema, "Intel RDT MBA schema (not supported)", "S" },
    { NULL }
  };
  if (!cli_parse ("update", "<container-id>", entries, &argc, &argv, error)
      || !cli_require_args ("update", argc, argv, 1, "container ID", error))
    return 1;
  const char *id = argv[1];

  /* Everything the user gave is validated before the container is touched. */
  g_autoptr (JsonObject) delta = a.resources != NULL ? read_resources_file (a.resources, error)
                                                      : flags_to_resources (&a, error);
  if (delta == NULL)
    return 1;

  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, id, true, &c, error))
    return g_prefix_error (error, "update: "), 1;
  BerthStatus status = berth_container_status (&c);
  if (status == BERTH_STATUS_STOPPED || status == BERTH_STATUS_CREATING)
    return berth_fail (error, "update: container \"%s\" is %s", id, berth_status_name (status)), 1;
  if (c.state->cgroup == NULL)
    return berth_fail_code (error, ENOTSUP, "update: container \"%s\" has no cgroup", id), 1;
  g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (c.state->cgroup, error);
  if (cg == NULL)
    return 1;

  size_t len = 0;
  g_autofree char *config = berth_read_file_at (c.dir_fd, "config.json", 64 * 1024 * 1024, &len);
  if (config == NULL)
    return berth_fail_errno (error, errno, "update: read the container's config.json"), 1;
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, config, (gssize) len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return berth_fail (error, "update: the container's config.json is not a JSON object"), 1;
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *resources = sub_object (sub_object (json_node_get_object (root), "linux"), "resources");
  merge_resources (resources, delta);
  if (!fix_up_swap (resources, delta, error))
    return 1;

  /* The merged set, validated as linux.resources, is applied whole (as
   * runc's Set does): the kernel sees coherent memory/swap and period/quota. */
  g_autoptr (JsonNode) rnode = json_node_init_object (json_node_alloc (), resources);
  g_autofree char *rjson = json_to_string (rnode, FALSE);
  g_autoptr (BerthResources) merged = berth_resources_parse (rjson, strlen (rjson), error);
  if (merged == NULL)
    return g_prefix_error (error, "update: "), 1;
  if (!berth_cgroup_update (cg, merged, error))
    return g_prefix_error (error, "update: "), 1;

  g_autofree char *out = json_to_string (root, FALSE);
  if (!berth_runtime_file_write (c.dir_fd, "config.json", out, strlen (out), 0600, error))
    return g_prefix_error (error, "update: record the new resources: "), 1;
  return 0;
}
