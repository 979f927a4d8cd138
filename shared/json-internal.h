/* Internal to shared/json-*.c: the node, object and array layouts and the
 * node constructors the parser and the builder share (json.h is the API). */
#pragma once
#include "json.h"

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

JsonNode *json_node_new (JsonNodeType type, JsonValueKind kind);
JsonNode *json_node_new_int (gint64 v);
JsonNode *json_node_new_double (double v);
JsonNode *json_node_new_string_take (char *v);   /* takes v */
JsonNode *json_node_new_boolean (gboolean v);
JsonNode *json_node_new_object_take (JsonObject *o); /* takes o */
JsonNode *json_node_new_array_take (JsonArray *a);   /* takes a */
