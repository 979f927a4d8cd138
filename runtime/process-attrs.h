/* Process attributes applied by the container init, in the order the
 * lifecycle calls them.  Field names follow the runtime-spec so grep finds
 * them (process.rlimits -> apply_rlimits ...). */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

/* Before pivot_root (host procfs not needed): linux.sysctl (through a private,
 * verified procfs handle), hostname, domainname. */
bool berth_apply_namespace_settings (const BerthSpec *spec, GError **error);

/* After pivot_root, still root in the container: process.oomScoreAdj,
 * rlimits, personality, scheduler, ioPriority, umask. */
bool berth_apply_process_limits (const BerthSpec *spec, const BerthProcess *process, GError **error);

/* Switch to process.user (additionalGids, gid, uid) keeping the capabilities
 * needed, then set all five capability sets (never inheritable unless asked)
 * and noNewPrivileges.  Seccomp is not part of this (see seccomp.h). */
bool berth_apply_identity (const BerthProcess *process, GError **error);

/* Helpers for exec --user / --cap. */
bool berth_capabilities_validate (char *const *names, const char *json_path, GError **error);
