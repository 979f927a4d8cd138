/* config.json / process.json / resources.json -> the typed structs of spec.h.
 * The top level, process, mounts and hooks live here; linux in
 * spec-linux.c, linux.resources in spec-resources.c. */
#include "spec-internal.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#define CONFIG_MAX_SIZE (16 * 1024 * 1024)

/* ---- process ---- */

static bool
parse_console_size (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthProcess *p = data;
  p->has_consoleSize = true;
  return spec_get_uint32 (c, o, "height", REQUIRED, &p->consoleSize_height, NULL, error)
         && spec_get_uint32 (c, o, "width", REQUIRED, &p->consoleSize_width, NULL, error);
}

static bool
parse_user (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthProcess *p = data;
  return spec_get_uint32 (c, o, "uid", OPTIONAL, &p->uid, NULL, error)
         && spec_get_uint32 (c, o, "gid", OPTIONAL, &p->gid, NULL, error)
         && spec_get_uint32 (c, o, "umask", OPTIONAL, &p->umask, &p->has_umask, error)
         && spec_get_uint32_array (c, o, "additionalGids", &p->additionalGids, &p->n_additionalGids, error);
}

static bool
capability_known (const char *name)
{
  return berth_capability_from_name (name) >= 0;
}

static bool
parse_capability_set (SpecCtx *c, JsonObject *o, const char *m, char ***out, GError **error)
{
  return spec_get_strv (c, o, m, OPTIONAL, false, out, error)
         && spec_check_names (c, m, *out, capability_known, "capability", error);
}

static bool
parse_capabilities (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthCapabilities *caps = data;
  return parse_capability_set (c, o, "bounding", &caps->bounding, error)
         && parse_capability_set (c, o, "effective", &caps->effective, error)
         && parse_capability_set (c, o, "inheritable", &caps->inheritable, error)
         && parse_capability_set (c, o, "permitted", &caps->permitted, error)
         && parse_capability_set (c, o, "ambient", &caps->ambient, error);
}

static bool
parse_rlimit (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthRlimit *r = elem;
  if (!spec_get_string (c, o, "type", REQUIRED, &r->type, error))
    return false;
  r->resource = berth_rlimit_from_name (r->type);
  if (r->resource < 0)
    return spec_fail (c, "type", error, "unknown rlimit \"%s\"", r->type);
  if (!spec_get_uint64 (c, o, "hard", REQUIRED, &r->hard, NULL, error)
      || !spec_get_uint64 (c, o, "soft", REQUIRED, &r->soft, NULL, error))
    return false;
  if (r->soft > r->hard)
    return spec_fail (c, "soft", error, "must not exceed hard (%" G_GUINT64_FORMAT ")", r->hard);
  return true;
}

static bool
parse_rlimits (SpecCtx *c, JsonObject *o, BerthProcess *p, GError **error)
{
  if (!SPEC_OBJECT_ARRAY (c, o, "rlimits", OPTIONAL, p->rlimits, p->n_rlimits, parse_rlimit, error))
    return false;
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        {
          size_t mark = spec_enter (c, "rlimits");
          spec_enter_index (c, i);
          spec_fail (c, "type", error, "duplicate rlimit \"%s\"", p->rlimits[i].type);
          spec_leave (c, mark);
          return false;
        }
  return true;
}

