/* The "linux" object of config.json (resources are in spec-resources.c). */
#include "spec-internal.h"

#include <string.h>

static bool
parse_namespace (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthNamespace *ns = elem;
  if (!spec_get_string (c, o, "type", REQUIRED, &ns->type, error))
    return false;
  if (!spec_namespace_kind_from_name (ns->type, &ns->kind))
    return spec_fail (c, "type", error, "unknown namespace type \"%s\"", ns->type);
  if (!spec_get_string (c, o, "path", OPTIONAL, &ns->path, error))
    return false;
  if (ns->path != NULL && !spec_is_absolute (ns->path))
    return spec_fail (c, "path", error, "must be an absolute path, got \"%s\"", ns->path);
  return true;
}

static bool
parse_namespaces (SpecCtx *c, JsonObject *o, BerthLinux *l, GError **error)
{
  if (!SPEC_OBJECT_ARRAY (c, o, "namespaces", OPTIONAL, l->namespaces, l->n_namespaces, parse_namespace, error))
    return false;
  for (size_t i = 0; i < l->n_namespaces; i++)
    for (size_t j = 0; j < i; j++)
      if (l->namespaces[i].kind == l->namespaces[j].kind)
        {
          size_t mark = spec_enter (c, "namespaces");
          spec_enter_index (c, i);
          spec_fail (c, "type", error, "duplicate namespace type \"%s\"", l->namespaces[i].type);
          spec_leave (c, mark);
          return false;
        }
  return true;
}

static bool
has_namespace (const BerthLinux *l, BerthNamespaceKind kind)
{
  for (size_t i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].kind == kind)
      return true;
  return false;
}

static bool
parse_time_offset (SpecCtx *c, const char *clock, JsonObject *o, void *elem, GError **error)
{
  BerthTimeOffset *t = elem;
  if (strcmp (clock, "monotonic") != 0 && strcmp (clock, "boottime") != 0)
    return spec_fail (c, NULL, error, "unknown clock \"%s\" (expected monotonic or boottime)", clock);
  t->clock = g_strdup (clock);
  return spec_get_int64 (c, o, "secs", OPTIONAL, &t->secs, NULL, error)
         && spec_get_uint32 (c, o, "nanosecs", OPTIONAL, &t->nanosecs, NULL, error)
         && (t->nanosecs < 1000000000u || spec_fail (c, "nanosecs", error, "must be less than 1000000000"));
}

static bool
parse_device (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthDevice *d = elem;
  if (!spec_get_string (c, o, "path", REQUIRED, &d->path, error))
    return false;
  if (!spec_is_absolute (d->path))
    return spec_fail (c, "path", error, "must be an absolute path, got \"%s\"", d->path);
  if (!spec_get_string (c, o, "type", REQUIRED, &d->type, error))
    return false;
  if (strcmp (d->type, "c") != 0 && strcmp (d->type, "u") != 0 && strcmp (d->type, "b") != 0
      && strcmp (d->type, "p") != 0)
    return spec_fail (c, "type", error, "unknown device type \"%s\" (expected c, u, b or p)", d->type);
  bool numbered = strcmp (d->type, "p") != 0;   /* a fifo has no major/minor */
  return spec_get_int64 (c, o, "major", numbered, &d->major, NULL, error)
         && spec_get_int64 (c, o, "minor", numbered, &d->minor, NULL, error)
         && spec_get_uint32 (c, o, "fileMode", OPTIONAL, &d->fileMode, &d->has_fileMode, error)
         && spec_get_uint32 (c, o, "uid", OPTIONAL, &d->uid, &d->has_uid, error)
         && spec_get_uint32 (c, o, "gid", OPTIONAL, &d->gid, &d->has_gid, error);
}

static bool
parse_seccomp_arg (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  struct BerthSeccompArg *a = elem;
  int64_t index = 0;
  if (!spec_get_int64_range (c, o, "index", REQUIRED, 0, 5, &index, NULL, error)
      || !spec_get_uint64 (c, o, "value", REQUIRED, &a->value, NULL, error)
      || !spec_get_uint64 (c, o, "valueTwo", OPTIONAL, &a->valueTwo, NULL, error)
      || !spec_get_string (c, o, "op", REQUIRED, &a->op, error))
    return false;
  a->index = (uint32_t) index;
  if (!spec_seccomp_operator_known (a->op))
    return spec_fail (c, "op", error, "unknown seccomp operator \"%s\"", a->op);
  return true;
}

static bool
parse_seccomp_syscall (SpecCtx *c, JsonObject *o, void *elem, GError **error)
{
  BerthSeccompSyscall *s = elem;
  if (!spec_get_strv (c, o, "names", REQUIRED, true, &s->names, error)
      || !spec_get_string (c, o, "action", REQUIRED, &s->action, error))
    return false;
  if (!spec_seccomp_action_known (s->action))
    return spec_fail (c, "action", error, "unknown seccomp action \"%s\"", s->action);
  return spec_get_uint32 (c, o, "errnoRet", OPTIONAL, &s->errnoRet, &s->has_errnoRet, error)
         && SPEC_OBJECT_ARRAY (c, o, "args", OPTIONAL, s->args, s->n_args, parse_seccomp_arg, error);
}

