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
  g_string_append (out, p);
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

static void
newline_indent (GString *out, int depth)
{
  g_string_append_c (out, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

char *
berth_json_pretty (const char *compact)
{
  GString *out = g_string_sized_new (strlen (compact) * 2);
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char *p = compact; *p; p++)
    {
      char c = *p;
      if (in_string)
        {
          g_string_append_c (out, c);
          if (escaped)
            escaped = false;
          else if (c == '\\')
            escaped = true;
          else if (c == '"')
            in_string = false;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = true;
          g_string_append_c (out, c);
          break;
        case '{':
        case '[':
          g_string_append_c (out, c);
          if (p[1] == (c == '{' ? '}' : ']'))
            g_string_append_c (out, *++p);
          else
            newline_indent (out, ++depth);
          break;
        case '}':
        case ']':
          newline_indent (out, --depth);
          g_string_append_c (out, c);
          break;
        case ',':
          g_string_append_c (out, c);
          newline_indent (out, depth);
          break;
        case ':':
          g_string_append (out, ": ");
          break;
        case ' ':
        case '\n':
        case '\t':
        case '\r':
          break;
        default:
          g_string_append_c (out, c);
        }
    }
  return g_string_free (out, FALSE);
}