static bool
parse_scheduler (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthScheduler *s = data;
  if (!spec_get_string (c, o, "policy", REQUIRED, &s->policy, error))
    return false;
  s->policy_value = spec_sched_policy_from_name (s->policy);
  if (s->policy_value < 0)
    return spec_fail (c, "policy", error, "unknown scheduler policy \"%s\"", s->policy);
  int64_t nice = 0;
  if (!spec_get_int64_range (c, o, "nice", OPTIONAL, -20, 19, &nice, &s->has_nice, error)
      || !spec_get_int32 (c, o, "priority", OPTIONAL, &s->priority, &s->has_priority, error)
      || !spec_get_strv (c, o, "flags", OPTIONAL, false, &s->flags, error)
      || !spec_check_names (c, "flags", s->flags, spec_sched_flag_known, "scheduler flag", error)
      || !spec_get_uint64 (c, o, "runtime", OPTIONAL, &s->runtime, NULL, error)
      || !spec_get_uint64 (c, o, "deadline", OPTIONAL, &s->deadline, NULL, error)
      || !spec_get_uint64 (c, o, "period", OPTIONAL, &s->period, NULL, error))
    return false;
  s->nice = (int32_t) nice;
  bool realtime = g_str_equal (s->policy, "SCHED_FIFO") || g_str_equal (s->policy, "SCHED_RR");
  if (s->has_priority && s->priority != 0 && !realtime)
    return spec_fail (c, "priority", error, "can only be set for SCHED_FIFO or SCHED_RR");
  if ((s->runtime || s->deadline || s->period) && !g_str_equal (s->policy, "SCHED_DEADLINE"))
    return spec_fail (c, NULL, error, "runtime, deadline and period can only be set for SCHED_DEADLINE");
  return true;
}

static bool
parse_io_priority (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthIoPriority *io = data;
  int64_t prio = 0;
  if (!spec_get_string (c, o, "class", REQUIRED, &io->class_name, error))
    return false;
  io->class_value = spec_ioprio_class_from_name (io->class_name);
  if (io->class_value < 0)
    return spec_fail (c, "class", error, "unknown I/O priority class \"%s\"", io->class_name);
  if (!spec_get_int64_range (c, o, "priority", OPTIONAL, 0, 7, &prio, NULL, error))
    return false;
  io->priority = (int) prio;
  return true;
}

bool
spec_parse_process (SpecCtx *c, JsonObject *o, BerthProcess *p, GError **error)
{
  int64_t oom = 0;
  if (!spec_get_bool (c, o, "terminal", OPTIONAL, &p->terminal, NULL, error)
      || !spec_get_sub (c, o, "consoleSize", OPTIONAL, parse_console_size, p, error)
      || !spec_get_sub (c, o, "user", OPTIONAL, parse_user, p, error)
      || !spec_get_strv (c, o, "args", REQUIRED, true, &p->args, error)
      || !spec_get_string (c, o, "commandLine", OPTIONAL, &p->commandLine, error))
    return false;
  if (p->commandLine != NULL)
    return spec_fail (c, "commandLine", error, "is only supported on Windows");
  if (!spec_get_strv (c, o, "env", OPTIONAL, false, &p->env, error)
      || !spec_get_string (c, o, "cwd", REQUIRED, &p->cwd, error))
    return false;
  if (!spec_is_absolute (p->cwd))
    return spec_fail (c, "cwd", error, "must be an absolute path, got \"%s\"", p->cwd);
  if (!SPEC_ALLOC (c, o, "capabilities", p->capabilities, parse_capabilities, error)
      || !parse_rlimits (c, o, p, error)
      || !spec_get_bool (c, o, "noNewPrivileges", OPTIONAL, &p->noNewPrivileges, NULL, error)
      || !spec_get_string (c, o, "apparmorProfile", OPTIONAL, &p->apparmorProfile, error)
      || !spec_get_int64_range (c, o, "oomScoreAdj", OPTIONAL, -1000, 1000, &oom, &p->has_oomScoreAdj, error)
      || !spec_get_string (c, o, "selinuxLabel", OPTIONAL, &p->selinuxLabel, error)
      || !SPEC_ALLOC (c, o, "scheduler", p->scheduler, parse_scheduler, error)
      || !SPEC_ALLOC (c, o, "ioPriority", p->ioPriority, parse_io_priority, error))
    return false;
  p->oomScoreAdj = (int) oom;
  return true;
}

/* ---- root, mounts, hooks ---- */

typedef struct { BerthSpec *spec; const char *bundle_dir; } RootData;

static bool
parse_root (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  RootData *rd = data;
  g_autofree char *path = NULL;
  if (!spec_get_string (c, o, "path", REQUIRED, &path, error)
      || !spec_get_bool (c, o, "readonly", OPTIONAL, &rd->spec->root_readonly, NULL, error))
    return false;
  if (path[0] == '\0')
    return spec_fail (c, "path", error, "must not be empty");
  rd->spec->root_path = spec_is_absolute (path) ? g_steal_pointer (&path)
                                                 : g_canonicalize_filename (path, rd->bundle_dir);
  return true;
}

