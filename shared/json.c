/* Berth's JSON document layer (see json.h): nodes, objects, arrays, the
 * strict parser, the builder and the printer. */
#include "json.h"
#include "json-out.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

struct _JsonNode
{
  gint ref;
  JsonNodeType type;
  JsonValueKind kind;
  union
  {
    JsonObject *object;
    JsonArray *array;
    gint64 i;
    double d;
    char *s;
    gboolean b;
  } v;
};

/* Small objects are searched linearly; past INDEX_AFTER members a hash
 * table (name -> position + 1) keeps lookups and the parser's duplicate
 * check O(1) for hostile inputs with many members. */
#define INDEX_AFTER 8

struct _JsonObject
{
  gint ref;
  GPtrArray *names;   /* char *, owned */
  GPtrArray *values;  /* JsonNode *, owned */
  GHashTable *index;  /* NULL until the object grows past INDEX_AFTER */
};

struct _JsonArray
{
  gint ref;
  GPtrArray *elements; /* JsonNode *, owned */
};

/* ------------------------------------------------------------------ nodes */

static JsonNode *
node_new (JsonNodeType type, JsonValueKind kind)
{
  JsonNode *n = g_new0 (JsonNode, 1);
  n->ref = 1;
  n->type = type;
  n->kind = kind;
  return n;
}

static JsonNode *
node_new_int (gint64 v)
{
  JsonNode *n = node_new (JSON_NODE_VALUE, JSON_VALUE_INT);
  n->v.i = v;
  return n;
}

static JsonNode *
node_new_double (double v)
{
  JsonNode *n = node_new (JSON_NODE_VALUE, JSON_VALUE_DOUBLE);
  n->v.d = v;
  return n;
}

static JsonNode *
node_new_string_take (char *v)
{
  JsonNode *n = node_new (JSON_NODE_VALUE, JSON_VALUE_STRING);
  n->v.s = v;
  return n;
}

static JsonNode *
node_new_boolean (gboolean v)
{
  JsonNode *n = node_new (JSON_NODE_VALUE, JSON_VALUE_BOOLEAN);
  n->v.b = v != FALSE;
  return n;
}

static JsonNode *
node_new_object_take (JsonObject *o)
{
  JsonNode *n = node_new (JSON_NODE_OBJECT, JSON_VALUE_NONE);
  n->v.object = o;
  return n;
}

static JsonNode *
node_new_array_take (JsonArray *a)
{
  JsonNode *n = node_new (JSON_NODE_ARRAY, JSON_VALUE_NONE);
  n->v.array = a;
  return n;
}

JsonNode *
json_node_alloc (void)
{
  return node_new (JSON_NODE_NULL, JSON_VALUE_NONE);
}

JsonNode *
json_node_init_object (JsonNode *node, JsonObject *object)
{
  g_return_val_if_fail (node != NULL && node->type == JSON_NODE_NULL, node);
  node->type = JSON_NODE_OBJECT;
  node->v.object = json_object_ref (object);
  return node;
}

JsonNode *
json_node_ref (JsonNode *node)
{
  g_atomic_int_inc (&node->ref);
  return node;
}

void
json_node_unref (JsonNode *node)
{
  if (node == NULL || !g_atomic_int_dec_and_test (&node->ref))
    return;
  switch (node->type)
    {
    case JSON_NODE_OBJECT: json_object_unref (node->v.object); break;
    case JSON_NODE_ARRAY: json_array_unref (node->v.array); break;
    case JSON_NODE_VALUE:
      if (node->kind == JSON_VALUE_STRING)
        g_free (node->v.s);
      break;
    case JSON_NODE_NULL: break;
    }
  g_free (node);
}

JsonNode *
json_node_copy (JsonNode *node)
{
  switch (node->type)
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *o = json_object_new ();
        for (guint i = 0; i < node->v.object->names->len; i++)
          json_object_set_member (o, node->v.object->names->pdata[i], json_node_copy (node->v.object->values->pdata[i]));
        return node_new_object_take (o);
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_array_new ();
        for (guint i = 0; i < node->v.array->elements->len; i++)
          json_array_add_element (a, json_node_copy (node->v.array->elements->pdata[i]));
        return node_new_array_take (a);
      }
    case JSON_NODE_VALUE:
      {
        JsonNode *n = node_new (JSON_NODE_VALUE, node->kind);
        n->v = node->v;
        if (node->kind == JSON_VALUE_STRING)
          n->v.s = g_strdup (node->v.s);
        return n;
      }
    case JSON_NODE_NULL:
    default:
      return json_node_alloc ();
    }
}

