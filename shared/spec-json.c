/* Typed JSON getters with JSON-path error messages (see spec-json.h). */
#include "spec-json.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

JsonNode *
spec_json_parse_root (const char *file, const char *json, size_t len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (len > G_MAXSSIZE)
    return berth_fail (error, "%s: file too large", file), NULL;
  if (!json_parser_load_from_data (parser, json, (gssize) len, &local))
    return berth_fail (error, "%s: invalid JSON at %s", file, local->message), NULL; /* "line L, column C: what" */
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return berth_fail (error, "%s: must be a JSON object", file), NULL;
  return json_node_ref (root);
}

bool
spec_fail (SpecCtx *c, const char *member, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (c->path->len == 0 && member == NULL)
    return berth_fail (error, "%s: %s", c->file, msg);
  return berth_fail (error, "%s: %s%s%s: %s", c->file, c->path->str, member ? "." : "", member ? member : "", msg);
}

size_t
spec_enter (SpecCtx *c, const char *member)
{
  size_t mark = c->path->len;
  g_string_append_c (c->path, '.');
  g_string_append (c->path, member);
  return mark;
}

size_t
spec_enter_index (SpecCtx *c, size_t index)
{
  size_t mark = c->path->len;
  g_string_append_printf (c->path, "[%zu]", index);
  return mark;
}

void
spec_leave (SpecCtx *c, size_t mark)
{
  g_string_truncate (c->path, mark);
}

JsonNode *
spec_member (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NULL;
  return n;
}

/* The member's node if present; false with "is required" if required and
 * absent.  *ret = NULL means absent-and-optional. */
static bool
lookup (SpecCtx *c, JsonObject *o, const char *m, bool required, JsonNode **ret, GError **error)
{
  *ret = spec_member (o, m);
  if (*ret == NULL && required)
    return spec_fail (c, m, error, "is required");
  return true;
}

static bool
node_is_integer (JsonNode *n)
{
  return json_node_get_value_kind (n) == JSON_VALUE_INT;
}

bool
spec_get_string (SpecCtx *c, JsonObject *o, const char *m, bool required, char **out, GError **error)
{
  JsonNode *n;
  if (!lookup (c, o, m, required, &n, error))
    return false;
  if (n == NULL)
    return true;
  if (json_node_get_value_kind (n) != JSON_VALUE_STRING)
    return spec_fail (c, m, error, "must be a string");
  g_free (*out);
  *out = g_strdup (json_node_get_string (n));
  return true;
}

bool
spec_get_bool (SpecCtx *c, JsonObject *o, const char *m, bool required, bool *out, bool *has, GError **error)
{
  JsonNode *n;
  if (has)
    *has = false;
  if (!lookup (c, o, m, required, &n, error))
    return false;
  if (n == NULL)
    return true;
  if (json_node_get_value_kind (n) != JSON_VALUE_BOOLEAN)
    return spec_fail (c, m, error, "must be a boolean");
  *out = json_node_get_boolean (n);
  if (has)
    *has = true;
  return true;
}