static bool
parse_seccomp (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthSeccomp *s = data;
  if (!spec_get_string (c, o, "defaultAction", REQUIRED, &s->defaultAction, error))
    return false;
  if (!spec_seccomp_action_known (s->defaultAction))
    return spec_fail (c, "defaultAction", error, "unknown seccomp action \"%s\"", s->defaultAction);
  if (strcmp (s->defaultAction, "SCMP_ACT_NOTIFY") == 0)
    return spec_fail (c, "defaultAction", error, "SCMP_ACT_NOTIFY cannot be the default action");
  if (!spec_get_uint32 (c, o, "defaultErrnoRet", OPTIONAL, &s->defaultErrnoRet, &s->has_defaultErrnoRet, error)
      || !spec_get_strv (c, o, "architectures", OPTIONAL, false, &s->architectures, error)
      || !spec_check_names (c, "architectures", s->architectures, spec_seccomp_arch_known, "seccomp architecture", error)
      || !spec_get_strv (c, o, "flags", OPTIONAL, false, &s->flags, error)
      || !spec_check_names (c, "flags", s->flags, spec_seccomp_flag_known, "seccomp flag", error)
      || !spec_get_string (c, o, "listenerPath", OPTIONAL, &s->listenerPath, error)
      || !spec_get_string (c, o, "listenerMetadata", OPTIONAL, &s->listenerMetadata, error)
      || !SPEC_OBJECT_ARRAY (c, o, "syscalls", OPTIONAL, s->syscalls, s->n_syscalls, parse_seccomp_syscall, error))
    return false;
  if (s->listenerPath == NULL || s->listenerPath[0] == '\0')
    for (size_t i = 0; i < s->n_syscalls; i++)
      if (strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
        return spec_fail (c, "listenerPath", error, "is required when SCMP_ACT_NOTIFY is used");
  return true;
}

static bool
parse_personality (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  BerthLinux *l = data;
  if (!spec_get_string (c, o, "domain", REQUIRED, &l->personality_domain, error))
    return false;
  if (strcmp (l->personality_domain, "LINUX") != 0 && strcmp (l->personality_domain, "LINUX32") != 0)
    return spec_fail (c, "domain", error, "unknown personality domain \"%s\" (expected LINUX or LINUX32)",
                      l->personality_domain);
  return spec_get_strv (c, o, "flags", OPTIONAL, false, &l->personality_flags, error);
}

static bool
parse_resources_object (SpecCtx *c, JsonObject *o, void *data, GError **error)
{
  return spec_parse_resources (c, o, data, error);
}

static bool
get_absolute_paths (SpecCtx *c, JsonObject *o, const char *m, char ***out, GError **error)
{
  if (!spec_get_strv (c, o, m, OPTIONAL, false, out, error))
    return false;
  for (size_t i = 0; *out != NULL && (*out)[i] != NULL; i++)
    if (!spec_is_absolute ((*out)[i]))
      {
        size_t mark = spec_enter (c, m);
        spec_enter_index (c, i);
        spec_fail (c, NULL, error, "must be an absolute path, got \"%s\"", (*out)[i]);
        spec_leave (c, mark);
        return false;
      }
  return true;
}

bool
spec_parse_linux (SpecCtx *c, JsonObject *o, BerthLinux *l, GError **error)
{
  if (!parse_namespaces (c, o, l, error)
      || !SPEC_OBJECT_ARRAY (c, o, "uidMappings", OPTIONAL, l->uidMappings, l->n_uidMappings, spec_parse_id_mapping, error)
      || !SPEC_OBJECT_ARRAY (c, o, "gidMappings", OPTIONAL, l->gidMappings, l->n_gidMappings, spec_parse_id_mapping, error)
      || !SPEC_KEYED_OBJECTS (c, o, "timeOffsets", l->timeOffsets, l->n_timeOffsets, parse_time_offset, error)
      || !SPEC_OBJECT_ARRAY (c, o, "devices", OPTIONAL, l->devices, l->n_devices, parse_device, error)
      || !spec_get_string (c, o, "cgroupsPath", OPTIONAL, &l->cgroupsPath, error)
      || !SPEC_ALLOC (c, o, "resources", l->resources, parse_resources_object, error)
      || !spec_get_string (c, o, "rootfsPropagation", OPTIONAL, &l->rootfsPropagation, error))
    return false;
  if (l->rootfsPropagation != NULL && !spec_propagation_known (l->rootfsPropagation))
    return spec_fail (c, "rootfsPropagation", error, "unknown propagation \"%s\"", l->rootfsPropagation);
  if (!SPEC_ALLOC (c, o, "seccomp", l->seccomp, parse_seccomp, error)
      || !spec_get_string_map (c, o, "sysctl", &l->sysctl, error)
      || !get_absolute_paths (c, o, "maskedPaths", &l->maskedPaths, error)
      || !get_absolute_paths (c, o, "readonlyPaths", &l->readonlyPaths, error)
      || !spec_get_string (c, o, "mountLabel", OPTIONAL, &l->mountLabel, error)
      || !spec_get_sub (c, o, "personality", OPTIONAL, parse_personality, l, error))
    return false;
  if ((l->n_uidMappings || l->n_gidMappings) && !has_namespace (l, BERTH_NS_USER))
    return spec_fail (c, l->n_uidMappings ? "uidMappings" : "gidMappings", error,
                      "requires a user namespace in .linux.namespaces");
  if (l->n_timeOffsets && !has_namespace (l, BERTH_NS_TIME))
    return spec_fail (c, "timeOffsets", error, "requires a time namespace in .linux.namespaces");
  return true;
}
