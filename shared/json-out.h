/* A small JSON writer into a GString, for wire formats written on a hot path
 * (berth-monitor's runc-compatible events, one line per sample).  Parsing and
 * anything structured uses the JSON tree of json.h (spec-json, state); this
 * only appends text.  Callers write the punctuation; strings are escaped here. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Append n bytes of text as they are.  A memcpy while the string has room:
 * GLib 2.74's g_string_append_len is an out-of-line g_string_insert_len,
 * which was a tenth of a monitor sample's user time. */
static inline void
berth_json_raw (GString *out, const char *p, size_t n)
{
  if (G_LIKELY (out->len + n < out->allocated_len))
    {
      memcpy (out->str + out->len, p, n);
      out->len += n;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, p, (gssize) n);
}

/* "s" with JSON escaping (", \, control characters as \uXXXX; bytes >= 0x80
 * are copied, invalid UTF-8 is replaced by U+FFFD as Go's encoder does). */
void berth_json_string (GString *out, const char *s);
/* "key": */
void berth_json_key (GString *out, const char *key);
void berth_json_u64 (GString *out, uint64_t v);
void berth_json_i64 (GString *out, int64_t v);
/* Remove a trailing ',' if there is one (lets writers emit "a,b," and close). */
void berth_json_trim_comma (GString *out);
