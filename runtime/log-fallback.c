/* TEMPORARY: shared/log.c is still empty on this branch.  Weak definitions so
 * the runtime and its unit tests link; the real (strong) ones in shared/log.c
 * take precedence.  Delete this file once shared/log.c is merged. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

__attribute__ ((weak)) void
berth_log (BerthLogLevel level, const char *fmt, ...)
{
  if (level > BERTH_LOG_WARNING && g_getenv ("BERTH_DEBUG") == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}
