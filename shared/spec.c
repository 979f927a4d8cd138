/* STUB: to be replaced by the spec parser. */
#include "spec.h"
#include "error.h"
BerthSpec *berth_spec_parse (const char *json, size_t len, const char *bundle_dir, GError **error) { berth_fail (error, "config.json: parser not implemented"); return NULL; }
BerthSpec *berth_spec_load (const char *bundle_dir, char **ret_json, size_t *ret_len, GError **error) { berth_fail (error, "config.json: parser not implemented"); return NULL; }
void berth_spec_free (BerthSpec *spec) { g_free (spec); }
BerthProcess *berth_process_parse (const char *json, size_t len, GError **error) { berth_fail (error, "not implemented"); return NULL; }
void berth_process_free (BerthProcess *process) { g_free (process); }
BerthResources *berth_resources_parse (const char *json, size_t len, GError **error) { berth_fail (error, "not implemented"); return NULL; }
void berth_resources_free (BerthResources *resources) { g_free (resources); }
const BerthNamespace *berth_spec_namespace (const BerthSpec *spec, BerthNamespaceKind kind) { return NULL; }
int berth_namespace_clone_flag (BerthNamespaceKind kind) { return 0; }
int berth_rlimit_from_name (const char *name) { return -1; }
int berth_capability_from_name (const char *name) { return -1; }
char *berth_spec_default_json (bool rootless, uid_t uid, gid_t gid) { return g_strdup ("{}"); }
