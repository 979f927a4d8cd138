/* OCI hooks: run with the state JSON on stdin, args, env, timeout. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

/* Run each hook in order; stop at the first failure (returns false) unless
 * warn_only, where failures are logged as warnings and the rest still run. */
bool berth_hooks_run (const BerthHookList *hooks, const char *hook_name, const char *state_json,
                      bool warn_only, GError **error);
