#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (berth-error-quark, berth_error)

static bool
set_error_va (GError **error, int code, int errnum, const char *fmt, va_list ap)
{
  if (error == NULL)
    return false;
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  if (errnum != 0)
    g_set_error (error, BERTH_ERROR, code, "%s: %s", msg, g_strerror (errnum));
  else
    g_set_error_literal (error, BERTH_ERROR, code, msg);
  return false;
}

bool
berth_fail_errno (GError **error, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  set_error_va (error, errnum, errnum, fmt, ap);
  va_end (ap);
  return false;
}

bool
berth_fail (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  set_error_va (error, EINVAL, 0, fmt, ap);
  va_end (ap);
  return false;
}

bool
berth_fail_code (GError **error, int code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  set_error_va (error, code, 0, fmt, ap);
  va_end (ap);
  return false;
}
