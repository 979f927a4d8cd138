/* Unit tests for the JSON layer (json.h, shared/json-*.c): the strict parser (values, escapes, UTF-8,
 * errors with their positions, limits), objects (order, duplicates, the
 * hash index of big objects), the builder and both printer layouts. */
#include "json.h"

#include <string.h>

static JsonNode *
parse_ok (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_data (p, text, -1, &error));
  g_assert_no_error (error);
  g_assert_nonnull (json_parser_get_root (p));
  return json_node_ref (json_parser_get_root (p));
}

static char *
parse_error (const char *text, gssize len)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  GError *error = NULL;
  g_assert_false (json_parser_load_from_data (p, text, len, &error));
  g_assert_nonnull (error);
  g_assert_null (json_parser_get_root (p));
  char *msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

static void
test_scalars (void)
{
  g_autoptr (JsonNode) n = parse_ok ("[0, -0, 42, -9223372036854775808, 9223372036854775807, 18446744073709551615,"
                                     " 18446744073709551616, 1.5, -2e3, true, false, null, \"s\"]");
  JsonArray *a = json_node_get_array (n);
  g_assert_cmpuint (json_array_get_length (a), ==, 13);
  g_assert_cmpint (json_node_get_int (json_array_get_element (a, 0)), ==, 0);
  g_assert_cmpint (json_node_get_int (json_array_get_element (a, 1)), ==, 0);
  g_assert_cmpint (json_node_get_int (json_array_get_element (a, 2)), ==, 42);
  g_assert_cmpint (json_node_get_int (json_array_get_element (a, 3)), ==, G_MININT64);
  g_assert_cmpint (json_node_get_int (json_array_get_element (a, 4)), ==, G_MAXINT64);
  /* above G_MAXINT64: the uint64 bit pattern, as an integer */
  g_assert_cmpint (json_node_get_value_kind (json_array_get_element (a, 5)), ==, JSON_VALUE_INT);
  g_assert_cmpuint ((guint64) json_node_get_int (json_array_get_element (a, 5)), ==, G_MAXUINT64);
  /* above G_MAXUINT64: a double, so integer fields refuse it */
  g_assert_cmpint (json_node_get_value_kind (json_array_get_element (a, 6)), ==, JSON_VALUE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (json_array_get_element (a, 7)), ==, 1.5);
  g_assert_cmpint (json_node_get_value_kind (json_array_get_element (a, 8)), ==, JSON_VALUE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (json_array_get_element (a, 8)), ==, -2000);
  g_assert_true (json_node_get_boolean (json_array_get_element (a, 9)));
  g_assert_cmpint (json_node_get_value_kind (json_array_get_element (a, 10)), ==, JSON_VALUE_BOOLEAN);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_array_get_element (a, 11)));
  g_assert_cmpint (json_node_get_value_kind (json_array_get_element (a, 11)), ==, JSON_VALUE_NONE);
  g_assert_cmpstr (json_array_get_string_element (a, 12), ==, "s");
  g_assert_null (json_array_get_string_element (a, 2));
  g_assert_null (json_array_get_element (a, 13));
}

static void
test_strings (void)
{
  g_autoptr (JsonNode) n = parse_ok ("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", \"\\ud83d\\ude00\","
                                     " \"x\\ud800y\", \"\\udc00\", \"caf\xc3\xa9\", \"bad\xff\xfe!\", \"\"]");
  JsonArray *a = json_node_get_array (n);
  g_assert_cmpstr (json_array_get_string_element (a, 0), ==, "a\"b\\c/d\b\f\n\r\t");
  g_assert_cmpstr (json_array_get_string_element (a, 1), ==, "\xc3\xa9\xe2\x82\xac");
  g_assert_cmpstr (json_array_get_string_element (a, 2), ==, "\xf0\x9f\x98\x80");  /* surrogate pair */
  g_assert_cmpstr (json_array_get_string_element (a, 3), ==, "x\xef\xbf\xbdy");      /* lone high -> U+FFFD */
  g_assert_cmpstr (json_array_get_string_element (a, 4), ==, "\xef\xbf\xbd");        /* lone low */
  g_assert_cmpstr (json_array_get_string_element (a, 5), ==, "caf\xc3\xa9");
  g_assert_cmpstr (json_array_get_string_element (a, 6), ==, "bad\xef\xbf\xbd\xef\xbf\xbd!"); /* invalid UTF-8 */
  g_assert_cmpstr (json_array_get_string_element (a, 7), ==, "");
}

typedef struct { const char *text; const char *message; } ErrorCase;