JsonNodeType
json_node_get_node_type (JsonNode *node)
{
  return node->type;
}

JsonValueKind
json_node_get_value_kind (JsonNode *node)
{
  return node != NULL ? node->kind : JSON_VALUE_NONE;
}

JsonObject *
json_node_get_object (JsonNode *node)
{
  return node != NULL && node->type == JSON_NODE_OBJECT ? node->v.object : NULL;
}

JsonArray *
json_node_get_array (JsonNode *node)
{
  return node != NULL && node->type == JSON_NODE_ARRAY ? node->v.array : NULL;
}

gint64
json_node_get_int (JsonNode *node)
{
  switch (node != NULL ? node->kind : JSON_VALUE_NONE)
    {
    case JSON_VALUE_INT: return node->v.i;
    case JSON_VALUE_DOUBLE: return (gint64) node->v.d;
    case JSON_VALUE_BOOLEAN: return node->v.b ? 1 : 0;
    default: return 0;
    }
}

double
json_node_get_double (JsonNode *node)
{
  switch (node != NULL ? node->kind : JSON_VALUE_NONE)
    {
    case JSON_VALUE_INT: return (double) node->v.i;
    case JSON_VALUE_DOUBLE: return node->v.d;
    case JSON_VALUE_BOOLEAN: return node->v.b ? 1 : 0;
    default: return 0;
    }
}

const char *
json_node_get_string (JsonNode *node)
{
  return node != NULL && node->kind == JSON_VALUE_STRING ? node->v.s : NULL;
}

gboolean
json_node_get_boolean (JsonNode *node)
{
  switch (node != NULL ? node->kind : JSON_VALUE_NONE)
    {
    case JSON_VALUE_BOOLEAN: return node->v.b;
    case JSON_VALUE_INT: return node->v.i != 0;
    case JSON_VALUE_DOUBLE: return node->v.d != 0;
    default: return FALSE;
    }
}

gboolean
json_node_equal (JsonNode *a, JsonNode *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case JSON_NODE_NULL: return TRUE;
    case JSON_NODE_OBJECT:
      {
        JsonObject *x = a->v.object, *y = b->v.object;
        if (x->names->len != y->names->len)
          return FALSE;
        for (guint i = 0; i < x->names->len; i++)
          if (!json_node_equal (x->values->pdata[i], json_object_get_member (y, x->names->pdata[i])))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        GPtrArray *x = a->v.array->elements, *y = b->v.array->elements;
        if (x->len != y->len)
          return FALSE;
        for (guint i = 0; i < x->len; i++)
          if (!json_node_equal (x->pdata[i], y->pdata[i]))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      if (a->kind == JSON_VALUE_STRING || b->kind == JSON_VALUE_STRING)
        return a->kind == b->kind && strcmp (a->v.s, b->v.s) == 0;
      if (a->kind == JSON_VALUE_BOOLEAN || b->kind == JSON_VALUE_BOOLEAN)
        return a->kind == b->kind && a->v.b == b->v.b;
      if (a->kind == JSON_VALUE_INT && b->kind == JSON_VALUE_INT)
        return a->v.i == b->v.i;
      return json_node_get_double (a) == json_node_get_double (b);
    }
  return FALSE;
}

/* ---------------------------------------------------------------- objects */

JsonObject *
json_object_new (void)
{
  JsonObject *o = g_new0 (JsonObject, 1);
  o->ref = 1;
  o->names = g_ptr_array_new_with_free_func (g_free);
  o->values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  return o;
}

JsonObject *
json_object_ref (JsonObject *object)
{
  g_atomic_int_inc (&object->ref);
  return object;
}

void
json_object_unref (JsonObject *object)
{
  if (object == NULL || !g_atomic_int_dec_and_test (&object->ref))
    return;
  g_ptr_array_unref (object->names);
  g_ptr_array_unref (object->values);
  if (object->index != NULL)
    g_hash_table_unref (object->index);
  g_free (object);
}

