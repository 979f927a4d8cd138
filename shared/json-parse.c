/* Berth's JSON layer (json.h), the strict RFC 8259 parser: errors with line
 * and column, depth limit, U+FFFD for invalid UTF-8 and lone surrogates. */
#include "json-internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- parsing */

G_DEFINE_QUARK (berth-json-parser-error-quark, json_parser_error)

struct _JsonParser
{
  JsonNode *root;
};

typedef struct
{
  const char *start, *p, *end;
  int depth;
  GError **error;
} Scan;

/* "line L, column C: what" for the position s->p. */
static JsonNode *
scan_fail (Scan *s, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static JsonNode *
scan_fail (Scan *s, const char *fmt, ...)
{
  unsigned line = 1, column = 1;
  for (const char *q = s->start; q < s->p; q++)
    {
      if (*q == '\n')
        line++, column = 1;
      else
        column++;
    }
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (s->error, JSON_PARSER_ERROR, 0, "line %u, column %u: %s", line, column, what);
  return NULL;
}

/* The character at s->p, quoted for an error message. */
static const char *
scan_here (Scan *s, char buf[16])
{
  if (s->p >= s->end)
    return "end of data";
  unsigned char c = (unsigned char) *s->p;
  if (c >= 0x21 && c < 0x7f)
    g_snprintf (buf, 16, "character `%c'", c);
  else
    g_snprintf (buf, 16, "byte 0x%02x", c);
  return buf;
}

static void
skip_blank (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static JsonNode *parse_value (Scan *s);

/* Four hex digits after "\u"; -1 if malformed. */
static int
read_hex4 (Scan *s)
{
  if (s->end - s->p < 4)
    return -1;
  int v = 0;
  for (int i = 0; i < 4; i++)
    {
      int h = g_ascii_xdigit_value (s->p[i]);
      if (h < 0)
        return -1;
      v = v * 16 + h;
    }
  s->p += 4;
  return v;
}

static void
append_unichar (GString *out, gunichar u)
{
  char buf[6];
  g_string_append_len (out, buf, g_unichar_to_utf8 (u, buf));
}

/* A string; s->p is at the opening quote.  Returns a g_malloc'd string.
 * An unterminated string is reported where it starts. */
static char *
parse_string (Scan *s)
{
  const char *opening = s->p++;
  GString *out = g_string_sized_new (16);
  for (;;)
    {
      const char *run = s->p;
      while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (unsigned char) *s->p >= 0x20
             && (unsigned char) *s->p < 0x80)
        s->p++;
      g_string_append_len (out, run, s->p - run);
      if (s->p >= s->end)
        return s->p = opening, scan_fail (s, "unterminated string"), g_string_free (out, TRUE), NULL;
      unsigned char c = (unsigned char) *s->p;
      if (c == '"')
        {
          s->p++;
          return g_string_free (out, FALSE);
        }
      if (c < 0x20)
        return scan_fail (s, "control character 0x%02x in a string (must be escaped)", c), g_string_free (out, TRUE), NULL;
      if (c >= 0x80)
        {
          gunichar u = g_utf8_get_char_validated (s->p, s->end - s->p);
          if (u == (gunichar) -1 || u == (gunichar) -2)
            {
              append_unichar (out, 0xfffd);
              s->p++;
            }
          else
            {
              const char *next = g_utf8_next_char (s->p);
              g_string_append_len (out, s->p, next - s->p);
              s->p = next;
            }
          continue;
        }
      /* a backslash escape */
      const char *esc = s->p++;
      if (s->p >= s->end)
        return s->p = opening, scan_fail (s, "unterminated string"), g_string_free (out, TRUE), NULL;
      char e = *s->p++;
      switch (e)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            int u = read_hex4 (s);
            if (u < 0)
              {
                s->p = esc;
                return scan_fail (s, "invalid \\u escape"), g_string_free (out, TRUE), NULL;
              }
            if (u == 0)
              {
                s->p = esc;
                return scan_fail (s, "\\u0000 is not allowed in a string"), g_string_free (out, TRUE), NULL;
              }
            gunichar cp = (gunichar) u;
            if (u >= 0xd800 && u <= 0xdbff && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u')
              {
                const char *save = s->p;
                s->p += 2;
                int lo = read_hex4 (s);
                if (lo >= 0xdc00 && lo <= 0xdfff)
                  cp = 0x10000 + (((gunichar) u - 0xd800) << 10) + ((gunichar) lo - 0xdc00);
                else
                  s->p = save;    /* lone high surrogate; the next escape stands alone */
              }
            if (cp >= 0xd800 && cp <= 0xdfff)
              cp = 0xfffd;
            append_unichar (out, cp);
            break;
          }
        default:
          s->p = esc;
          return scan_fail (s, "invalid escape `\\%c'", g_ascii_isprint (e) ? e : '?'), g_string_free (out, TRUE), NULL;
        }
    }
}

/* Skip a run of decimal digits; returns how many. */
static size_t
skip_digits (Scan *s)
{
  const char *from = s->p;
  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return (size_t) (s->p - from);
}

