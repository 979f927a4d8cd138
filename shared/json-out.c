/* The JSON text writer (see json-out.h). */
#include "json-out.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
berth_json_string (GString *out, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  g_string_append_c (out, '"');
  const char *p = s;
  const char *end = s + strlen (s);
  while (p < end)
    {
      unsigned char c = (unsigned char) *p;
      if (c >= 0x80)
        {
          gunichar u = g_utf8_get_char_validated (p, end - p);
          if (u == (gunichar) -1 || u == (gunichar) -2)
            {
              g_string_append (out, "\\ufffd");
              p++;
              continue;
            }
          const char *n = g_utf8_next_char (p);
          g_string_append_len (out, p, n - p);
          p = n;
          continue;
        }
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            {
              char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
              g_string_append (out, esc);
            }
          else
            g_string_append_c (out, (char) c);
        }
      p++;
    }
  g_string_append_c (out, '"');
}

void
berth_json_key (GString *out, const char *key)
{
  berth_json_string (out, key);
  g_string_append_c (out, ':');
}

void
berth_json_u64 (GString *out, uint64_t v)
{
  char buf[24];
  char *p = buf + sizeof buf;
  *--p = '\0';
  do
    *--p = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  berth_json_raw (out, p, (size_t) (buf + sizeof buf - 1 - p));
}

void
berth_json_i64 (GString *out, int64_t v)
{
  if (v < 0)
    {
      g_string_append_c (out, '-');
      berth_json_u64 (out, (uint64_t) 0 - (uint64_t) v);
    }
  else
    berth_json_u64 (out, (uint64_t) v);
}

void
berth_json_trim_comma (GString *out)
{
  if (out->len > 0 && out->str[out->len - 1] == ',')
    g_string_truncate (out, out->len - 1);
}
