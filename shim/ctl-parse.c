/* Parsing of ctl fifo lines (kept apart from the fifo handling for unit tests). */
#include "shim.h"

#include "util.h"

bool
shim_ctl_parse_line (const char *line, int *ret_type, int *ret_a, int *ret_b)
{
  g_auto (GStrv) f = g_strsplit_set (line, " \t", -1);
  int64_t v[3] = { 0, 0, 0 };
  int n = 0;
  for (char **p = f; *p; p++)
    {
      if (**p == '\0')
        continue;
      if (n == 3 || !berth_parse_int64 (*p, 0, 65535, &v[n]))
        return false;
      n++;
    }
  if (n == 0 || (v[0] == 1 && n != 3))
    return false;
  *ret_type = (int) v[0];
  *ret_a = (int) v[1];
  *ret_b = (int) v[2];
  return true;
}
