/* The pieces of berth events / berth-monitor that need no daemon: Go
 * durations, the request line, JSON string escaping, and the runc-format
 * stats reader on a real cgroup (as root, beneath our own cgroup). */
#include "cgroup-stats.h"
#include "error.h"
#include "json-out.h"
#include "json.h"
#include "loop.h"
#include "monitor-proto.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "util.h"
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void
test_duration (void)
{
  static const struct { const char *text; uint64_t ns; } ok[] = {
    { "5s", 5000000000ull }, { "500ms", 500000000ull }, { "1m", 60000000000ull }, { "1h", 3600000000000ull },
    { "1m30s", 90000000000ull }, { "1.5s", 1500000000ull }, { ".5s", 500000000ull }, { "2h45m", 9900000000000ull },
    { "10us", 10000 }, { "10\xc2\xb5s", 10000 }, { "7ns", 7 }, { "0", 0 }, { "+3s", 3000000000ull },
    { "1s500ms", 1500000000ull },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr (GError) error = NULL;
      uint64_t ns = 1;
      g_assert_true (berth_parse_go_duration (ok[i].text, &ns, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (ns, ==, ok[i].ns);
    }
  static const char *const bad[] = { "", "5", "5x", "s", "-1s", "1.s5", "1 s", "5sec", "1e3s", "99999999999999999999h" };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      uint64_t ns = 0;
      g_assert_false (berth_parse_go_duration (bad[i], &ns, &error));
      g_assert_error (error, BERTH_ERROR, EINVAL);
      g_assert_nonnull (strstr (error->message, "invalid duration"));
      g_assert_null (strchr (error->message, '\n'));
    }
}

static void
test_request (void)
{
  BerthMonitorRequest req = { .interval_ns = 250000000, .once = true, .id = (char *) "web-1" };
  g_autofree char *line = berth_monitor_request_format (&req);
  g_assert_cmpstr (line, ==, "events 250000000 1 web-1\n");
  line[strlen (line) - 1] = '\0';
  g_auto (BerthMonitorRequest) back = { 0 };
  g_assert_true (berth_monitor_request_parse (line, &back, NULL));
  g_assert_cmpuint (back.interval_ns, ==, 250000000);
  g_assert_true (back.once);
  g_assert_cmpstr (back.id, ==, "web-1");

  g_auto (BerthMonitorRequest) all = { 0 };
  g_assert_true (berth_monitor_request_parse ("events 1000 0 *", &all, NULL));
  g_assert_null (all.id);
  g_assert_false (all.once);

  static const char *const bad[] = { "", "events", "events 0 0 x", "events 1 2 x", "stats 1 0 x",
                                     "events 1 0 ../x", "events 1 0 a b", "events x 0 a" };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (BerthMonitorRequest) r = { 0 };
      g_autoptr (GError) error = NULL;
      g_assert_false (berth_monitor_request_parse (bad[i], &r, &error));
      g_assert_nonnull (error);
    }
}

static void
test_json_string (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "plain", "\"plain\"" },
    { "q\"b\\s", "\"q\\\"b\\\\s\"" },
    { "nl\ntab\tcr\r", "\"nl\\ntab\\tcr\\r\"" },
    { "\x01\x1f", "\"\\u0001\\u001f\"" },
    { "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
    { "bad\xff\xfe", "\"bad\\ufffd\\ufffd\"" },
    { "trunc\xc3", "\"trunc\\ufffd\"" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GString) s = g_string_new (NULL);
      berth_json_string (s, cases[i].in);
      g_assert_cmpstr (s->str, ==, cases[i].out);
      /* and it is valid JSON that round-trips through the JSON parser */
      g_autoptr (JsonParser) p = json_parser_new ();
      g_assert_true (json_parser_load_from_data (p, s->str, -1, NULL));
    }
  g_autoptr (GString) n = g_string_new (NULL);
  berth_json_u64 (n, UINT64_MAX);
  g_string_append_c (n, ' ');
  berth_json_i64 (n, INT64_MIN);
  g_string_append_c (n, ' ');
  berth_json_u64 (n, 0);
  g_assert_cmpstr (n->str, ==, "18446744073709551615 -9223372036854775808 0");
}