bool
spec_get_int64_range (SpecCtx *c, JsonObject *o, const char *m, bool required, int64_t min, int64_t max,
                      int64_t *out, bool *has, GError **error)
{
  JsonNode *n;
  if (has)
    *has = false;
  if (!lookup (c, o, m, required, &n, error))
    return false;
  if (n == NULL)
    return true;
  if (!node_is_integer (n))
    {
      if (min == INT64_MIN && max == INT64_MAX)
        return spec_fail (c, m, error, "must be an integer");
      return spec_fail (c, m, error, "must be an integer in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, min, max);
    }
  int64_t v = json_node_get_int (n);
  if (v < min || v > max)
    return spec_fail (c, m, error, "must be an integer in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, min, max);
  *out = v;
  if (has)
    *has = true;
  return true;
}

bool
spec_get_int64 (SpecCtx *c, JsonObject *o, const char *m, bool required, int64_t *out, bool *has, GError **error)
{
  return spec_get_int64_range (c, o, m, required, INT64_MIN, INT64_MAX, out, has, error);
}

/* The fixed-width getters: spec_get_int64_range with the type's bounds, stored narrowed. */
#define DEFINE_SPEC_GET_BOUNDED(name, type, lo, hi)                                                        \
  bool name (SpecCtx *c, JsonObject *o, const char *m, bool required, type *out, bool *has, GError **error) \
  {                                                                                                      \
    int64_t v = 0;                                                                                       \
    bool h = false;                                                                                      \
    if (!spec_get_int64_range (c, o, m, required, (lo), (hi), &v, &h, error))                            \
      return false;                                                                                      \
    if (h)                                                                                               \
      *out = (type) v;                                                                                   \
    if (has)                                                                                             \
      *has = h;                                                                                          \
    return true;                                                                                         \
  }

DEFINE_SPEC_GET_BOUNDED (spec_get_int32, int32_t, INT32_MIN, INT32_MAX)
DEFINE_SPEC_GET_BOUNDED (spec_get_uint32, uint32_t, 0, UINT32_MAX)
DEFINE_SPEC_GET_BOUNDED (spec_get_uint16, uint16_t, 0, UINT16_MAX)

/* The parser (json.h) reads 18446744073709551615 as the int64 -1: the bit pattern is kept, which is what
 * seccomp argument values need; the kernel rejects absurd resource values. */
bool
spec_get_uint64 (SpecCtx *c, JsonObject *o, const char *m, bool required, uint64_t *out, bool *has, GError **error)
{
  JsonNode *n;
  if (has)
    *has = false;
  if (!lookup (c, o, m, required, &n, error))
    return false;
  if (n == NULL)
    return true;
  if (!node_is_integer (n))
    return spec_fail (c, m, error, "must be a non-negative integer");
  *out = (uint64_t) json_node_get_int (n);
  if (has)
    *has = true;
  return true;
}

bool
spec_get_object (SpecCtx *c, JsonObject *o, const char *m, bool required, JsonObject **out, GError **error)
{
  JsonNode *n;
  *out = NULL;
  if (!lookup (c, o, m, required, &n, error))
    return false;
  if (n == NULL)
    return true;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return spec_fail (c, m, error, "must be an object");
  *out = json_node_get_object (n);
  return true;
}

bool
spec_get_strv (SpecCtx *c, JsonObject *o, const char *m, bool required, bool non_empty, char ***out, GError **error)
{
  JsonNode *n;
  const char *what = non_empty ? "must be a non-empty array of strings" : "must be an array of strings";
  n = spec_member (o, m);
  if (n == NULL)
    return required ? spec_fail (c, m, error, "%s", what) : true;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return spec_fail (c, m, error, "%s", what);
  JsonArray *a = json_node_get_array (n);
  guint len = json_array_get_length (a);
  if (len == 0 && non_empty)
    return spec_fail (c, m, error, "%s", what);
  g_auto (GStrv) v = g_new0 (char *, len + 1);
  for (guint i = 0; i < len; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (json_node_get_value_kind (e) != JSON_VALUE_STRING)
        {
          size_t mark = spec_enter (c, m);
          spec_enter_index (c, i);
          spec_fail (c, NULL, error, "must be a string");
          spec_leave (c, mark);
          return false;
        }
      v[i] = g_strdup (json_node_get_string (e));
    }
  g_strfreev (*out);
  *out = g_steal_pointer (&v);
  return true;
}

bool
spec_get_string_map (SpecCtx *c, JsonObject *o, const char *m, GHashTable **out, GError **error)
{
  JsonObject *obj;
  if (!spec_get_object (c, o, m, OPTIONAL, &obj, error))
    return false;
  if (obj == NULL)
    return true;
  g_autoptr (GHashTable) map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (json_node_get_value_kind (value) != JSON_VALUE_STRING)
        {
          size_t mark = spec_enter (c, m);
          spec_fail (c, key, error, "must be a string");
          spec_leave (c, mark);
          return false;
        }
      g_hash_table_insert (map, g_strdup (key), g_strdup (json_node_get_string (value)));
    }
  if (*out != NULL)
    g_hash_table_unref (*out);
  *out = g_steal_pointer (&map);
  return true;
}

bool
spec_get_object_array (SpecCtx *c, JsonObject *o, const char *m, bool required, size_t elem_size,
                       void **out, size_t *n, SpecElemParser parse_elem, GError **error)
{
  JsonNode *node;
  if (!lookup (c, o, m, required, &node, error))
    return false;
  if (node == NULL)
    return true;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return spec_fail (c, m, error, "must be an array");
  JsonArray *a = json_node_get_array (node);
  guint len = json_array_get_length (a);
  *out = len ? g_malloc0_n (len, elem_size) : NULL;
  *n = len;
  size_t mark = spec_enter (c, m);
  for (guint i = 0; i < len; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      spec_enter_index (c, i);
      if (!JSON_NODE_HOLDS_OBJECT (e))
        {
          spec_fail (c, NULL, error, "must be an object");
          spec_leave (c, mark);
          return false;
        }
      if (!parse_elem (c, json_node_get_object (e), (char *) *out + i * elem_size, error))
        {
          spec_leave (c, mark);
          return false;
        }
      spec_leave (c, mark + strlen (m) + 1);
    }
  spec_leave (c, mark);
  return true;
}

bool
spec_get_keyed_objects (SpecCtx *c, JsonObject *o, const char *m, size_t elem_size, void **out, size_t *n,
                        SpecEntryParser parse_entry, GError **error)
{
  JsonObject *obj;
  if (!spec_get_object (c, o, m, OPTIONAL, &obj, error))
    return false;
  if (obj == NULL)
    return true;
  guint len = json_object_get_size (obj);
  *out = len ? g_malloc0_n (len, elem_size) : NULL;
  *n = len;
  size_t mark = spec_enter (c, m);
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;
  size_t i = 0;
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_OBJECT (value))
        {
          spec_fail (c, key, error, "must be an object");
          spec_leave (c, mark);
          return false;
        }
      size_t mark2 = spec_enter (c, key);
      if (!parse_entry (c, key, json_node_get_object (value), (char *) *out + i * elem_size, error))
        {
          spec_leave (c, mark);
          return false;
        }
      spec_leave (c, mark2);
      i++;
    }
  spec_leave (c, mark);
  return true;
}

