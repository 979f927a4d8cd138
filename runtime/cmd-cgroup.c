/* Commands that act on a live container through its cgroup: pause, resume,
 * ps (without a cgroup: by pid namespace). */
#include "cli.h"

#include "cgroup.h"
#include "error.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static BerthCgroup *
open_container_cgroup (const BerthGlobalOptions *g, const char *command, int argc, char **argv,
                       BerthContainer *c, GError **error)
{
  if (!berth_container_open (g, argv[1], true, c, error))
    return NULL;
  if (c->state == NULL || c->state->cgroup == NULL)
    {
      berth_fail_code (error, ENOTSUP, "%s: container \"%s\" has no cgroup (rootless without a delegated cgroup), so no freezer is reachable",
                       command, argv[1]);
      return NULL;
    }
  return berth_cgroup_deserialize (c->state->cgroup, error);
}

static int
set_frozen (const BerthGlobalOptions *g, const char *command, bool frozen, int argc, char **argv, GError **error)
{
  if (!cli_parse (command, "<container-id>", NULL, &argc, &argv, error)
      || !cli_require_args (command, argc, argv, 1, "container ID", error))
    return 1;
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  g_autoptr (BerthCgroup) cg = open_container_cgroup (g, command, argc, argv, &c, error);
  if (cg == NULL)
    return 1;
  BerthStatus status = berth_container_status (&c);
  BerthStatus want = frozen ? BERTH_STATUS_RUNNING : BERTH_STATUS_PAUSED;
  if (status != want)
    return berth_fail (error, "%s: container \"%s\" is %s, not %s", command, argv[1], berth_status_name (status),
                       berth_status_name (want)), 1;
  return berth_cgroup_freeze (cg, frozen, error) ? 0 : 1;
}

int
cmd_pause (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  return set_frozen (g, "pause", true, argc, argv, error);
}

int
cmd_resume (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  return set_frozen (g, "resume", false, argc, argv, error);
}

int
cmd_ps (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  g_autofree char *format = NULL;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_FILENAME, &format, "table or json", "FORMAT" },
    { NULL }
  };
  if (!cli_parse ("ps", "<container-id> [ps options]", entries, &argc, &argv, error))
    return 1;
  if (argc < 2)
    return berth_fail (error, "ps: missing container ID (see berth ps --help)"), 1;
  bool json = format != NULL && strcmp (format, "json") == 0;
  if (format != NULL && !json && strcmp (format, "table") != 0)
    return berth_fail (error, "ps: --format: must be table or json, not \"%s\"", format), 1;
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, argv[1], true, &c, error))
    return 1;
  if (c.state == NULL)
    return berth_fail (error, "ps: container \"%s\" is being created", argv[1]), 1;
  g_autoptr (GArray) pids = NULL;
  if (c.state->cgroup != NULL)
    {
      g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (c.state->cgroup, error);
      pids = cg ? berth_cgroup_pids (cg, error) : NULL;
    }
  else if (berth_container_status (&c) == BERTH_STATUS_STOPPED)
    pids = g_array_new (FALSE, FALSE, sizeof (pid_t));
  else if ((pids = berth_proc_pidns_pids (c.state->pid, error)) == NULL) /* no cgroup: by pid namespace */
    g_prefix_error (error, "ps: ");
  if (pids == NULL)
    return 1;
  if (json)
    {
      printf ("[");
      for (guint i = 0; i < pids->len; i++)
        printf ("%s%d", i ? "," : "", g_array_index (pids, pid_t, i));
      printf ("]\n");
      return 0;
    }
  /* Like runc: run the host's ps with the given options and keep the lines
   * whose PID column is one of the container's. */
  g_autoptr (GPtrArray) ps_argv = g_ptr_array_new ();
  g_ptr_array_add (ps_argv, (char *) "ps");
  if (argc > 2)
    for (int i = 2; i < argc; i++)
      g_ptr_array_add (ps_argv, argv[i]);
  else
    g_ptr_array_add (ps_argv, (char *) "-ef");
  g_ptr_array_add (ps_argv, NULL);
  g_autofree char *out = NULL;
  int wait_status = 0;
  g_autoptr (GError) spawn_error = NULL;
  if (!g_spawn_sync (NULL, (char **) ps_argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &wait_status,
                     &spawn_error))
    return berth_fail (error, "ps: %s", spawn_error->message), 1;
  if (!g_spawn_check_wait_status (wait_status, NULL))
    return berth_fail (error, "ps: ps failed"), 1;
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  if (lines[0] == NULL)
    return 0;
  g_auto (GStrv) header = g_strsplit_set (lines[0], " \t", -1);
  int pid_col = -1, col = 0;
  for (char **h = header; *h; h++)
    {
      if (**h == '\0')
        continue;
      if (strcmp (*h, "PID") == 0)
        pid_col = col;
      col++;
    }
  if (pid_col < 0)
    return berth_fail (error, "ps: no PID column in the output of ps"), 1;
  printf ("%s\n", lines[0]);
  for (char **l = lines + 1; *l; l++)
    {
      g_auto (GStrv) fields = g_strsplit_set (*l, " \t", -1);
      int k = 0;
      const char *pid_field = NULL;
      for (char **f = fields; *f && pid_field == NULL; f++)
        if (**f != '\0' && k++ == pid_col)
          pid_field = *f;
      int64_t pid;
      if (pid_field == NULL || !berth_parse_int64 (pid_field, 1, INT32_MAX, &pid))
        continue;
      for (guint i = 0; i < pids->len; i++)
        if (g_array_index (pids, pid_t, i) == (pid_t) pid)
          {
            printf ("%s\n", *l);
            break;
          }
    }
  return 0;
}