static JsonObject *
member_object (JsonObject *o, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);
  for (char **p = parts; *p && o; p++)
    o = json_object_has_member (o, *p) ? json_object_get_object_member (o, *p) : NULL;
  return o;
}

static int
watch_fn (int fd, gpointer data)
{
  char path[64];
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  return inotify_add_watch (GPOINTER_TO_INT (data), path, IN_MODIFY);
}

static uint64_t
pids_limit (BerthStatsReader *r)
{
  g_autoptr (GString) s = g_string_new ("{");
  g_assert_true (berth_stats_reader_append_json (r, s, NULL));
  g_string_append_c (s, '}');
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, s->str, -1, NULL));
  JsonObject *pids = json_object_get_object_member (json_node_get_object (json_parser_get_root (p)), "pids");
  return json_object_has_member (pids, "limit") ? (uint64_t) json_object_get_int_member (pids, "limit") : 0;
}

/* A child in a fresh cgroup touching 8 MiB: the sample is valid JSON with
 * runc's layout, and shows the memory and the one pid. */
/* The keys of the sample's "memory":{..."raw":{...}} in the order written,
 * checked to be strictly increasing (Go writes map keys sorted); the values,
 * joined with the keys, in *ret_pairs. */
static guint
raw_keys_sorted (const char *sample, GString *ret_pairs)
{
  const char *raw = strstr (sample, "\"raw\":{");
  g_assert_nonnull (raw);
  raw += strlen ("\"raw\":{");
  const char *end = strchr (raw, '}');
  g_assert_nonnull (end);
  g_autofree char *body = g_strndup (raw, end - raw);
  g_auto (GStrv) items = g_strsplit (body, ",", -1);
  g_autofree char *last = NULL;
  guint n = 0;
  for (char **it = items; *it; it++, n++)
    {
      char *colon = strchr (*it, ':');
      g_assert_nonnull (colon);
      g_autofree char *k = g_strndup (*it, colon - *it);
      if (last != NULL && strcmp (last, k) >= 0)
        g_error ("memory.raw not sorted: %s before %s", last, k);
      g_free (last);
      last = g_steal_pointer (&k);
      g_string_append_printf (ret_pairs, "%s ", *it);
    }
  return n;
}