bool
spec_parse_id_mapping (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthIdMapping *m = elem;
  return spec_get_uint32 (c, o, "containerID", REQUIRED, &m->containerID, NULL, error)
         && spec_get_uint32 (c, o, "hostID", REQUIRED, &m->hostID, NULL, error)
         && spec_get_uint32 (c, o, "size", REQUIRED, &m->size, NULL, error);
}

static bool
parse_mount (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthMount *m = elem;
  if (!spec_get_string (c, o, "destination", REQUIRED, &m->destination, error))
    return false;
  if (m->destination[0] == '\0')
    return spec_fail (c, "destination", error, "must not be empty");
  /* runtime-spec 1.1: a relative destination is relative to "/". */
  if (!spec_is_absolute (m->destination))
    {
      char *abs = g_strconcat ("/", m->destination, NULL);
      g_free (m->destination);
      m->destination = abs;
    }
  return spec_get_string (c, o, "type", OPTIONAL, &m->type, error)
         && spec_get_string (c, o, "source", OPTIONAL, &m->source, error)
         && spec_get_strv (c, o, "options", OPTIONAL, false, &m->options, error)
         && SPEC_OBJECT_ARRAY (c, o, "uidMappings", OPTIONAL, m->uidMappings, m->n_uidMappings,
                               spec_parse_id_mapping, error)
         && SPEC_OBJECT_ARRAY (c, o, "gidMappings", OPTIONAL, m->gidMappings, m->n_gidMappings,
                               spec_parse_id_mapping, error);
}

static bool
parse_hook (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthHook *h = elem;
  int64_t timeout = 0;
  if (!spec_get_string (c, o, "path", REQUIRED, &h->path, error))
    return false;
  if (!spec_is_absolute (h->path))
    return spec_fail (c, "path", error, "must be an absolute path, got \"%s\"", h->path);
  if (!spec_get_strv (c, o, "args", OPTIONAL, false, &h->args, error)
      || !spec_get_strv (c, o, "env", OPTIONAL, false, &h->env, error)
      || !spec_get_int64_range (c, o, "timeout", OPTIONAL, INT64_MIN, INT64_MAX, &timeout, &h->has_timeout, error))
    return false;
  if (h->has_timeout && (timeout <= 0 || timeout > INT_MAX))
    return spec_fail (c, "timeout", error, "must be a positive number of seconds");
  h->timeout = (int) timeout;
  return true;
}

static bool
parse_hook_list (SpecCtx *c, JsonObject *o, const char *m, BerthHookList *list, GError **error)
{
  return SPEC_OBJECT_ARRAY (c, o, m, OPTIONAL, list->hooks, list->n, parse_hook, error);
}

static bool
parse_hooks (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthHooks *h = data;
  return parse_hook_list (c, o, "prestart", &h->prestart, error)
         && parse_hook_list (c, o, "createRuntime", &h->createRuntime, error)
         && parse_hook_list (c, o, "createContainer", &h->createContainer, error)
         && parse_hook_list (c, o, "startContainer", &h->startContainer, error)
         && parse_hook_list (c, o, "poststart", &h->poststart, error)
         && parse_hook_list (c, o, "poststop", &h->poststop, error);
}

/* ---- top level ---- */

static bool
has_namespace (const BerthSpec *spec, BerthNamespaceKind kind)
{
  return berth_spec_namespace (spec, kind) != NULL;
}

static bool
parse_process_object (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  return spec_parse_process (c, o, data, error);
}

static bool
parse_linux_object (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  return spec_parse_linux (c, o, data, error);
}

