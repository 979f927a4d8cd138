/* berth events <-> berth-monitor: socket path, request line, durations. */
#include "monitor-proto.h"

#include "error.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <string.h>

char *
berth_monitor_socket_path (int root_fd)
{
  return g_strdup_printf ("/proc/self/fd/%d/" BERTH_MONITOR_SOCKET, root_fd);
}

void
berth_monitor_request_clear (BerthMonitorRequest *req)
{
  g_clear_pointer (&req->id, g_free);
}

char *
berth_monitor_request_format (const BerthMonitorRequest *req)
{
  return g_strdup_printf ("events %" G_GUINT64_FORMAT " %d %s\n", req->interval_ns, req->once ? 1 : 0,
                          req->id ? req->id : "*");
}

bool
berth_monitor_request_parse (const char *line, BerthMonitorRequest *ret, GError **error)
{
  memset (ret, 0, sizeof *ret);
  g_auto (GStrv) f = g_strsplit (line, " ", -1);
  uint64_t once;
  if (g_strv_length (f) != 4 || strcmp (f[0], "events") != 0)
    return berth_fail (error, "monitor request: expected \"events <interval> <once> <id>\"");
  if (!berth_parse_uint64 (f[1], UINT64_MAX, &ret->interval_ns) || ret->interval_ns == 0)
    return berth_fail (error, "monitor request: bad interval \"%s\"", f[1]);
  if (!berth_parse_uint64 (f[2], 1, &once))
    return berth_fail (error, "monitor request: bad once flag \"%s\"", f[2]);
  ret->once = once == 1;
  if (strcmp (f[3], "*") != 0)
    {
      if (!berth_id_validate (f[3], error))
        return false;
      ret->id = g_strdup (f[3]);
    }
  return true;
}

bool
berth_parse_go_duration (const char *text, uint64_t *ret_ns, GError **error)
{
  static const struct { const char *unit; uint64_t ns; } units[] = {
    { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 }, { "ms", 1000000 },
    { "s", 1000000000ull }, { "m", 60000000000ull }, { "h", 3600000000000ull },
  };
  const char *p = text;
  if (p == NULL || *p == '\0')
    return berth_fail (error, "invalid duration \"\": expected e.g. 5s, 500ms, 1m");
  if (*p == '+')
    p++;
  if (*p == '-')
    return berth_fail (error, "invalid duration \"%s\": must not be negative", text);
  if (strcmp (p, "0") == 0)
    {
      *ret_ns = 0;
      return true;
    }
  double total = 0;
  while (*p)
    {
      const char *start = p;
      uint64_t whole = 0;
      double frac = 0, scale = 1;
      bool digits = false;
      while (*p >= '0' && *p <= '9')
        {
          if (whole > UINT64_MAX / 10)
            return berth_fail (error, "invalid duration \"%s\": overflow", text);
          whole = whole * 10 + (uint64_t) (*p++ - '0');
          digits = true;
        }
      if (*p == '.')
        {
          p++;
          while (*p >= '0' && *p <= '9')
            {
              scale /= 10;
              frac += (*p++ - '0') * scale;
              digits = true;
            }
        }
      if (!digits)
        return berth_fail (error, "invalid duration \"%s\": expected a number at \"%s\" (e.g. 5s, 500ms, 1m)", text, start);
      size_t best = 0;
      uint64_t mult = 0;
      for (size_t i = 0; i < G_N_ELEMENTS (units); i++)
        {
          size_t l = strlen (units[i].unit);
          if (l > best && strncmp (p, units[i].unit, l) == 0)
            best = l, mult = units[i].ns;
        }
      if (best == 0)
        return berth_fail (error, "invalid duration \"%s\": missing or unknown unit at \"%s\" (use ns, us, ms, s, m, h)", text, p);
      p += best;
      total += ((double) whole + frac) * (double) mult;
      if (total > 9.2e18)
        return berth_fail (error, "invalid duration \"%s\": overflow", text);
    }
  *ret_ns = (uint64_t) (total + 0.5);
  return true;
}
