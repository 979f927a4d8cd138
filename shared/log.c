#include "log.h"

#include "error.h"
#include "json-out.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The only process-wide state of the logger: set once by berth_log_init(). */
static struct
{
  int fd;
  bool json;
  bool debug;
} log_config = { .fd = STDERR_FILENO };

bool
berth_log_init (const char *path, const char *format, bool debug, GError **error)
{
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    return berth_fail (error, "--log-format: must be \"text\" or \"json\", not \"%s\"", format);
  log_config.json = format != NULL && strcmp (format, "json") == 0;
  log_config.debug = debug;
  if (path != NULL && *path != '\0')
    {
      int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
      if (fd < 0)
        return berth_fail_errno (error, errno, "--log %s", path);
      log_config.fd = fd;
    }
  return true;
}

int
berth_log_fd (void)
{
  return log_config.fd;
}

static const char *
level_name (BerthLogLevel level)
{
  switch (level)
    {
    case BERTH_LOG_ERROR: return "error";
    case BERTH_LOG_WARNING: return "warning";
    case BERTH_LOG_INFO: return "info";
    default: return "debug";
    }
}

static void
emit (int fd, BerthLogLevel level, const char *msg)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *ts = g_date_time_format_iso8601 (now);
  g_autofree char *line = NULL;
  if (log_config.json)
    {
      g_autoptr (GString) esc = g_string_new (NULL);
      berth_json_string (esc, msg);
      line = g_strdup_printf ("{\"level\":\"%s\",\"msg\":%s,\"time\":\"%s\"}\n", level_name (level), esc->str, ts);
    }
  else if (fd == STDERR_FILENO)
    line = level == BERTH_LOG_ERROR ? g_strdup_printf ("berth: %s\n", msg)
                                    : g_strdup_printf ("berth: %s: %s\n", level_name (level), msg);
  else
    line = g_strdup_printf ("%s %s: %s\n", ts, level_name (level), msg);
  berth_write_all (fd, line, strlen (line));
}

void
berth_log (BerthLogLevel level, const char *fmt, ...)
{
  if (level == BERTH_LOG_DEBUG && !log_config.debug)
    return;
  int saved = errno;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  emit (log_config.fd, level, msg);
  errno = saved;
}

void
berth_log_error_line (const char *msg)
{
  /* One plain line for the user, and the structured line in the log file. */
  if (log_config.fd != STDERR_FILENO)
    emit (log_config.fd, BERTH_LOG_ERROR, msg);
  g_autofree char *line = g_strdup_printf ("berth: %s\n", msg);
  berth_write_all (STDERR_FILENO, line, strlen (line));
}
