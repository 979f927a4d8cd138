/* start, state, list, kill, delete. */
#include "cli.h"

#include "cgroup.h"
#include "error.h"
#include "json.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
cmd_start (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  if (!cli_parse ("start", "<container-id>", NULL, &argc, &argv, error)
      || !cli_require_args ("start", argc, argv, 1, "container ID", error))
    return 1;
  return berth_container_start (g, argv[1], error) ? 0 : 1;
}

int
cmd_state (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  if (!cli_parse ("state", "<container-id>", NULL, &argc, &argv, error)
      || !cli_require_args ("state", argc, argv, 1, "container ID", error))
    return 1;
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, argv[1], false, &c, error))
    return 1;
  if (c.state == NULL)
    {
      printf ("{\n  \"ociVersion\": \"1.2.0\",\n  \"id\": \"%s\",\n  \"status\": \"creating\",\n  \"pid\": 0,\n  \"bundle\": \"\"\n}\n", argv[1]);
      return 0;
    }
  BerthStatus status = berth_container_status (&c);
  /* A supervisor (berth-shim) recorded how the container ended: show it. */
  int exit_status = status == BERTH_STATUS_STOPPED ? berth_state_read_exit_status (c.dir_fd) : -1;
  g_autofree char *pretty = berth_state_oci_json_pretty (c.state, status, exit_status);
  printf ("%s\n", pretty);
  return 0;
}

int
cmd_list (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  gboolean quiet = FALSE;
  g_autofree char *format = NULL;
  GOptionEntry entries[] = {
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "display only container IDs", NULL },
    { "format", 'f', 0, G_OPTION_ARG_FILENAME, &format, "table or json", "FORMAT" },
    { NULL }
  };
  if (!cli_parse ("list", "", entries, &argc, &argv, error) || !cli_require_args ("list", argc, argv, 0, "", error))
    return 1;
  bool json = false;
  if (format != NULL && strcmp (format, "json") == 0)
    json = true;
  else if (format != NULL && strcmp (format, "table") != 0)
    return berth_fail (error, "list: --format: must be table or json, not \"%s\"", format), 1;

  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  berth_autofd int root_fd = berth_state_root_open (g->root, false, NULL);
  if (root_fd >= 0)
    {
      DIR *dir = fdopendir (fcntl (root_fd, F_DUPFD_CLOEXEC, 3));
      struct dirent *de;
      while (dir != NULL && (de = readdir (dir)) != NULL)
        if (de->d_name[0] != '.' && berth_id_validate (de->d_name, NULL))
          g_ptr_array_add (ids, g_strdup (de->d_name));
      if (dir)
        closedir (dir);
      g_ptr_array_sort (ids, (GCompareFunc) g_strcmp0);
    }

  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  if (!quiet && !json)
    g_string_append_printf (out, "%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = ids->pdata[i];
      berth_autofd int dir_fd = berth_state_dir_open (root_fd, id, NULL);
      if (dir_fd < 0)
        continue;
      g_autoptr (BerthContainerState) st = berth_state_read (dir_fd, NULL);
      if (st == NULL)
        continue; /* still being created, or removed under us */
      BerthStatus status = berth_state_status (dir_fd, st);
      int pid = status == BERTH_STATUS_STOPPED ? 0 : st->pid;
      if (quiet)
        g_string_append_printf (out, "%s\n", id);
      else if (json)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "ociVersion"); json_builder_add_string_value (b, "1.2.0");
          json_builder_set_member_name (b, "id"); json_builder_add_string_value (b, id);
          json_builder_set_member_name (b, "pid"); json_builder_add_int_value (b, pid);
          json_builder_set_member_name (b, "status"); json_builder_add_string_value (b, berth_status_name (status));
          json_builder_set_member_name (b, "bundle"); json_builder_add_string_value (b, st->bundle ? st->bundle : "");
          json_builder_set_member_name (b, "rootfs"); json_builder_add_string_value (b, st->rootfs ? st->rootfs : "");
          json_builder_set_member_name (b, "created"); json_builder_add_string_value (b, st->created ? st->created : "");
          json_builder_set_member_name (b, "owner"); json_builder_add_string_value (b, st->owner ? st->owner : "");
          json_builder_end_object (b);
        }
      else
        g_string_append_printf (out, "%-12s %-10d %-10s %-40s %-30s %s\n", id, pid, berth_status_name (status),
                                st->bundle ? st->bundle : "", st->created ? st->created : "", st->owner ? st->owner : "");
    }
  json_builder_end_array (b);
  if (json)
    {
      g_autoptr (JsonNode) root = json_builder_get_root (b);
      g_autofree char *text = json_to_string (root, FALSE);
      printf ("%s\n", text);
    }
  else
    fputs (out->str, stdout);
  return 0;
}