static void
object_build_index (JsonObject *o)
{
  o->index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < o->names->len; i++)
    g_hash_table_insert (o->index, o->names->pdata[i], GUINT_TO_POINTER (i + 1));
}

/* Position of name, or -1. */
static gssize
object_find (JsonObject *o, const char *name)
{
  if (o->index != NULL)
    return (gssize) GPOINTER_TO_UINT (g_hash_table_lookup (o->index, name)) - 1;
  for (guint i = 0; i < o->names->len; i++)
    if (strcmp (o->names->pdata[i], name) == 0)
      return i;
  return -1;
}

guint
json_object_get_size (JsonObject *object)
{
  return object->names->len;
}

gboolean
json_object_has_member (JsonObject *object, const char *name)
{
  return object_find (object, name) >= 0;
}

JsonNode *
json_object_get_member (JsonObject *object, const char *name)
{
  gssize i = object_find (object, name);
  return i >= 0 ? object->values->pdata[i] : NULL;
}

GList *
json_object_get_members (JsonObject *object)
{
  GList *l = NULL;
  for (guint i = object->names->len; i > 0; i--)
    l = g_list_prepend (l, object->names->pdata[i - 1]);
  return l;
}

void
json_object_set_member (JsonObject *object, const char *name, JsonNode *node)
{
  gssize i = object_find (object, name);
  if (i >= 0)
    {
      json_node_unref (object->values->pdata[i]);
      object->values->pdata[i] = node;
      return;
    }
  char *copy = g_strdup (name);
  g_ptr_array_add (object->names, copy);
  g_ptr_array_add (object->values, node);
  if (object->index != NULL)
    g_hash_table_insert (object->index, copy, GUINT_TO_POINTER (object->names->len));
  else if (object->names->len > INDEX_AFTER)
    object_build_index (object);
}

void
json_object_set_int_member (JsonObject *object, const char *name, gint64 value)
{
  json_object_set_member (object, name, node_new_int (value));
}

void
json_object_set_string_member (JsonObject *object, const char *name, const char *value)
{
  json_object_set_member (object, name, value != NULL ? node_new_string_take (g_strdup (value)) : json_node_alloc ());
}

void
json_object_set_object_member (JsonObject *object, const char *name, JsonObject *value)
{
  json_object_set_member (object, name, node_new_object_take (value));
}

void
json_object_remove_member (JsonObject *object, const char *name)
{
  gssize i = object_find (object, name);
  if (i < 0)
    return;
  if (object->index != NULL)
    {
      g_hash_table_unref (object->index);
      object->index = NULL;
    }
  g_ptr_array_remove_index (object->names, (guint) i);
  g_ptr_array_remove_index (object->values, (guint) i);
  if (object->names->len > INDEX_AFTER)
    object_build_index (object);
}

gint64
json_object_get_int_member (JsonObject *object, const char *name)
{
  return json_object_get_int_member_with_default (object, name, 0);
}

gint64
json_object_get_int_member_with_default (JsonObject *object, const char *name, gint64 def)
{
  JsonNode *n = json_object_get_member (object, name);
  if (n == NULL || n->type != JSON_NODE_VALUE || n->kind == JSON_VALUE_STRING)
    return def;
  return json_node_get_int (n);
}

const char *
json_object_get_string_member (JsonObject *object, const char *name)
{
  return json_object_get_string_member_with_default (object, name, NULL);
}

const char *
json_object_get_string_member_with_default (JsonObject *object, const char *name, const char *def)
{
  JsonNode *n = json_object_get_member (object, name);
  return n != NULL && n->kind == JSON_VALUE_STRING ? n->v.s : def;
}

gboolean
json_object_get_boolean_member_with_default (JsonObject *object, const char *name, gboolean def)
{
  JsonNode *n = json_object_get_member (object, name);
  if (n == NULL || n->type != JSON_NODE_VALUE || n->kind == JSON_VALUE_STRING)
    return def;
  return json_node_get_boolean (n);
}

JsonObject *
json_object_get_object_member (JsonObject *object, const char *name)
{
  return json_node_get_object (json_object_get_member (object, name));
}

JsonArray *
json_object_get_array_member (JsonObject *object, const char *name)
{
  return json_node_get_array (json_object_get_member (object, name));
}