static void
test_reader (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("needs root");
      return;
    }
  g_autofree char *name = g_strdup_printf ("berth-test-monitor-%d-%08x", (int) getpid (), g_random_int ());
  g_autoptr (GError) error = NULL;
  BerthResources res = { 0 };
  g_autoptr (BerthCgroup) cg = berth_cgroup_create (name, name, &res, false, &error);
  if (cg == NULL)
    {
      g_test_skip (error->message);
      return;
    }
  int go[2], done[2];
  g_assert_cmpint (pipe (go), ==, 0);
  g_assert_cmpint (pipe (done), ==, 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c;
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (read (go[0], &c, 1) != 1)
        _exit (1);
      size_t n = 8 << 20;
      volatile char *mem = g_malloc (n);
      for (size_t i = 0; i < n; i += 4096)
        mem[i] = 1;
      if (write (done[1], "y", 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  bool entered = berth_cgroup_enter (cg, pid, &error);
  char c;
  if (!entered || write (go[1], "g", 1) != 1 || read (done[0], &c, 1) != 1)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      berth_cgroup_destroy (cg, NULL);
      g_error ("could not start the child in the cgroup: %s", error ? error->message : g_strerror (errno));
    }

  g_autoptr (BerthStatsReader) r = berth_stats_reader_new (cg, &error);
  g_assert_no_error (error);
  g_autoptr (GString) s = g_string_new ("{");
  g_assert_true (berth_stats_reader_append_json (r, s, &error));
  g_assert_no_error (error);
  g_string_append_c (s, '}');
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, s->str, -1, &error))
    g_error ("not JSON (%s): %s", error->message, s->str);
  JsonObject *data = json_node_get_object (json_parser_get_root (parser));
  if (g_test_verbose ())
    g_printerr ("%s\n", s->str);
  static const char *const keys[] = { "cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt" };
  for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (json_object_has_member (data, keys[i]));
  g_assert_nonnull (member_object (data, "cpu.usage"));
  g_assert_nonnull (member_object (data, "cpu.throttling"));
  JsonObject *usage = member_object (data, "memory.usage");
  g_assert_nonnull (usage);
  g_assert_cmpint (json_object_get_int_member (usage, "usage"), >=, 8 << 20);
  g_assert_true (json_object_has_member (usage, "limit"));
  g_assert_true (json_object_has_member (usage, "failcnt"));
  g_assert_cmpint (json_object_get_int_member (member_object (data, "pids"), "current"), ==, 1);
  g_assert_nonnull (member_object (data, "memory.raw"));
  g_assert_cmpint (berth_stats_reader_oom_kills (r), ==, 0);
  /* memory.stat is sorted once; later samples check its keys against the
   * remembered ones and reuse the order: the same keys, still sorted, and
   * as many as memory.stat has lines. */
  g_autoptr (GString) first = g_string_new (NULL), again = g_string_new (NULL);
  guint n_first = raw_keys_sorted (s->str, first);
  g_autoptr (GString) s2 = g_string_new ("{");
  g_assert_true (berth_stats_reader_append_json (r, s2, &error));
  g_assert_cmpuint (raw_keys_sorted (s2->str, again), ==, n_first);
  g_autofree char *stat_path = g_build_filename (berth_cgroup_dir (cg, "memory"), "memory.stat", NULL);
  g_autofree char *stat_text = NULL;
  g_assert_true (g_file_get_contents (stat_path, &stat_text, NULL, NULL));
  guint stat_lines = 0;
  for (const char *c = stat_text; *c; c++)
    stat_lines += *c == '\n';
  g_assert_cmpuint (n_first, ==, stat_lines);
  /* Each value stays with its key through the remembered order: v1's
   * limit line, which does not move, has its file value in both samples. */
  const char *hl = strstr (stat_text, "hierarchical_memory_limit ");
  if (hl != NULL)
    {
      g_autofree char *hl_line = g_strndup (hl, strcspn (hl, "\n"));
      g_autofree char *pair = g_strdup_printf ("\"hierarchical_memory_limit\":%s ", strchr (hl_line, ' ') + 1);
      g_assert_nonnull (strstr (first->str, pair));
      g_assert_nonnull (strstr (again->str, pair));
    }

  /* Config files are re-read only after a change: a write to pids.max is an
   * IN_MODIFY on it, which invalidates the cached value. */
  g_autoptr (BerthStatsReader) w = berth_stats_reader_new (cg, &error);
  int ifd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  g_assert_cmpint (ifd, >=, 0);
  berth_stats_reader_set_config_watch (w, watch_fn, GINT_TO_POINTER (ifd));
  g_assert_cmpuint (pids_limit (w), ==, 0);                  /* "max" is 0, as runc */
  const char *pdir = berth_cgroup_dir (cg, "pids");
  g_autofree char *pmax = g_build_filename (pdir, "pids.max", NULL);
  g_assert_true (berth_write_file_at (AT_FDCWD, pmax, "77"));
  struct { struct inotify_event ev; char name[256]; } ev;
  g_assert_cmpint (read (ifd, &ev, sizeof ev), >=, (ssize_t) sizeof ev.ev);
  g_assert_true (ev.ev.mask & IN_MODIFY);
  berth_stats_reader_config_changed (w, ev.ev.wd);
  g_assert_cmpuint (pids_limit (w), ==, 77);
  g_assert_true (berth_write_file_at (AT_FDCWD, pmax, "88"));
  g_assert_cmpuint (pids_limit (w), ==, 77);                 /* cached until told */
  g_assert_cmpint (read (ifd, &ev, sizeof ev), >=, (ssize_t) sizeof ev.ev);
  berth_stats_reader_config_changed (w, ev.ev.wd);
  g_assert_cmpuint (pids_limit (w), ==, 88);
  close (ifd);

  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  g_assert_true (berth_cgroup_destroy (cg, &error));
  /* The reader's O_PATH fds did not keep the cgroup busy; now it is gone. */
  g_string_truncate (s, 0);
  g_assert_false (berth_stats_reader_append_json (r, s, &error));
  g_assert_error (error, BERTH_ERROR, ENOENT);
  g_assert_cmpuint (s->len, ==, 0);
  g_assert_cmpint (berth_stats_reader_oom_kills (r), ==, -1);
  close (go[0]), close (go[1]), close (done[0]), close (done[1]);
}

