/* Berth's JSON document layer: parse text into a tree of nodes
 * (json-parse.c), read and change it (json-tree.c), build one and print it
 * (json-write.c).
 *
 * It keeps the names and the ownership rules of the json-glib subset Berth
 * used before (JsonParser, JsonNode, JsonObject, JsonBuilder, ...), so
 * json-glib's documentation describes every function here, with the
 * differences noted below.  It is plain C on GLib: json-glib is a GObject
 * library and loading it maps GIO, GObject, libffi, libmount, libselinux,
 * libblkid, libz and libgmodule into every `berth` command, measured +2.4 ms
 * per process on the test machine (startup dominates `berth start`,
 * `state`, `kill`, `exec`).
 *
 * Differences from json-glib:
 * - The parser is strict RFC 8259 (no single quotes, comments or trailing
 *   commas), like Go's encoding/json that runc uses.  Nesting deeper than
 *   JSON_MAX_DEPTH, a \u0000 escape, and data after the value are errors.
 *   Invalid UTF-8 and lone surrogates in strings become U+FFFD (as in Go).
 *   Parse errors say "line L, column C: what" (column counted in bytes).
 * - json_node_get_value_kind() replaces json_node_get_value_type() (no GType).
 * - json_node_copy() copies deeply (json-glib shares the object/array).
 * - The pretty printer writes Go's json.MarshalIndent layout
 *   (`"key": value`, empty containers as {} and []).
 *
 * Integers are gint64.  An integer literal above G_MAXINT64 (up to
 * G_MAXUINT64) is stored wrapped, as json-glib does, so uint64 fields can
 * take its bit pattern (spec_get_uint64); larger ones become doubles. */
#pragma once
#include <glib.h>
#include <stdbool.h>

#define JSON_MAX_DEPTH 512

typedef struct _JsonNode JsonNode;
typedef struct _JsonObject JsonObject;
typedef struct _JsonArray JsonArray;
typedef struct _JsonParser JsonParser;
typedef struct _JsonBuilder JsonBuilder;
typedef struct _JsonGenerator JsonGenerator;

typedef enum
{
  JSON_NODE_OBJECT,
  JSON_NODE_ARRAY,
  JSON_NODE_VALUE,
  JSON_NODE_NULL,
} JsonNodeType;

typedef enum
{
  JSON_VALUE_NONE,                 /* not a value node */
  JSON_VALUE_INT,
  JSON_VALUE_DOUBLE,
  JSON_VALUE_STRING,
  JSON_VALUE_BOOLEAN,
} JsonValueKind;

/* ---- nodes (reference counted) ---- */
JsonNode *json_node_alloc (void);                  /* a null node */
JsonNode *json_node_init_object (JsonNode *node, JsonObject *object); /* takes a reference to object */
JsonNode *json_node_ref (JsonNode *node);
void json_node_unref (JsonNode *node);
JsonNode *json_node_copy (JsonNode *node);         /* deep */
JsonNodeType json_node_get_node_type (JsonNode *node);
JsonValueKind json_node_get_value_kind (JsonNode *node); /* JSON_VALUE_NONE for NULL too */
JsonObject *json_node_get_object (JsonNode *node); /* borrowed; NULL unless an object */
JsonArray *json_node_get_array (JsonNode *node);   /* borrowed; NULL unless an array */
gint64 json_node_get_int (JsonNode *node);         /* int, double (truncated) or boolean; else 0 */
double json_node_get_double (JsonNode *node);
const char *json_node_get_string (JsonNode *node); /* NULL unless a string */
gboolean json_node_get_boolean (JsonNode *node);   /* boolean, or a non-zero number */
gboolean json_node_equal (JsonNode *a, JsonNode *b);

#define JSON_NODE_HOLDS(node, t) ((node) != NULL && json_node_get_node_type (node) == (t))
#define JSON_NODE_HOLDS_OBJECT(node) JSON_NODE_HOLDS ((node), JSON_NODE_OBJECT)
#define JSON_NODE_HOLDS_ARRAY(node) JSON_NODE_HOLDS ((node), JSON_NODE_ARRAY)
#define JSON_NODE_HOLDS_NULL(node) JSON_NODE_HOLDS ((node), JSON_NODE_NULL)

/* ---- objects: members in insertion order; setting an existing name
 * replaces its value in place ---- */
