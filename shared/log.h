/* Logging: text or runc-style JSON lines ({"level":"error","msg":"...","time":"..."})
 * to --log FILE (default stderr).  Library code logs at debug only; the CLI
 * reports the error once. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef enum { BERTH_LOG_ERROR, BERTH_LOG_WARNING, BERTH_LOG_INFO, BERTH_LOG_DEBUG } BerthLogLevel;

/* path NULL = stderr.  format "text" or "json". */
bool berth_log_init (const char *path, const char *format, bool debug, GError **error);
void berth_log (BerthLogLevel level, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
#define berth_debug(...) berth_log (BERTH_LOG_DEBUG, __VA_ARGS__)
#define berth_warn(...) berth_log (BERTH_LOG_WARNING, __VA_ARGS__)
/* Report the final error: one line on stderr and, with --log, in the log. */
void berth_log_error_line (const char *msg);
/* The fd log lines go to (stderr unless --log): kept open by the container init. */
int berth_log_fd (void);