gboolean
json_object_get_null_member (JsonObject *object, const char *name)
{
  JsonNode *n = json_object_get_member (object, name);
  return n != NULL && n->type == JSON_NODE_NULL;
}

void
json_object_iter_init (JsonObjectIter *iter, JsonObject *object)
{
  iter->object = object;
  iter->next = 0;
}

gboolean
json_object_iter_next (JsonObjectIter *iter, const char **name, JsonNode **node)
{
  if (iter->next >= iter->object->names->len)
    return FALSE;
  if (name != NULL)
    *name = iter->object->names->pdata[iter->next];
  if (node != NULL)
    *node = iter->object->values->pdata[iter->next];
  iter->next++;
  return TRUE;
}

/* ----------------------------------------------------------------- arrays */

JsonArray *
json_array_new (void)
{
  JsonArray *a = g_new0 (JsonArray, 1);
  a->ref = 1;
  a->elements = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  return a;
}

JsonArray *
json_array_ref (JsonArray *array)
{
  g_atomic_int_inc (&array->ref);
  return array;
}

void
json_array_unref (JsonArray *array)
{
  if (array == NULL || !g_atomic_int_dec_and_test (&array->ref))
    return;
  g_ptr_array_unref (array->elements);
  g_free (array);
}

guint
json_array_get_length (JsonArray *array)
{
  return array->elements->len;
}

JsonNode *
json_array_get_element (JsonArray *array, guint index)
{
  return index < array->elements->len ? array->elements->pdata[index] : NULL;
}

const char *
json_array_get_string_element (JsonArray *array, guint index)
{
  return json_node_get_string (json_array_get_element (array, index));
}

JsonObject *
json_array_get_object_element (JsonArray *array, guint index)
{
  return json_node_get_object (json_array_get_element (array, index));
}

void
json_array_add_element (JsonArray *array, JsonNode *node)
{
  g_ptr_array_add (array->elements, node);
}

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

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Four hex digits after "\u"; -1 if malformed. */
static int
read_hex4 (Scan *s)
{
  if (s->end - s->p < 4)
    return -1;
  int v = 0;
  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (s->p[i]);
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

static JsonNode *
parse_number (Scan *s)
{
  const char *b = s->p;
  bool neg = false;
  if (*s->p == '-')
    neg = true, s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (s->p < s->end && *s->p >= '1' && *s->p <= '9')
    while (s->p < s->end && g_ascii_isdigit (*s->p))
      s->p++;
  else
    return s->p = b, scan_fail (s, "invalid number");
  const char *int_end = s->p;
  bool integer = true;
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return s->p = b, scan_fail (s, "invalid number");
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
      integer = false;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return s->p = b, scan_fail (s, "invalid number");
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
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
        return node_new_int ((gint64) u);     /* above G_MAXINT64: wrapped, see json.h */
      if (!overflow && u <= (uint64_t) G_MAXINT64 + 1)
        return node_new_int ((gint64) (0 - u));
    }
  g_autofree char *text = g_strndup (b, (gsize) (s->p - b));
  double d = g_ascii_strtod (text, NULL);
  if (!isfinite (d))
    return s->p = b, scan_fail (s, "number out of range");
  return node_new_double (d);
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

static JsonNode *
parse_object (Scan *s)
{
  s->p++;
  g_autoptr (JsonObject) o = json_object_new ();
  skip_blank (s);
  if (s->p < s->end && *s->p == '}')
    {
      s->p++;
      return node_new_object_take (g_steal_pointer (&o));
    }
  for (;;)
    {
      char buf[16];
      skip_blank (s);
      if (s->p >= s->end || *s->p != '"')
        return scan_fail (s, "unexpected %s, expected a member name (a string)", scan_here (s, buf));
      g_autofree char *name = parse_string (s);
      if (name == NULL)
        return NULL;
      skip_blank (s);
      if (s->p >= s->end || *s->p != ':')
        return scan_fail (s, "unexpected %s, expected `:'", scan_here (s, buf));
      s->p++;
      JsonNode *value = parse_value (s);
      if (value == NULL)
        return NULL;
      json_object_set_member (o, name, value);    /* a repeated name: the last one wins, as in Go */
      skip_blank (s);
      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          continue;
        }
      if (s->p < s->end && *s->p == '}')
        {
          s->p++;
          return node_new_object_take (g_steal_pointer (&o));
        }
      return scan_fail (s, "unexpected %s, expected `,' or `}'", scan_here (s, buf));
    }
}

