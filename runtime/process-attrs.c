/* STUB: to be replaced by the process attributes implementation. */
#include "process-attrs.h"
#include "error.h"
bool berth_apply_namespace_settings (const BerthSpec *spec, GError **error) { return true; }
bool berth_apply_process_limits (const BerthSpec *spec, const BerthProcess *process, GError **error) { return true; }
bool berth_apply_identity (const BerthProcess *process, GError **error) { return true; }
bool berth_capabilities_validate (char *const *names, const char *json_path, GError **error) { return true; }
