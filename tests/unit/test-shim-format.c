/* berth-shim's pure formatting/parsing: k8s-file records, timestamps, ctl
 * lines, oom counters, sync-pipe JSON. */
#include "shim.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct { GString *out; int calls; } Sink;

static bool
collect (void *user, const struct iovec *iov, int iovcnt)
{
  Sink *s = user;
  s->calls++;
  for (int i = 0; i < iovcnt; i++)
    g_string_append_len (s->out, iov[i].iov_base, (gssize) iov[i].iov_len);
  return true;
}

static char *
format (const char *in, size_t scratch_size, int *ret_calls)
{
  Sink s = { g_string_new (NULL), 0 };
  g_autofree char *scratch = g_malloc (scratch_size);
  g_assert_true (shim_k8s_format ("TS", "stdout", in, strlen (in), scratch, scratch_size, collect, &s));
  if (ret_calls)
    *ret_calls = s.calls;
  return g_string_free (s.out, FALSE);
}

static void
test_k8s_lines (void)
{
  g_autofree char *a = format ("hello\npartial", 4096, NULL);
  g_assert_cmpstr (a, ==, "TS stdout F hello\nTS stdout P partial\n");
  g_autofree char *b = format ("\n", 4096, NULL);
  g_assert_cmpstr (b, ==, "TS stdout F \n");
  g_autofree char *c = format ("a b  c\n\n", 4096, NULL);
  g_assert_cmpstr (c, ==, "TS stdout F a b  c\nTS stdout F \n");
  g_autofree char *d = format ("", 4096, NULL);
  g_assert_cmpstr (d, ==, "");
}

static void
test_k8s_small_scratch (void)
{
  /* Records that do not fit the scratch buffer go out on their own; the result is the same. */
  int calls = 0;
  g_autofree char *a = format ("0123456789012345678901234567890123456789\nxy\nz", 24, &calls);
  g_assert_cmpstr (a, ==, "TS stdout F 0123456789012345678901234567890123456789\nTS stdout F xy\nTS stdout P z\n");
  g_assert_cmpint (calls, >=, 2);
}

static void
test_timestamp (void)
{
  g_setenv ("TZ", "UTC", TRUE);
  tzset ();
  struct timespec ts = { .tv_sec = 1795383224, .tv_nsec = 183783855 };
  char buf[64];
  g_assert_cmpuint (shim_k8s_timestamp (buf, sizeof buf, &ts), >, 0);
  g_assert_cmpstr (buf, ==, "2026-11-22T21:33:44.183783855+00:00");
  ts.tv_nsec = 5;
  g_setenv ("TZ", "<-0530>+5:30", TRUE);
  tzset ();
  shim_k8s_timestamp (buf, sizeof buf, &ts);
  g_assert_cmpstr (buf, ==, "2026-11-22T16:03:44.000000005-05:30");
  g_assert_cmpuint (shim_k8s_timestamp (buf, 10, &ts), ==, 0);
}

static void
test_ctl_parse (void)
{
  int t, a, b;
  g_assert_true (shim_ctl_parse_line ("1 33 101", &t, &a, &b));
  g_assert_cmpint (t, ==, 1); g_assert_cmpint (a, ==, 33); g_assert_cmpint (b, ==, 101);
  g_assert_true (shim_ctl_parse_line ("2 0 0", &t, &a, &b));
  g_assert_cmpint (t, ==, 2);
  g_assert_true (shim_ctl_parse_line ("2", &t, &a, &b));
  g_assert_cmpint (t, ==, 2);
  g_assert_false (shim_ctl_parse_line ("1 33", &t, &a, &b));
  g_assert_false (shim_ctl_parse_line ("", &t, &a, &b));
  g_assert_false (shim_ctl_parse_line ("1 x 3", &t, &a, &b));
  g_assert_false (shim_ctl_parse_line ("1 2 3 4", &t, &a, &b));
  g_assert_false (shim_ctl_parse_line ("1 99999 3", &t, &a, &b));
}

static void
test_oom_counter (void)
{
  uint64_t v = 0;
  g_assert_true (shim_oom_parse_counter ("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", &v));
  g_assert_cmpuint (v, ==, 3);
  g_assert_true (shim_oom_parse_counter ("low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\noom_group_kill 0\n", &v));
  g_assert_cmpuint (v, ==, 1);
  g_assert_false (shim_oom_parse_counter ("oom_kill_disable 0\nunder_oom 0\n", &v));
  g_assert_false (shim_oom_parse_counter ("oom_kill x\n", &v));
}

static void
test_sync_line (void)
{
  g_autofree char *a = shim_sync_line (true, "pid", 26812, NULL);
  g_assert_cmpstr (a, ==, "{\"data\": 26812}\n");
  g_autofree char *b = shim_sync_line (false, "pid", -1, "crun: \"x\"\n\tno\x01");
  g_assert_cmpstr (b, ==, "{\"pid\": -1, \"message\": \"crun: \\\"x\\\"\\n\\tno\\u0001\"}\n");
  g_autofree char *c = shim_sync_line (true, "exit_code", -1, "command timed out");
  g_assert_cmpstr (c, ==, "{\"data\": -1, \"message\": \"command timed out\"}\n");
  g_autofree char *d = shim_sync_line (false, "pid", -1, "a\xff" "b");
  g_assert_cmpstr (d, ==, "{\"pid\": -1, \"message\": \"a\\ufffdb\"}\n");
}

/* --log-size-max as conmon applies it, checked before every record: a read
 * chunk of 200 lines leaves at most the limit, the lines written since the
 * last truncation, in order, the last one last (conmon 2.1.6 leaves exactly
 * the same 54 bytes: "line-199" alone). */
static void
test_log_size_max (void)
{
  g_autofree char *dir = g_dir_make_tmp ("berth-log-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "ctr.log", NULL);
  g_autofree char *spec = g_strconcat ("k8s-file:", path, NULL);
  char *paths[] = { spec, NULL };
  ShimOptions o = { 0 };
  o.log_paths = paths;
  o.log_size_max = 1000;
  ShimLogs logs = { 0 };
  g_autoptr (GError) error = NULL;
  g_assert_true (shim_logs_open (&logs, &o, &error));
  g_autoptr (GString) chunk = g_string_new (NULL);
  for (int i = 0; i < 200; i++)
    g_string_append_printf (chunk, "line-%d\n", i);
  shim_logs_write (&logs, SHIM_STREAM_STDOUT, chunk->str, chunk->len);
  shim_logs_close (&logs);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_cmpuint (len, <=, 1000);
  g_assert_cmpuint (len, >, 0);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines) - 1;    /* after the last '\n' */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *want = g_strdup_printf (" stdout F line-%u", 200 - n + i);
      g_assert_true (g_str_has_suffix (lines[i], want));
    }
  unlink (path);
  rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shim/log-size-max", test_log_size_max);
  g_test_add_func ("/shim/k8s/lines", test_k8s_lines);
  g_test_add_func ("/shim/k8s/small-scratch", test_k8s_small_scratch);
  g_test_add_func ("/shim/k8s/timestamp", test_timestamp);
  g_test_add_func ("/shim/ctl/parse", test_ctl_parse);
  g_test_add_func ("/shim/oom/counter", test_oom_counter);
  g_test_add_func ("/shim/sync/line", test_sync_line);
  return g_test_run ();
}
