/* linux.seccomp through libseccomp. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

/* Validate the profile (actions, operators, architectures, flags); used at
 * create time so errors are reported before any process exists. */
bool berth_seccomp_validate (const BerthSeccomp *seccomp, GError **error);

/* Build and load the filter into the calling process.  With a NOTIFY action
 * *ret_notify_fd receives the listener fd (else -1). */
bool berth_seccomp_load (const BerthSeccomp *seccomp, int *ret_notify_fd, GError **error);