static JsonNode *
parse_array (Scan *s)
{
  s->p++;
  g_autoptr (JsonArray) a = json_array_new ();
  skip_blank (s);
  if (s->p < s->end && *s->p == ']')
    {
      s->p++;
      return node_new_array_take (g_steal_pointer (&a));
    }
  for (;;)
    {
      JsonNode *e = parse_value (s);
      if (e == NULL)
        return NULL;
      json_array_add_element (a, e);
      skip_blank (s);
      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          continue;
        }
      if (s->p < s->end && *s->p == ']')
        {
          s->p++;
          return node_new_array_take (g_steal_pointer (&a));
        }
      char buf[16];
      return scan_fail (s, "unexpected %s, expected `,' or `]'", scan_here (s, buf));
    }
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
        return str != NULL ? node_new_string_take (str) : NULL;
      }
    case 't': return parse_literal (s, "true", node_new_boolean (TRUE));
    case 'f': return parse_literal (s, "false", node_new_boolean (FALSE));
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

/* --------------------------------------------------------------- building */

struct _JsonBuilder
{
  GPtrArray *open;   /* JsonNode * of the objects/arrays being built, innermost last */
  char *member_name; /* set by json_builder_set_member_name for the next value */
  JsonNode *root;
};

JsonBuilder *
json_builder_new (void)
{
  JsonBuilder *b = g_new0 (JsonBuilder, 1);
  b->open = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  return b;
}

void
json_builder_free (JsonBuilder *builder)
{
  if (builder == NULL)
    return;
  g_ptr_array_unref (builder->open);
  g_free (builder->member_name);
  json_node_unref (builder->root);
  g_free (builder);
}

/* Place node (taken) where the builder stands. */
static JsonBuilder *
builder_add (JsonBuilder *b, JsonNode *node)
{
  if (b->open->len == 0)
    {
      json_node_unref (b->root);
      b->root = node;
      return b;
    }
  JsonNode *top = b->open->pdata[b->open->len - 1];
  if (top->type == JSON_NODE_ARRAY)
    json_array_add_element (top->v.array, node);
  else if (b->member_name != NULL)
    json_object_set_member (top->v.object, b->member_name, node);
  else
    {
      g_critical ("json_builder: a value inside an object needs json_builder_set_member_name first");
      json_node_unref (node);
    }
  g_clear_pointer (&b->member_name, g_free);
  return b;
}

JsonBuilder *
json_builder_begin_object (JsonBuilder *builder)
{
  JsonNode *n = node_new_object_take (json_object_new ());
  builder_add (builder, json_node_ref (n));
  g_ptr_array_add (builder->open, n);
  return builder;
}

JsonBuilder *
json_builder_begin_array (JsonBuilder *builder)
{
  JsonNode *n = node_new_array_take (json_array_new ());
  builder_add (builder, json_node_ref (n));
  g_ptr_array_add (builder->open, n);
  return builder;
}

JsonBuilder *
json_builder_end_object (JsonBuilder *builder)
{
  g_return_val_if_fail (builder->open->len > 0, builder);
  g_ptr_array_remove_index (builder->open, builder->open->len - 1);
  return builder;
}

JsonBuilder *
json_builder_end_array (JsonBuilder *builder)
{
  return json_builder_end_object (builder);
}

JsonBuilder *
json_builder_set_member_name (JsonBuilder *builder, const char *name)
{
  g_free (builder->member_name);
  builder->member_name = g_strdup (name);
  return builder;
}

JsonBuilder *
json_builder_add_value (JsonBuilder *builder, JsonNode *node)
{
  return builder_add (builder, node);
}

JsonBuilder *
json_builder_add_string_value (JsonBuilder *builder, const char *value)
{
  return builder_add (builder, value != NULL ? node_new_string_take (g_strdup (value)) : json_node_alloc ());
}

JsonBuilder *
json_builder_add_int_value (JsonBuilder *builder, gint64 value)
{
  return builder_add (builder, node_new_int (value));
}

JsonBuilder *
json_builder_add_boolean_value (JsonBuilder *builder, gboolean value)
{
  return builder_add (builder, node_new_boolean (value));
}