static void
test_errors (void)
{
  static const ErrorCase cases[] = {
    { "{\"a\": 1,}", "line 1, column 9: unexpected character `}', expected a member name (a string)" },
    { "[1, 2,]", "line 1, column 7: unexpected character `]', expected a value" },
    { "{'a': 1}", "line 1, column 2: unexpected character `'', expected a member name (a string)" },
    { "{\"a\" 1}", "line 1, column 6: unexpected character `1', expected `:'" },
    { "{\"a\": 1 \"b\": 2}", "line 1, column 9: unexpected character `\"', expected `,' or `}'" },
    { "[1 2]", "line 1, column 4: unexpected character `2', expected `,' or `]'" },
    { "{} {}", "line 1, column 4: unexpected character `{' after the JSON value" },
    { "01", "line 1, column 2: unexpected character `1' after the JSON value" },
    { "[-]", "line 1, column 2: invalid number" },
    { "[1.]", "line 1, column 2: invalid number" },
    { "[1e]", "line 1, column 2: invalid number" },
    { "[1e999]", "line 1, column 2: number out of range" },
    { "[tru]", "line 1, column 2: unexpected character `t', expected a value" },
    { "[nul", "line 1, column 2: unexpected character `n', expected a value" },
    { "\n\n  [\"abc", "line 3, column 4: unterminated string" },
    { "[\"a\nb\"]", "line 1, column 4: control character 0x0a in a string (must be escaped)" },
    { "[\"\\x\"]", "line 1, column 3: invalid escape `\\x'" },
    { "[\"\\u12G4\"]", "line 1, column 3: invalid \\u escape" },
    { "[\"a\\u0000b\"]", "line 1, column 4: \\u0000 is not allowed in a string" },
    { "{\"a\":", "line 1, column 6: unexpected end of data, expected a value" },
    { "\x01", "line 1, column 1: unexpected byte 0x01, expected a value" },
    { "/* comment */ {}", "line 1, column 1: unexpected character `/', expected a value" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = parse_error (cases[i].text, -1);
      g_assert_cmpstr (msg, ==, cases[i].message);
    }
  /* length is honoured: no read past it (the fuzzers give unterminated buffers) */
  g_autofree char *cut = parse_error ("{\"a\": 12}", 8);
  g_assert_cmpstr (cut, ==, "line 1, column 9: unexpected end of data, expected `,' or `}'");
}

static void
test_empty_and_depth (void)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, " \n\t ", -1, NULL));
  g_assert_null (json_parser_get_root (p));

  g_autoptr (GString) deep = g_string_new (NULL);
  for (int i = 0; i < JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  g_autoptr (JsonNode) ok = parse_ok (deep->str);
  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  g_autofree char *msg = parse_error (deep->str, -1);
  g_assert_cmpstr (msg, ==, "line 1, column 513: nested deeper than 512 levels");
}

static void
test_objects (void)
{
  g_autoptr (JsonNode) n = parse_ok ("{\"b\": 1, \"a\": \"x\", \"b\": 2, \"t\": true, \"z\": null, \"o\": {}, \"l\": []}");
  JsonObject *o = json_node_get_object (n);
  /* a repeated name keeps its first position and takes the last value */
  g_assert_cmpuint (json_object_get_size (o), ==, 6);
  g_assert_cmpint (json_object_get_int_member (o, "b"), ==, 2);
  g_autoptr (GList) names = json_object_get_members (o);
  g_assert_cmpstr (names->data, ==, "b");
  g_assert_cmpstr (names->next->data, ==, "a");
  /* typed getters fall back to the default on absent, null or another kind */
  g_assert_cmpint (json_object_get_int_member_with_default (o, "a", 7), ==, 7);
  g_assert_cmpint (json_object_get_int_member_with_default (o, "nope", 7), ==, 7);
  g_assert_cmpint (json_object_get_int_member_with_default (o, "z", 7), ==, 7);
  g_assert_cmpstr (json_object_get_string_member_with_default (o, "b", "d"), ==, "d");
  g_assert_cmpstr (json_object_get_string_member (o, "a"), ==, "x");
  g_assert_true (json_object_get_boolean_member_with_default (o, "t", FALSE));
  g_assert_false (json_object_get_boolean_member_with_default (o, "a", FALSE));
  g_assert_true (json_object_get_null_member (o, "z"));
  g_assert_false (json_object_get_null_member (o, "a"));
  g_assert_nonnull (json_object_get_object_member (o, "o"));
  g_assert_null (json_object_get_object_member (o, "l"));
  g_assert_nonnull (json_object_get_array_member (o, "l"));
  /* setting a member to the node it holds changes nothing (as json-glib) */
  json_object_set_member (o, "a", json_object_get_member (o, "a"));
  g_assert_cmpstr (json_object_get_string_member (o, "a"), ==, "x");

  /* past the linear-search size: the index agrees with the order after removals */
  g_autoptr (JsonObject) big = json_object_new ();
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *k = g_strdup_printf ("k%d", i);
      json_object_set_int_member (big, k, i);
    }
  json_object_set_int_member (big, "k50", 500);
  json_object_remove_member (big, "k3");
  json_object_remove_member (big, "k99");
  g_assert_cmpuint (json_object_get_size (big), ==, 98);
  g_assert_false (json_object_has_member (big, "k3"));
  g_assert_cmpint (json_object_get_int_member (big, "k50"), ==, 500);
  g_assert_cmpint (json_object_get_int_member (big, "k98"), ==, 98);
  JsonObjectIter it;
  const char *name;
  JsonNode *value;
  json_object_iter_init (&it, big);
  int seen = 0;
  while (json_object_iter_next (&it, &name, &value))
    {
      g_assert_true (json_object_get_member (big, name) == value);
      seen++;
    }
  g_assert_cmpint (seen, ==, 98);
}