static bool
parse_config (SpecCtx *c, JsonObject *o, BerthSpec *spec, const char *bundle_dir, GError **error)
{
  RootData rd = { spec, bundle_dir };
  if (!spec_get_string (c, o, "ociVersion", REQUIRED, &spec->ociVersion, error))
    return false;
  if (spec->ociVersion[0] == '\0')
    return spec_fail (c, "ociVersion", error, "must not be empty");
  if (!spec_get_sub (c, o, "root", REQUIRED, parse_root, &rd, error)
      || !SPEC_ALLOC (c, o, "process", spec->process, parse_process_object, error)
      || !spec_get_string (c, o, "hostname", OPTIONAL, &spec->hostname, error)
      || !spec_get_string (c, o, "domainname", OPTIONAL, &spec->domainname, error)
      || !SPEC_OBJECT_ARRAY (c, o, "mounts", OPTIONAL, spec->mounts, spec->n_mounts, parse_mount, error)
      || !spec_get_sub (c, o, "hooks", OPTIONAL, parse_hooks, &spec->hooks, error)
      || !spec_get_string_map (c, o, "annotations", &spec->annotations, error)
      || !SPEC_ALLOC (c, o, "linux", spec->linux_, parse_linux_object, error))
    return false;
  if (spec->annotations == NULL)
    spec->annotations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Like runc: a hostname/domainname needs a UTS namespace of the container's own. */
  if (spec->hostname && spec->hostname[0] && !has_namespace (spec, BERTH_NS_UTS))
    return spec_fail (c, "hostname", error, "requires a uts namespace in .linux.namespaces");
  if (spec->domainname && spec->domainname[0] && !has_namespace (spec, BERTH_NS_UTS))
    return spec_fail (c, "domainname", error, "requires a uts namespace in .linux.namespaces");
  return true;
}

BerthSpec *
berth_spec_parse (const char *json, size_t len, const char *bundle_dir, GError **error)
{
  g_autoptr (JsonNode) root = spec_json_parse_root ("config.json", json, len, error);
  if (root == NULL)
    return NULL;
  g_autoptr (GString) path = g_string_sized_new (64);
  SpecCtx c = { "config.json", path };
  g_autoptr (BerthSpec) spec = g_new0 (BerthSpec, 1);
  if (!parse_config (&c, json_node_get_object (root), spec, bundle_dir, error))
    return NULL;
  return g_steal_pointer (&spec);
}

BerthSpec *
berth_spec_load (const char *bundle_dir, char **ret_json, size_t *ret_len, GError **error)
{
  g_autofree char *file = g_build_filename (bundle_dir, "config.json", NULL);
  size_t len = 0;
  g_autofree char *json = berth_read_file_at (AT_FDCWD, file, CONFIG_MAX_SIZE, &len);
  if (json == NULL)
    {
      if (errno == EFBIG)
        return berth_fail_code (error, EFBIG, "bundle %s: config.json: larger than %d MiB", bundle_dir,
                                CONFIG_MAX_SIZE >> 20), NULL;
      return berth_fail_errno (error, errno, "bundle %s: config.json", bundle_dir), NULL;
    }
  BerthSpec *spec = berth_spec_parse (json, len, bundle_dir, error);
  if (spec == NULL)
    return NULL;
  if (ret_json)
    *ret_json = g_steal_pointer (&json);
  if (ret_len)
    *ret_len = len;
  return spec;
}

BerthProcess *
berth_process_parse (const char *json, size_t len, GError **error)
{
  g_autoptr (JsonNode) root = spec_json_parse_root ("process.json", json, len, error);
  if (root == NULL)
    return NULL;
  g_autoptr (GString) path = g_string_sized_new (64);
  SpecCtx c = { "process.json", path };
  g_autoptr (BerthProcess) process = g_new0 (BerthProcess, 1);
  if (!spec_parse_process (&c, json_node_get_object (root), process, error))
    return NULL;
  return g_steal_pointer (&process);
}

BerthResources *
berth_resources_parse (const char *json, size_t len, GError **error)
{
  g_autoptr (JsonNode) root = spec_json_parse_root ("resources.json", json, len, error);
  if (root == NULL)
    return NULL;
  g_autoptr (GString) path = g_string_sized_new (64);
  SpecCtx c = { "resources.json", path };
  g_autoptr (BerthResources) resources = g_new0 (BerthResources, 1);
  if (!spec_parse_resources (&c, json_node_get_object (root), resources, error))
    return NULL;
  return g_steal_pointer (&resources);
}
