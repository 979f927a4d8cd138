/* The state store: ID rules, atomic write/read, status derivation against a
 * real process (alive, zombie-free exit, pid reuse guarded by start time). */
#include "error.h"
#include "proc.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void
test_id_validate (void)
{
  const char *good[] = { "a", "A0", "web-1", "x.y+z_w", "0abc" };
  const char *bad[] = { "", "-x", ".x", "../x", "a/b", "a b", "_x", "a\n", "é" };
  for (size_t i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (berth_id_validate (good[i], NULL));
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (berth_id_validate (bad[i], &error));
      g_assert_nonnull (strstr (error->message, "container ID"));
    }
  g_autofree char *longest = g_strnfill (255, 'a');
  g_autofree char *too_long = g_strnfill (256, 'a');
  g_assert_true (berth_id_validate (longest, NULL));
  g_assert_false (berth_id_validate (too_long, NULL));
}

static char *
make_root (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("berth-state-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
test_roundtrip_and_duplicate (void)
{
  g_autofree char *root = make_root ();
  g_autoptr (GError) error = NULL;
  berth_autofd int root_fd = berth_state_root_open (root, true, &error);
  g_assert_no_error (error);
  berth_autofd int dir_fd = berth_state_dir_create (root_fd, "c1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (berth_state_dir_create (root_fd, "c1", &error), ==, -1);
  g_assert_error (error, BERTH_ERROR, EEXIST);
  g_clear_error (&error);

  g_autoptr (BerthContainerState) st = g_new0 (BerthContainerState, 1);
  st->id = g_strdup ("c1");
  st->pid = getpid ();
  st->pid_start_time = berth_proc_start_time (getpid ());
  st->bundle = g_strdup ("/b \"quoted\"");
  st->annotations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (st->annotations, g_strdup ("k"), g_strdup ("v\nw"));
  st->extra = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_assert_true (berth_state_write (dir_fd, st, &error));
  g_assert_no_error (error);

  g_autoptr (BerthContainerState) back = berth_state_read (dir_fd, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, "c1");
  g_assert_cmpint (back->pid, ==, getpid ());
  g_assert_cmpuint (back->pid_start_time, ==, st->pid_start_time);
  g_assert_cmpstr (back->bundle, ==, "/b \"quoted\"");
  g_assert_cmpstr (g_hash_table_lookup (back->annotations, "k"), ==, "v\nw");
  /* No temp file is left behind by the atomic write. */
  g_assert_cmpint (faccessat (dir_fd, ".state.json.tmp", F_OK, 0), ==, -1);

  g_autofree char *json = berth_state_oci_json (back, BERTH_STATUS_RUNNING);
  g_assert_nonnull (strstr (json, "\"status\":\"running\""));

  g_assert_cmpint (berth_state_read_exit_status (dir_fd), ==, -1);
  g_assert_true (berth_state_write_exit_status (dir_fd, 137, &error));
  g_assert_cmpint (berth_state_read_exit_status (dir_fd), ==, 137);

  g_assert_true (berth_state_dir_remove (root_fd, "c1", &error));
  g_assert_no_error (error);
  g_assert_cmpint (berth_state_dir_open (root_fd, "c1", &error), ==, -1);
  g_assert_error (error, BERTH_ERROR, ENOENT);
  rmdir (root);
}

static void
test_status_follows_process (void)
{
  g_autofree char *root = make_root ();
  berth_autofd int root_fd = berth_state_root_open (root, true, NULL);
  berth_autofd int dir_fd = berth_state_dir_create (root_fd, "c2", NULL);
  pid_t child = fork ();
  if (child == 0)
    {
      pause ();
      _exit (0);
    }
  BerthContainerState st = { .id = (char *) "c2", .pid = child, .pid_start_time = berth_proc_start_time (child) };
  g_assert_cmpuint (st.pid_start_time, >, 0);
  g_assert_cmpint (berth_state_status (dir_fd, &st), ==, BERTH_STATUS_RUNNING);
  /* A present start.sock means "created". */
  berth_autofd int f = openat (dir_fd, "start.sock", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  g_assert_cmpint (berth_state_status (dir_fd, &st), ==, BERTH_STATUS_CREATED);
  unlinkat (dir_fd, "start.sock", 0);
  /* Same pid, other start time: a reused pid is not our container. */
  BerthContainerState reused = st;
  reused.pid_start_time = st.pid_start_time + 1;
  g_assert_cmpint (berth_state_status (dir_fd, &reused), ==, BERTH_STATUS_STOPPED);
  /* A zombie is stopped too. */
  kill (child, SIGKILL);
  berth_autofd int pidfd = berth_pidfd_open_checked (child, 0);
  if (pidfd >= 0)
    g_assert_true (berth_pidfd_wait_exit (pidfd, 5000));
  g_assert_cmpint (berth_state_status (dir_fd, &st), ==, BERTH_STATUS_STOPPED);
  waitpid (child, NULL, 0);
  g_assert_cmpint (berth_state_status (dir_fd, &st), ==, BERTH_STATUS_STOPPED);
  berth_state_dir_remove (root_fd, "c2", NULL);
  rmdir (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/state/id-validate", test_id_validate);
  g_test_add_func ("/state/roundtrip-and-duplicate", test_roundtrip_and_duplicate);
  g_test_add_func ("/state/status-follows-process", test_status_follows_process);
  return g_test_run ();
}