static JsonNode *
parse_number (Scan *s)
{
  const char *b = s->p;
  bool neg = false;
  if (*s->p == '-')
    neg = true, s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;                       /* no leading zeros */
  else if (skip_digits (s) == 0)
    return s->p = b, scan_fail (s, "invalid number");
  const char *int_end = s->p;
  bool integer = true;
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (skip_digits (s) == 0)
        return s->p = b, scan_fail (s, "invalid number");
      integer = false;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (skip_digits (s) == 0)
        return s->p = b, scan_fail (s, "invalid number");
      integer = false;
    }
  if (integer)
    {
      uint64_t u = 0;
      bool overflow = false;
      for (const char *q = b + (neg ? 1 : 0); q < int_end; q++)
        {
          unsigned d = (unsigned) (*q - '0');
          if (u > (UINT64_MAX - d) / 10)
            {
              overflow = true;
              break;
            }
          u = u * 10 + d;
        }
      if (!overflow && !neg)
        return json_node_new_int ((gint64) u);     /* above G_MAXINT64: wrapped, see json.h */
      if (!overflow && u <= (uint64_t) G_MAXINT64 + 1)
        return json_node_new_int ((gint64) (0 - u));
    }
  g_autofree char *text = g_strndup (b, (gsize) (s->p - b));
  double d = g_ascii_strtod (text, NULL);
  if (!isfinite (d))
    return s->p = b, scan_fail (s, "number out of range");
  return json_node_new_double (d);
}

static JsonNode *
parse_literal (Scan *s, const char *word, JsonNode *node)
{
  size_t n = strlen (word);
  if ((size_t) (s->end - s->p) >= n && memcmp (s->p, word, n) == 0)
    {
      s->p += n;
      return node;
    }
  json_node_unref (node);
  char buf[16];
  return scan_fail (s, "unexpected %s, expected a value", scan_here (s, buf));
}

/* After blanks: consume c if it comes next. */
static bool
accept (Scan *s, char c)
{
  skip_blank (s);
  if (s->p < s->end && *s->p == c)
    {
      s->p++;
      return true;
    }
  return false;
}

static JsonNode *
parse_object (Scan *s)
{
  s->p++;
  g_autoptr (JsonObject) o = json_object_new ();
  char buf[16];
  if (accept (s, '}'))
    return json_node_new_object_take (g_steal_pointer (&o));
  do
    {
      skip_blank (s);
      if (s->p >= s->end || *s->p != '"')
        return scan_fail (s, "unexpected %s, expected a member name (a string)", scan_here (s, buf));
      g_autofree char *name = parse_string (s);
      if (name == NULL)
        return NULL;
      if (!accept (s, ':'))
        return scan_fail (s, "unexpected %s, expected `:'", scan_here (s, buf));
      JsonNode *value = parse_value (s);
      if (value == NULL)
        return NULL;
      json_object_set_member (o, name, value);    /* a repeated name: the last one wins, as in Go */
    }
  while (accept (s, ','));
  if (!accept (s, '}'))
    return scan_fail (s, "unexpected %s, expected `,' or `}'", scan_here (s, buf));
  return json_node_new_object_take (g_steal_pointer (&o));
}

static JsonNode *
parse_array (Scan *s)
{
  s->p++;
  g_autoptr (JsonArray) a = json_array_new ();
  if (accept (s, ']'))
    return json_node_new_array_take (g_steal_pointer (&a));
  do
    {
      JsonNode *e = parse_value (s);
      if (e == NULL)
        return NULL;
      json_array_add_element (a, e);
    }
  while (accept (s, ','));
  char buf[16];
  if (!accept (s, ']'))
    return scan_fail (s, "unexpected %s, expected `,' or `]'", scan_here (s, buf));
  return json_node_new_array_take (g_steal_pointer (&a));
}

static JsonNode *
parse_value (Scan *s)
{
  char buf[16];
  skip_blank (s);
  if (s->p >= s->end)
    return scan_fail (s, "unexpected end of data, expected a value");
  switch (*s->p)
    {
    case '{':
    case '[':
      {
        if (++s->depth > JSON_MAX_DEPTH)
          return scan_fail (s, "nested deeper than %d levels", JSON_MAX_DEPTH);
        JsonNode *n = *s->p == '{' ? parse_object (s) : parse_array (s);
        s->depth--;
        return n;
      }
    case '"':
      {
        char *str = parse_string (s);
        return str != NULL ? json_node_new_string_take (str) : NULL;
      }
    case 't': return parse_literal (s, "true", json_node_new_boolean (TRUE));
    case 'f': return parse_literal (s, "false", json_node_new_boolean (FALSE));
    case 'n': return parse_literal (s, "null", json_node_alloc ());
    default:
      if (*s->p == '-' || g_ascii_isdigit (*s->p))
        return parse_number (s);
      return scan_fail (s, "unexpected %s, expected a value", scan_here (s, buf));
    }
}

JsonParser *
json_parser_new (void)
{
  return g_new0 (JsonParser, 1);
}

void
json_parser_free (JsonParser *parser)
{
  if (parser == NULL)
    return;
  json_node_unref (parser->root);
  g_free (parser);
}

gboolean
json_parser_load_from_data (JsonParser *parser, const char *data, gssize length, GError **error)
{
  json_node_unref (g_steal_pointer (&parser->root));
  size_t len = length < 0 ? strlen (data) : (size_t) length;
  Scan s = { .start = data, .p = data, .end = data + len, .depth = 0, .error = error };
  skip_blank (&s);
  if (s.p == s.end)
    return TRUE;                  /* empty: no root */
  JsonNode *root = parse_value (&s);
  if (root == NULL)
    return FALSE;
  skip_blank (&s);
  if (s.p != s.end)
    {
      json_node_unref (root);
      char buf[16];
      scan_fail (&s, "unexpected %s after the JSON value", scan_here (&s, buf));
      return FALSE;
    }
  parser->root = root;
  return TRUE;
}

gboolean
json_parser_load_from_file (JsonParser *parser, const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  return json_parser_load_from_data (parser, data, (gssize) len, error);
}

JsonNode *
json_parser_get_root (JsonParser *parser)
{
  return parser->root;
}
