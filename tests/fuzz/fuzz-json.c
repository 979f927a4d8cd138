/* libFuzzer harness: the JSON layer itself (json.h, shared/json-*.c).  Any input
 * either fails to parse with an error, or parses to a tree that prints
 * (compact and pretty) to text that parses back to an equal tree and prints
 * the same again. */
#include "json.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static JsonNode *
reparse (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  if (!json_parser_load_from_data (p, text, -1, &error))
    g_error ("printed JSON does not parse: %s\n%s", error->message, text);
  return json_node_ref (json_parser_get_root (p));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gboolean ok = json_parser_load_from_data (p, (const char *) data, (gssize) size, &error);
  g_assert (ok == (error == NULL));
  JsonNode *root = json_parser_get_root (p);
  if (!ok || root == NULL)
    return 0;
  g_autofree char *compact = json_to_string (root, FALSE);
  g_autofree char *pretty = json_to_string (root, TRUE);
  g_autoptr (JsonNode) a = reparse (compact);
  g_autoptr (JsonNode) b = reparse (pretty);
  g_assert (json_node_equal (root, a) && json_node_equal (root, b));
  g_autofree char *compact2 = json_to_string (a, FALSE);
  g_assert (strcmp (compact, compact2) == 0);
  g_autoptr (JsonNode) copy = json_node_copy (root);
  g_assert (json_node_equal (root, copy));
  return 0;
}
