/* Berth's JSON layer (json.h), writing: the builder and the printer
 * (compact, or Go's MarshalIndent layout). */
#include "json-internal.h"
#include "json-out.h"

#include <string.h>

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

/* Place container node n (taken) and build inside it until its end_*. */
static JsonBuilder *
builder_open (JsonBuilder *b, JsonNode *n)
{
  builder_add (b, json_node_ref (n));
  g_ptr_array_add (b->open, n);
  return b;
}

JsonBuilder *
json_builder_begin_object (JsonBuilder *builder)
{
  return builder_open (builder, json_node_new_object_take (json_object_new ()));
}

JsonBuilder *
json_builder_begin_array (JsonBuilder *builder)
{
  return builder_open (builder, json_node_new_array_take (json_array_new ()));
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
  return builder_add (builder, value != NULL ? json_node_new_string_take (g_strdup (value)) : json_node_alloc ());
}

JsonBuilder *
json_builder_add_int_value (JsonBuilder *builder, gint64 value)
{
  return builder_add (builder, json_node_new_int (value));
}

JsonBuilder *
json_builder_add_boolean_value (JsonBuilder *builder, gboolean value)
{
  return builder_add (builder, json_node_new_boolean (value));
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
            /* Shortest text that reads back as the same double; ".0" keeps
             * an integral one (1e3, -0.0) a double when parsed again. */
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_dtostr (buf, sizeof buf, n->v.d);
            g_string_append (p->out, buf);
            if (strpbrk (buf, ".eE") == NULL)
              g_string_append (p->out, ".0");
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
