/* Internal to the spec parser (spec-*.c): typed getters over the JSON tree (json.h) that
 * report errors as one line naming the JSON path, e.g.
 *   "config.json: .process.user.uid: must be an integer in 0..4294967295".
 *
 * A SpecCtx carries the file name and the path of the object being parsed;
 * parsers descend with spec_enter()/spec_enter_index() and come back with
 * spec_leave().  JSON null is treated as absent, like Go's encoding/json. */
#pragma once
#include "json.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct
{
  const char *file;               /* "config.json", "process.json", ... */
  GString *path;                  /* ".linux.namespaces[2]" */
} SpecCtx;

enum { OPTIONAL = 0, REQUIRED = 1 };

/* Parse json into its root node, which must be an object.  Errors name the
 * file and, for syntax errors, the line and column. */
JsonNode *spec_json_parse_root (const char *file, const char *json, size_t len, GError **error);

/* "FILE: PATH.member: message" (member may be NULL for the current path). */
bool spec_fail (SpecCtx *c, const char *member, GError **error, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

size_t spec_enter (SpecCtx *c, const char *member);   /* returns a mark for spec_leave */
size_t spec_enter_index (SpecCtx *c, size_t index);
void spec_leave (SpecCtx *c, size_t mark);

/* The member's node, NULL when absent or JSON null. */
JsonNode *spec_member (JsonObject *o, const char *member);

/* Each getter: absent member -> error "is required" if required, else leaves
 * *out untouched and sets *has (if given) to false.  Wrong type or range ->
 * error naming the member. */
bool spec_get_string (SpecCtx *c, JsonObject *o, const char *m, bool required, char **out, GError **error);
bool spec_get_bool (SpecCtx *c, JsonObject *o, const char *m, bool required, bool *out, bool *has, GError **error);
bool spec_get_int64_range (SpecCtx *c, JsonObject *o, const char *m, bool required, int64_t min, int64_t max,
                           int64_t *out, bool *has, GError **error);
bool spec_get_int64 (SpecCtx *c, JsonObject *o, const char *m, bool required, int64_t *out, bool *has, GError **error);
bool spec_get_int32 (SpecCtx *c, JsonObject *o, const char *m, bool required, int32_t *out, bool *has, GError **error);
bool spec_get_uint32 (SpecCtx *c, JsonObject *o, const char *m, bool required, uint32_t *out, bool *has, GError **error);
bool spec_get_uint16 (SpecCtx *c, JsonObject *o, const char *m, bool required, uint16_t *out, bool *has, GError **error);
/* Integers above INT64_MAX are stored wrapped into int64 (json.h), so a uint64
 * field takes the bit pattern: 18446744073709551615 parses as UINT64_MAX.
 * (A negative literal is therefore indistinguishable and accepted as such.) */
bool spec_get_uint64 (SpecCtx *c, JsonObject *o, const char *m, bool required, uint64_t *out, bool *has, GError **error);

/* An object member; *out = NULL when absent (and not required). */
bool spec_get_object (SpecCtx *c, JsonObject *o, const char *m, bool required, JsonObject **out, GError **error);
/* An array of strings -> NULL-terminated strv.  non_empty: "[]" is an error. */
bool spec_get_strv (SpecCtx *c, JsonObject *o, const char *m, bool required, bool non_empty, char ***out, GError **error);
/* An object of string values -> GHashTable (char* -> char*). */
bool spec_get_string_map (SpecCtx *c, JsonObject *o, const char *m, GHashTable **out, GError **error);

/* Parse an array of objects into a g_malloc0'd C array of elem_size
 * elements.  *out and *n are set before the elements are parsed so the
 * caller's free function sees a consistent (zero-filled) array on error.
 * parse_elem runs with the ctx path at "member[i]". */
typedef bool (*SpecElemParser) (SpecCtx *c, JsonObject *elem_obj, void *elem, GError **error);
bool spec_get_object_array (SpecCtx *c, JsonObject *o, const char *m, bool required, size_t elem_size,
                            void **out, size_t *n, SpecElemParser parse_elem, GError **error);

/* Parse an object keyed by name ({"monotonic": {...}}) into a C array, one
 * element per key; parse_entry runs with the ctx path at "member.key". */
typedef bool (*SpecEntryParser) (SpecCtx *c, const char *key, JsonObject *value_obj, void *elem, GError **error);
bool spec_get_keyed_objects (SpecCtx *c, JsonObject *o, const char *m, size_t elem_size, void **out, size_t *n,
                             SpecEntryParser parse_entry, GError **error);

/* Typed wrappers so callers need no casts. */
#define SPEC_OBJECT_ARRAY(c, o, m, req, arr, n, fn, error) \
  spec_get_object_array ((c), (o), (m), (req), sizeof (*(arr)), (void **) &(arr), &(n), (fn), (error))
#define SPEC_KEYED_OBJECTS(c, o, m, arr, n, fn, error) \
  spec_get_keyed_objects ((c), (o), (m), sizeof (*(arr)), (void **) &(arr), &(n), (fn), (error))

bool spec_is_absolute (const char *path);

/* A nested object parsed in place: runs parse(c, sub, data) with the ctx
 * path at "member"; absent (and optional) -> true without calling parse. */
typedef bool (*SpecObjectParser) (SpecCtx *c, JsonObject *obj, void *data, GError **error);
bool spec_get_sub (SpecCtx *c, JsonObject *o, const char *m, bool required, SpecObjectParser parse, void *data,
                   GError **error);
/* A nested optional object parsed into a freshly g_malloc0'd struct stored
 * in *out before parsing (so the owner's free function sees it on error). */
bool spec_get_alloc (SpecCtx *c, JsonObject *o, const char *m, size_t size, void **out, SpecObjectParser parse,
                     GError **error);
#define SPEC_ALLOC(c, o, m, ptr, fn, error) \
  spec_get_alloc ((c), (o), (m), sizeof (*(ptr)), (void **) &(ptr), (fn), (error))

/* An array of uint32 ("additionalGids"). */
bool spec_get_uint32_array (SpecCtx *c, JsonObject *o, const char *m, uint32_t **out, size_t *n, GError **error);

/* Every name of strv v (the value of member m) must satisfy known(); else
 * "PATH.m[i]: unknown WHAT \"name\"". */
bool spec_check_names (SpecCtx *c, const char *m, char **v, bool (*known) (const char *), const char *what,
                       GError **error);
