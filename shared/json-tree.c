/* Berth's JSON layer (json.h), the tree: nodes, objects (insertion order,
 * hash-indexed when big) and arrays. */
#include "json-internal.h"

#include <string.h>

/* ------------------------------------------------------------------ nodes */

JsonNode *
json_node_new (JsonNodeType type, JsonValueKind kind)
{
  JsonNode *n = g_new0 (JsonNode, 1);
  n->ref = 1;
  n->type = type;
  n->kind = kind;
  return n;
}

JsonNode *
json_node_new_int (gint64 v)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE, JSON_VALUE_INT);
  n->v.i = v;
  return n;
}

JsonNode *
json_node_new_double (double v)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE, JSON_VALUE_DOUBLE);
  n->v.d = v;
  return n;
}

JsonNode *
json_node_new_string_take (char *v)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE, JSON_VALUE_STRING);
  n->v.s = v;
  return n;
}

JsonNode *
json_node_new_boolean (gboolean v)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE, JSON_VALUE_BOOLEAN);
  n->v.b = v != FALSE;
  return n;
}

JsonNode *
json_node_new_object_take (JsonObject *o)
{
  JsonNode *n = json_node_new (JSON_NODE_OBJECT, JSON_VALUE_NONE);
  n->v.object = o;
  return n;
}

JsonNode *
json_node_new_array_take (JsonArray *a)
{
  JsonNode *n = json_node_new (JSON_NODE_ARRAY, JSON_VALUE_NONE);
  n->v.array = a;
  return n;
}

JsonNode *
json_node_alloc (void)
{
  return json_node_new (JSON_NODE_NULL, JSON_VALUE_NONE);
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
        return json_node_new_object_take (o);
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_array_new ();
        for (guint i = 0; i < node->v.array->elements->len; i++)
          json_array_add_element (a, json_node_copy (node->v.array->elements->pdata[i]));
        return json_node_new_array_take (a);
      }
    case JSON_NODE_VALUE:
      {
        JsonNode *n = json_node_new (JSON_NODE_VALUE, node->kind);
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
      if (object->values->pdata[i] != node)   /* setting a member to itself changes nothing */
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
  json_object_set_member (object, name, json_node_new_int (value));
}

void
json_object_set_string_member (JsonObject *object, const char *name, const char *value)
{
  json_object_set_member (object, name, value != NULL ? json_node_new_string_take (g_strdup (value)) : json_node_alloc ());
}

void
json_object_set_object_member (JsonObject *object, const char *name, JsonObject *value)
{
  json_object_set_member (object, name, json_node_new_object_take (value));
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