/* The epoll loop (monitor/loop.c): one fd watched for input and for output,
 * a watch removed by another callback of the same batch is not called, a
 * callback returning false is not called again, quit ends the run. */
typedef struct
{
  int calls[3];
  MonitorWatch *w[3];
  int stop_after;
} LoopLog;
static LoopLog loop_log;

static bool
on_loop_in (int fd, uint32_t events, void *data)
{
  loop_log.calls[0]++;
  char c;
  g_assert_cmpint (read (fd, &c, 1), ==, 1);
  /* Whichever of the others is still there, ready in this same batch. */
  monitor_unwatch (&loop_log.w[2]);
  return true;
}

static bool
on_loop_out (int fd, uint32_t events, void *data)
{
  g_assert_true (events & EPOLLOUT);
  loop_log.calls[1]++;
  if (loop_log.calls[1] == 1)
    {
      loop_log.w[1] = NULL;
      return false;            /* removed: never called again */
    }
  return true;
}

static bool
on_loop_victim (int fd, uint32_t events, void *data)
{
  loop_log.calls[2]++;
  return true;
}

static bool
on_loop_stop (int fd, uint32_t events, void *data)
{
  uint64_t v;
  g_assert_cmpint (read (fd, &v, sizeof v), ==, sizeof v);
  if (--loop_log.stop_after == 0)
    monitor_loop_quit ();
  return true;
}

static void
test_loop (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (monitor_loop_init (&error));
  int sv[2];
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), ==, 0);
  int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  g_assert_cmpint (efd, >=, 0);
  memset (&loop_log, 0, sizeof loop_log);
  /* sv[0]: readable (one byte) and writable, watched by three watches.
   * epoll lists fds that are ready when added in the order they were
   * added: on_loop_in comes first in the batch and removes the victim,
   * whose event is already in the same batch. */
  g_assert_cmpint (write (sv[1], "x", 1), ==, 1);
  loop_log.w[0] = monitor_watch (sv[0], EPOLLIN, on_loop_in, NULL);
  loop_log.w[1] = monitor_watch (sv[0], EPOLLOUT, on_loop_out, NULL);
  loop_log.w[2] = monitor_watch (sv[0], EPOLLOUT, on_loop_victim, NULL);
  MonitorWatch *stop = monitor_watch (efd, EPOLLIN, on_loop_stop, NULL);
  /* Three batches: the eventfd is written before each run. */
  loop_log.stop_after = 1;
  uint64_t one = 1;
  g_assert_cmpint (write (efd, &one, sizeof one), ==, sizeof one);
  monitor_loop_run ();
  g_assert_cmpint (loop_log.calls[0], ==, 1);
  g_assert_cmpint (loop_log.calls[1], ==, 1);
  g_assert_cmpint (loop_log.calls[2], ==, 0);
  g_assert_null (loop_log.w[1]);
  g_assert_null (loop_log.w[2]);
  loop_log.stop_after = 1;
  g_assert_cmpint (write (efd, &one, sizeof one), ==, sizeof one);
  g_assert_cmpint (write (sv[1], "y", 1), ==, 1);
  monitor_loop_run ();
  g_assert_cmpint (loop_log.calls[0], ==, 2);
  g_assert_cmpint (loop_log.calls[1], ==, 1);
  g_assert_cmpint (loop_log.calls[2], ==, 0);
  monitor_unwatch (&loop_log.w[0]);
  monitor_unwatch (&stop);
  g_assert_null (stop);
  monitor_loop_free ();
  close (sv[0]), close (sv[1]), close (efd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/monitor/duration", test_duration);
  g_test_add_func ("/monitor/request", test_request);
  g_test_add_func ("/monitor/json-string", test_json_string);
  g_test_add_func ("/monitor/stats-reader", test_reader);
  g_test_add_func ("/monitor/loop", test_loop);
  return g_test_run ();
}