JsonObject *json_object_new (void);
JsonObject *json_object_ref (JsonObject *object);
void json_object_unref (JsonObject *object);
guint json_object_get_size (JsonObject *object);
gboolean json_object_has_member (JsonObject *object, const char *name);
JsonNode *json_object_get_member (JsonObject *object, const char *name); /* borrowed */
GList *json_object_get_members (JsonObject *object); /* names (borrowed), in order; g_list_free */
void json_object_set_member (JsonObject *object, const char *name, JsonNode *node); /* takes node */
void json_object_set_int_member (JsonObject *object, const char *name, gint64 value);
void json_object_set_string_member (JsonObject *object, const char *name, const char *value);
void json_object_set_object_member (JsonObject *object, const char *name, JsonObject *value); /* takes value */
void json_object_remove_member (JsonObject *object, const char *name);
/* Typed getters: the _with_default forms return the default when the
 * member is absent, null or of another kind; the others return 0/NULL. */
gint64 json_object_get_int_member (JsonObject *object, const char *name);
gint64 json_object_get_int_member_with_default (JsonObject *object, const char *name, gint64 def);
const char *json_object_get_string_member (JsonObject *object, const char *name);
const char *json_object_get_string_member_with_default (JsonObject *object, const char *name, const char *def);
gboolean json_object_get_boolean_member_with_default (JsonObject *object, const char *name, gboolean def);
JsonObject *json_object_get_object_member (JsonObject *object, const char *name); /* NULL unless an object */
JsonArray *json_object_get_array_member (JsonObject *object, const char *name);   /* NULL unless an array */
gboolean json_object_get_null_member (JsonObject *object, const char *name);

typedef struct
{
  JsonObject *object;
  guint next;
} JsonObjectIter;
void json_object_iter_init (JsonObjectIter *iter, JsonObject *object);
gboolean json_object_iter_next (JsonObjectIter *iter, const char **name, JsonNode **node);

/* ---- arrays ---- */
JsonArray *json_array_new (void);
void json_array_unref (JsonArray *array);
guint json_array_get_length (JsonArray *array);
JsonNode *json_array_get_element (JsonArray *array, guint index);            /* borrowed */
const char *json_array_get_string_element (JsonArray *array, guint index);   /* NULL unless a string */
JsonObject *json_array_get_object_element (JsonArray *array, guint index);   /* NULL unless an object */
void json_array_add_element (JsonArray *array, JsonNode *node);              /* takes node */

/* ---- parsing ---- */
#define JSON_PARSER_ERROR (json_parser_error_quark ())
GQuark json_parser_error_quark (void);
JsonParser *json_parser_new (void);
void json_parser_free (JsonParser *parser);
/* length -1: data is NUL-terminated.  Empty (or all-blank) data parses to a
 * NULL root, as in json-glib. */
gboolean json_parser_load_from_data (JsonParser *parser, const char *data, gssize length, GError **error);
gboolean json_parser_load_from_file (JsonParser *parser, const char *path, GError **error);
JsonNode *json_parser_get_root (JsonParser *parser); /* borrowed from the parser */

/* ---- building ---- */
JsonBuilder *json_builder_new (void);
void json_builder_free (JsonBuilder *builder);
JsonBuilder *json_builder_begin_object (JsonBuilder *builder);
JsonBuilder *json_builder_end_object (JsonBuilder *builder);
JsonBuilder *json_builder_begin_array (JsonBuilder *builder);
JsonBuilder *json_builder_end_array (JsonBuilder *builder);
JsonBuilder *json_builder_set_member_name (JsonBuilder *builder, const char *name);
JsonBuilder *json_builder_add_value (JsonBuilder *builder, JsonNode *node); /* takes node */
JsonBuilder *json_builder_add_string_value (JsonBuilder *builder, const char *value);
JsonBuilder *json_builder_add_int_value (JsonBuilder *builder, gint64 value);
JsonBuilder *json_builder_add_boolean_value (JsonBuilder *builder, gboolean value);
JsonBuilder *json_builder_add_null_value (JsonBuilder *builder);
JsonNode *json_builder_get_root (JsonBuilder *builder); /* a new reference; NULL while unfinished */

/* ---- printing ---- */
JsonGenerator *json_generator_new (void);
void json_generator_free (JsonGenerator *generator);
void json_generator_set_root (JsonGenerator *generator, JsonNode *node); /* takes a reference */
void json_generator_set_pretty (JsonGenerator *generator, gboolean pretty);
void json_generator_set_indent (JsonGenerator *generator, guint indent);
void json_generator_set_indent_char (JsonGenerator *generator, gunichar c);
char *json_generator_to_data (JsonGenerator *generator, gsize *length);
char *json_to_string (JsonNode *node, gboolean pretty); /* pretty: two-space indent */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonNode, json_node_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonObject, json_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonArray, json_array_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonParser, json_parser_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonBuilder, json_builder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JsonGenerator, json_generator_free)
