/* The one error type of Berth: a GError in the BERTH_ERROR domain whose code is
 * an errno value (EINVAL for bad input).  Fallible functions return false (or a
 * negative value / NULL) and fill `GError **error`; callers add context with
 * g_prefix_error (error, "what I was doing: ").  Nothing below the CLI prints
 * or exits: the CLI prints the message as one line and exits 1. */
#pragma once
#include <glib.h>
#include <stdbool.h>

#define BERTH_ERROR (berth_error_quark ())
GQuark berth_error_quark (void);

/* Sets *error to "<message>: <strerror(errnum)>" with code errnum. Returns false. */
bool berth_fail_errno (GError **error, int errnum, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* Sets *error to "<message>" with code EINVAL. Returns false. */
bool berth_fail (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* Like berth_fail but with an explicit code. Returns false. */
bool berth_fail_code (GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