static void
test_copy_and_equal (void)
{
  g_autoptr (JsonNode) a = parse_ok ("{\"x\": {\"y\": [1, \"two\", 3.5, null]}, \"n\": 1}");
  g_autoptr (JsonNode) b = json_node_copy (a);
  g_assert_true (json_node_equal (a, b));
  /* deep: changing the copy leaves the original alone */
  json_object_set_int_member (json_object_get_object_member (json_node_get_object (b), "x"), "z", 1);
  g_assert_false (json_object_has_member (json_object_get_object_member (json_node_get_object (a), "x"), "z"));
  g_assert_false (json_node_equal (a, b));
  g_autoptr (JsonNode) c = parse_ok ("{\"n\": 1.0, \"x\": {\"y\": [1, \"two\", 3.5, null]}}");
  g_assert_true (json_node_equal (a, c));   /* member order and 1 vs 1.0 do not matter */
  g_autoptr (JsonNode) d = parse_ok ("{\"n\": true, \"x\": {\"y\": [1, \"two\", 3.5, null]}}");
  g_assert_false (json_node_equal (a, d));
}

static void
test_build_and_print (void)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "s");
  json_builder_add_string_value (b, "q\"\n\x01\xc3\xa9");
  json_builder_set_member_name (b, "i");
  json_builder_add_int_value (b, -5);
  json_builder_set_member_name (b, "list");
  json_builder_begin_array (b);
  json_builder_add_boolean_value (b, TRUE);
  json_builder_add_null_value (b);
  json_builder_begin_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "empty");
  json_builder_begin_array (b);
  g_assert_null (json_builder_get_root (b));         /* unfinished */
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_assert_nonnull (root);

  g_autofree char *compact = json_to_string (root, FALSE);
  g_assert_cmpstr (compact, ==, "{\"s\":\"q\\\"\\n\\u0001\xc3\xa9\",\"i\":-5,\"list\":[true,null,{}],\"empty\":[]}");
  g_autofree char *pretty = json_to_string (root, TRUE);
  g_assert_cmpstr (pretty, ==,
                   "{\n  \"s\": \"q\\\"\\n\\u0001\xc3\xa9\",\n  \"i\": -5,\n  \"list\": [\n    true,\n    null,\n"
                   "    {}\n  ],\n  \"empty\": []\n}");
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 1);
  json_generator_set_indent_char (gen, '\t');
  gsize len = 0;
  g_autofree char *tabs = json_generator_to_data (gen, &len);
  g_assert_cmpuint (len, ==, strlen (tabs));
  g_assert_true (g_str_has_prefix (tabs, "{\n\t\"s\": "));
  g_assert_nonnull (strstr (tabs, "\n\t\"list\": [\n\t\ttrue,\n"));

  /* doubles print as doubles: an integral one (or -0.0, found by fuzz-json) keeps its ".0" */
  g_autoptr (JsonNode) doubles = parse_ok ("[1e3, -5e-9945, 0.5, 1e300]");
  g_autofree char *dtext = json_to_string (doubles, FALSE);
  g_assert_cmpstr (dtext, ==, "[1000.0,-0.0,0.5,1.0000000000000001e+300]");
  g_autoptr (JsonNode) dagain = parse_ok (dtext);
  g_autofree char *dtext2 = json_to_string (dagain, FALSE);
  g_assert_cmpstr (dtext2, ==, dtext);

  /* what is printed parses back to an equal tree */
  g_autoptr (JsonNode) again = parse_ok (compact);
  g_assert_true (json_node_equal (root, again));
  g_autoptr (JsonNode) again2 = parse_ok (tabs);
  g_assert_true (json_node_equal (root, again2));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/scalars", test_scalars);
  g_test_add_func ("/json/strings", test_strings);
  g_test_add_func ("/json/errors", test_errors);
  g_test_add_func ("/json/empty-and-depth", test_empty_and_depth);
  g_test_add_func ("/json/objects", test_objects);
  g_test_add_func ("/json/copy-and-equal", test_copy_and_equal);
  g_test_add_func ("/json/build-and-print", test_build_and_print);
  return g_test_run ();
}