bool
spec_is_absolute (const char *path)
{
  return path != NULL && path[0] == '/';
}

bool
spec_get_sub (SpecCtx *c, JsonObject *o, const char *m, bool required, SpecObjectParser parse, void *data,
              GError **error)
{
  JsonObject *sub;
  if (!spec_get_object (c, o, m, required, &sub, error))
    return false;
  if (sub == NULL)
    return true;
  size_t mark = spec_enter (c, m);
  bool ok = parse (c, sub, data, error);
  spec_leave (c, mark);
  return ok;
}

bool
spec_get_alloc (SpecCtx *c, JsonObject *o, const char *m, size_t size, void **out, SpecObjectParser parse,
                GError **error)
{
  JsonObject *sub;
  if (!spec_get_object (c, o, m, OPTIONAL, &sub, error))
    return false;
  if (sub == NULL)
    return true;
  *out = g_malloc0 (size);
  size_t mark = spec_enter (c, m);
  bool ok = parse (c, sub, *out, error);
  spec_leave (c, mark);
  return ok;
}

bool
spec_get_uint32_array (SpecCtx *c, JsonObject *o, const char *m, uint32_t **out, size_t *n, GError **error)
{
  JsonNode *node = spec_member (o, m);
  if (node == NULL)
    return true;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return spec_fail (c, m, error, "must be an array of integers in 0..4294967295");
  JsonArray *a = json_node_get_array (node);
  guint len = json_array_get_length (a);
  g_autofree uint32_t *v = g_new0 (uint32_t, len ? len : 1);
  for (guint i = 0; i < len; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      int64_t x = node_is_integer (e) ? json_node_get_int (e) : -1;
      if (x < 0 || x > UINT32_MAX)
        {
          size_t mark = spec_enter (c, m);
          spec_enter_index (c, i);
          spec_fail (c, NULL, error, "must be an integer in 0..4294967295");
          spec_leave (c, mark);
          return false;
        }
      v[i] = (uint32_t) x;
    }
  g_free (*out);
  *out = g_steal_pointer (&v);
  *n = len;
  return true;
}

bool
spec_check_names (SpecCtx *c, const char *m, char **v, bool (*known) (const char *), const char *what,
                  GError **error)
{
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    if (!known (v[i]))
      {
        size_t mark = spec_enter (c, m);
        spec_enter_index (c, i);
        spec_fail (c, NULL, error, "unknown %s \"%s\"", what, v[i]);
        spec_leave (c, mark);
        return false;
      }
  return true;
}