JsonBuilder *
json_builder_add_null_value (JsonBuilder *builder)
{
  return builder_add (builder, json_node_alloc ());
}

JsonNode *
json_builder_get_root (JsonBuilder *builder)
{
  if (builder->open->len > 0 || builder->root == NULL)
    return NULL;
  return json_node_ref (builder->root);
}

/* --------------------------------------------------------------- printing */

struct _JsonGenerator
{
  JsonNode *root;
  gboolean pretty;
  guint indent;
  gunichar indent_char;
};

JsonGenerator *
json_generator_new (void)
{
  JsonGenerator *g = g_new0 (JsonGenerator, 1);
  g->indent = 2;
  g->indent_char = ' ';
  return g;
}

void
json_generator_free (JsonGenerator *generator)
{
  if (generator == NULL)
    return;
  json_node_unref (generator->root);
  g_free (generator);
}

void
json_generator_set_root (JsonGenerator *generator, JsonNode *node)
{
  json_node_unref (generator->root);
  generator->root = node != NULL ? json_node_ref (node) : NULL;
}

void
json_generator_set_pretty (JsonGenerator *generator, gboolean pretty)
{
  generator->pretty = pretty;
}

void
json_generator_set_indent (JsonGenerator *generator, guint indent)
{
  generator->indent = indent;
}

void
json_generator_set_indent_char (JsonGenerator *generator, gunichar c)
{
  generator->indent_char = c;
}

typedef struct
{
  GString *out;
  const char *unit; /* one level of indentation; NULL: compact */
} Printer;

static void
print_newline (Printer *p, guint level)
{
  g_string_append_c (p->out, '\n');
  for (guint i = 0; i < level; i++)
    g_string_append (p->out, p->unit);
}

static void
print_node (Printer *p, JsonNode *n, guint level)
{
  switch (n->type)
    {
    case JSON_NODE_NULL: g_string_append (p->out, "null"); return;
    case JSON_NODE_VALUE:
      switch (n->kind)
        {
        case JSON_VALUE_INT: berth_json_i64 (p->out, n->v.i); return;
        case JSON_VALUE_BOOLEAN: g_string_append (p->out, n->v.b ? "true" : "false"); return;
        case JSON_VALUE_STRING: berth_json_string (p->out, n->v.s); return;
        case JSON_VALUE_DOUBLE:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append (p->out, g_ascii_dtostr (buf, sizeof buf, n->v.d));
            return;
          }
        case JSON_VALUE_NONE: return;
        }
      return;
    case JSON_NODE_OBJECT:
    case JSON_NODE_ARRAY:
      {
        bool object = n->type == JSON_NODE_OBJECT;
        GPtrArray *items = object ? n->v.object->values : n->v.array->elements;
        g_string_append_c (p->out, object ? '{' : '[');
        for (guint i = 0; i < items->len; i++)
          {
            if (i > 0)
              g_string_append_c (p->out, ',');
            if (p->unit != NULL)
              print_newline (p, level + 1);
            if (object)
              {
                berth_json_string (p->out, n->v.object->names->pdata[i]);
                g_string_append (p->out, p->unit != NULL ? ": " : ":");
              }
            print_node (p, items->pdata[i], level + 1);
          }
        if (p->unit != NULL && items->len > 0)
          print_newline (p, level);
        g_string_append_c (p->out, object ? '}' : ']');
        return;
      }
    }
}

static char *
print_root (JsonNode *root, const char *unit, gsize *length)
{
  Printer p = { g_string_sized_new (256), unit };
  if (root != NULL)
    print_node (&p, root, 0);
  if (length != NULL)
    *length = p.out->len;
  return g_string_free (p.out, FALSE);
}

char *
json_generator_to_data (JsonGenerator *generator, gsize *length)
{
  if (!generator->pretty)
    return print_root (generator->root, NULL, length);
  g_autoptr (GString) unit = g_string_new (NULL);
  for (guint i = 0; i < generator->indent; i++)
    g_string_append_unichar (unit, generator->indent_char);
  return print_root (generator->root, unit->str, length);
}

char *
json_to_string (JsonNode *node, gboolean pretty)
{
  return print_root (node, pretty ? "  " : NULL, NULL);
}
