/* A small JSON writer into a GString, for wire formats written on a hot path
 * (berth-monitor's runc-compatible events, one line per sample).  Parsing and
 * anything structured uses the JSON tree of json.h (spec-json, state); this
 * only appends text.  Callers write the punctuation; strings are escaped here. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* "s" with JSON escaping (", \, control characters as \uXXXX; bytes >= 0x80
 * are copied, invalid UTF-8 is replaced by U+FFFD as Go's encoder does). */
void berth_json_string (GString *out, const char *s);
/* "key": */
void berth_json_key (GString *out, const char *key);
void berth_json_u64 (GString *out, uint64_t v);
void berth_json_i64 (GString *out, int64_t v);
/* Remove a trailing ',' if there is one (lets writers emit "a,b," and close). */
void berth_json_trim_comma (GString *out);
