/* rootless.c: /etc/subuid parsing, id-mapping checks (which ranges may be
 * mapped and how), user-namespace detection, processes by pid namespace. */
#include "error.h"
#include "rootless.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const subuid_text = "# comment\n"
                                       "alice:100000:65536\n"
                                       "bob:200000:1000\n"
                                       "  bob:201000:1000  \n"      /* adjacent: one range */
                                       "1234:300000:10\n"            /* by numeric id */
                                       "bob:bad:line\n"
                                       "bob:5:0\n"                   /* empty range: skipped */
                                       "bob:4294967295:2\n"          /* past the end: skipped */
                                       "carol:1:2:3\n";

static void
test_subid_parse (void)
{
  g_autoptr (GArray) alice = berth_subid_parse (subuid_text, "alice", 1000);
  g_assert_cmpuint (alice->len, ==, 1);
  g_assert_cmpuint (g_array_index (alice, BerthSubidRange, 0).start, ==, 100000);
  g_assert_cmpuint (g_array_index (alice, BerthSubidRange, 0).count, ==, 65536);
  g_autoptr (GArray) bob = berth_subid_parse (subuid_text, "bob", 1234);
  g_assert_cmpuint (bob->len, ==, 3);
  g_assert_cmpuint (g_array_index (bob, BerthSubidRange, 2).start, ==, 300000);
  g_autoptr (GArray) carol = berth_subid_parse (subuid_text, "carol", 7);
  g_assert_cmpuint (carol->len, ==, 0);
  g_autoptr (GArray) none = berth_subid_parse (NULL, "alice", 1);
  g_assert_cmpuint (none->len, ==, 0);
}

/* The user name of a uid (the subuid lookup and the state's "owner"): /etc/passwd lines, no NSS. */
static void
test_passwd_name (void)
{
  const char *text = "root:x:0:0:root:/root:/bin/bash\n"
                     "# not a user:x:5:5\n"
                     "short:x\n"
                     "bad:x:12a:0::/:/bin/sh\n"
                     "big:x:99999999999:0::/:/bin/sh\n"
                     ":x:77:0::/:/bin/sh\n"
                     "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
                     "alice2:x:1000:1000::/:/bin/sh\n"
                     "last:x:4294967294:0::/:/bin/sh";
  g_autofree char *root = berth_passwd_parse_name (text, 0);
  g_assert_cmpstr (root, ==, "root");
  g_autofree char *alice = berth_passwd_parse_name (text, 1000);
  g_assert_cmpstr (alice, ==, "alice"); /* the first line wins */
  g_autofree char *last = berth_passwd_parse_name (text, 4294967294U);
  g_assert_cmpstr (last, ==, "last"); /* no final newline */
  g_assert_null (berth_passwd_parse_name (text, 12));
  g_assert_null (berth_passwd_parse_name (text, 77)); /* empty name */
  g_assert_null (berth_passwd_parse_name (text, 5));
  g_assert_null (berth_passwd_parse_name ("", 0));
  g_autofree char *host_root = berth_passwd_user_name (0);
  g_assert_cmpstr (host_root, ==, "root");
}

static bool
check (const BerthIdMapping *maps, size_t n, bool privileged, const GArray *ranges, BerthIdMapMethod *method,
       char **ret_message)
{
  g_autoptr (GError) error = NULL;
  bool ok = berth_id_mappings_check (maps, n, false, privileged, 1000, "bob", "/etc/subuid", ranges, method, &error);
  g_assert_true (ok == (error == NULL));
  *ret_message = error ? g_strdup (error->message) : NULL;
  return ok;
}

static void
test_mapping_methods (void)
{
  g_autoptr (GArray) bob = berth_subid_parse (subuid_text, "bob", 1234);
  BerthIdMapMethod method;
  g_autofree char *msg = NULL;

  g_assert_true (check (NULL, 0, false, bob, &method, &msg));
  g_assert_cmpint (method, ==, BERTH_IDMAP_NONE);

  /* Our own id alone: written directly, no subordinate ids needed. */
  BerthIdMapping own[] = { { 0, 1000, 1 } };
  g_assert_true (check (own, 1, false, NULL, &method, &msg));
  g_assert_cmpint (method, ==, BERTH_IDMAP_DIRECT);

  /* Own id + a range across two adjacent delegated entries: the helper. */
  BerthIdMapping multi[] = { { 0, 1000, 1 }, { 1, 200000, 2000 } };
  g_assert_true (check (multi, 2, false, bob, &method, &msg));
  g_assert_cmpint (method, ==, BERTH_IDMAP_HELPER);

  /* Privileged: anything non-overlapping, directly. */
  BerthIdMapping wide[] = { { 0, 500000, 65536 } };
  g_assert_true (check (wide, 1, true, NULL, &method, &msg));
  g_assert_cmpint (method, ==, BERTH_IDMAP_DIRECT);
}

static void
test_mapping_errors (void)
{
  g_autoptr (GArray) bob = berth_subid_parse (subuid_text, "bob", 1234);
  BerthIdMapMethod method;

  struct
  {
    BerthIdMapping maps[2];
    size_t n;
    bool privileged, with_ranges;
    const char *expect;
  } cases[] = {
    { { { 0, 1000, 1 }, { 1, 300000, 1000 } }, 2, false, true,
      "config.json: .linux.uidMappings[1]: host range 300000-300999 is not delegated to user bob in /etc/subuid" },
    { { { 0, 1000, 1 }, { 1, 201500, 1000 } }, 2, false, true, "host range 201500-202499 is not delegated" },
    { { { 0, 1000, 1 }, { 1, 200000, 10 } }, 2, false, false,
      ".linux.uidMappings[1]: host range 200000-200009 needs an entry for user bob in /etc/subuid" },
    { { { 0, 1001, 1 } }, 1, false, true, "host range 1001-1001 is not delegated" },
    { { { 0, 200000, 100 }, { 50, 201000, 10 } }, 2, false, true,
      ".linux.uidMappings[1]: container range 50-59 overlaps .linux.uidMappings[0] (0-99)" },
    { { { 0, 200000, 100 }, { 100, 200099, 10 } }, 2, true, true,
      ".linux.uidMappings[1]: host range 200099-200108 overlaps .linux.uidMappings[0] (200000-200099)" },
    { { { 0, 200000, 0 } }, 1, true, true, ".linux.uidMappings[0]: size must be at least 1" },
    { { { 0, 4294967290U, 100 } }, 1, true, true, "goes past the largest id" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *msg = NULL;
      g_assert_false (check (cases[i].maps, cases[i].n, cases[i].privileged, cases[i].with_ranges ? bob : NULL,
                             &method, &msg));
      if (strstr (msg, cases[i].expect) == NULL)
        g_error ("case %zu: \"%s\" does not contain \"%s\"", i, msg, cases[i].expect);
    }
}

static void
test_in_user_namespace (void)
{
  bool outside = berth_in_user_namespace ();
  if (unshare (0) < 0)
    return;
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        _exit (77);
      /* A new user namespace without a map is not the identity map. */
      _exit (berth_in_user_namespace () && berth_rootless_auto () ? 0 : 1);
    }
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) == 77)
    {
      g_test_skip ("user namespaces not available");
      return;
    }
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  (void) outside;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rootless/subid-parse", test_subid_parse);
  g_test_add_func ("/rootless/passwd-name", test_passwd_name);
  g_test_add_func ("/rootless/mapping-methods", test_mapping_methods);
  g_test_add_func ("/rootless/mapping-errors", test_mapping_errors);
  g_test_add_func ("/rootless/in-user-namespace", test_in_user_namespace);
  return g_test_run ();
}