/* A container init that was started a moment ago may not have installed its
 * handler yet: the kernel would silently drop the signal (an init ignores
 * signals it has no handler for).  `kill` right after `start` is common
 * (tests, scripts), so give a young init a short, bounded chance to install
 * it.  An old init without a handler is signalled at once. */
#define YOUNG_INIT_SECONDS 3.0
#define HANDLER_WAIT_MS 1000

static void
wait_for_signal_handler (const BerthContainer *c, int signo)
{
  pid_t pid = c->state->pid;
  if (!berth_proc_signal_dropped_by_init (pid, signo))
    return;
  double age = berth_proc_age (c->state->pid_start_time);
  if (age < 0 || age > YOUNG_INIT_SECONDS)
    return;
  for (int waited = 0; waited < HANDLER_WAIT_MS && berth_proc_signal_dropped_by_init (pid, signo); waited += 5)
    g_usleep (5000);
}

/* kill --all without a cgroup (rootless): every process in the init's pid
 * namespace; the init itself is signalled by the caller through its pidfd. */
static bool
kill_pidns (pid_t init_pid, int signo, GError **error)
{
  g_autoptr (GArray) pids = berth_proc_pidns_pids (init_pid, error);
  if (pids == NULL)
    return g_prefix_error (error, "kill --all: "), false;
  for (guint i = 0; i < pids->len; i++)
    {
      pid_t pid = g_array_index (pids, pid_t, i);
      if (pid != init_pid && kill (pid, signo) < 0 && errno != ESRCH)
        return berth_fail_errno (error, errno, "kill --all: signal pid %d", (int) pid);
    }
  return true;
}

int
cmd_kill (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, "send the signal to every process in the container", NULL },
    { NULL }
  };
  if (!cli_parse ("kill", "<container-id> [signal]", entries, &argc, &argv, error))
    return 1;
  if (argc < 2)
    return berth_fail (error, "kill: missing container ID (see berth kill --help)"), 1;
  if (argc > 3)
    return berth_fail (error, "kill: unexpected argument \"%s\"", argv[3]), 1;
  int signo = SIGTERM;
  if (argc == 3 && (signo = cli_parse_signal (argv[2])) < 0)
    return berth_fail (error, "kill: invalid signal \"%s\"", argv[2]), 1;

  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, argv[1], false, &c, error))
    return 1;
  BerthStatus status = berth_container_status (&c);
  if (status == BERTH_STATUS_STOPPED || status == BERTH_STATUS_CREATING)
    return berth_fail (error, "kill: container \"%s\" is not running", argv[1]), 1;
  if (all && c.state->cgroup != NULL)
    {
      g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (c.state->cgroup, error);
      if (cg == NULL || !berth_cgroup_kill_all (cg, signo, error))
        return 1;
      return 0;
    }
  if (all && !kill_pidns (c.state->pid, signo, error))
    return 1;
  berth_autofd int pidfd = berth_pidfd_open_checked (c.state->pid, c.state->pid_start_time);
  wait_for_signal_handler (&c, signo);
  if (pidfd < 0 || berth_pidfd_send_signal (pidfd, signo) < 0)
    {
      if (errno == ESRCH)
        return berth_fail (error, "kill: container \"%s\" is not running", argv[1]), 1;
      return berth_fail_errno (error, errno, "kill container \"%s\"", argv[1]), 1;
    }
  return 0;
}

int
cmd_delete (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "kill the container first if it is running", NULL },
    { NULL }
  };
  if (!cli_parse ("delete", "<container-id>", entries, &argc, &argv, error)
      || !cli_require_args ("delete", argc, argv, 1, "container ID", error))
    return 1;
  return berth_container_delete (g, argv[1], force, error) ? 0 : 1;
}
