/* Shared between the spec-*.c files only: section parsers, section free
 * functions, and name tables beyond the public lookups in spec.h. */
#pragma once
#include "spec.h"
#include "spec-json.h"

/* Section parsers: fill a zeroed struct from obj; ctx path is the object's path. */
bool spec_parse_process (SpecCtx *c, JsonObject *obj, BerthProcess *process, GError **error);
bool spec_parse_resources (SpecCtx *c, JsonObject *obj, BerthResources *resources, GError **error);
bool spec_parse_linux (SpecCtx *c, JsonObject *obj, BerthLinux *linux_, GError **error);
bool spec_parse_id_mapping (SpecCtx *c, JsonObject *obj, void *elem, GError **error);

/* Free a struct's contents (not the struct); safe on partially filled ones. */
void spec_process_clear (BerthProcess *process);
void spec_resources_clear (BerthResources *resources);
void spec_linux_clear (BerthLinux *linux_);

/* Name tables (exact, case-sensitive names as in the runtime-spec). */
int spec_sched_policy_from_name (const char *name);     /* SCHED_*, -1 if unknown */
bool spec_sched_flag_known (const char *name);
int spec_ioprio_class_from_name (const char *name);     /* 1 RT, 2 BE, 3 IDLE, -1 */
bool spec_namespace_kind_from_name (const char *name, BerthNamespaceKind *ret_kind);
bool spec_propagation_known (const char *name);
bool spec_seccomp_action_known (const char *name);
bool spec_seccomp_operator_known (const char *name);
bool spec_seccomp_arch_known (const char *name);
bool spec_seccomp_flag_known (const char *name);
