/* berth: global options, command dispatch, the one error line. */
#include "cli.h"

#include "error.h"
#include "log.h"
#include "rootless.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const BerthCommand commands[] = {
  { "create", "<container-id>", "create a container", cmd_create },
  { "start", "<container-id>", "start the user process of a created container", cmd_start },
  { "run", "<container-id>", "create and start a container", cmd_run },
  { "state", "<container-id>", "output the state of a container", cmd_state },
  { "list", "", "list containers started by berth with the given root", cmd_list },
  { "kill", "<container-id> [signal]", "send a signal to the container's init process", cmd_kill },
  { "delete", "<container-id>", "delete a container and the resources it holds", cmd_delete },
  { "spec", "", "create a new specification file (config.json)", cmd_spec },
  { "features", "", "show the enabled features", cmd_features },
  { "exec", "<container-id> <command> [args...]", "execute a new process inside a container", cmd_exec },
  { "ps", "<container-id>", "list processes running inside a container", cmd_ps },
  { "events", "<container-id>", "display container events such as OOM notifications and stats", cmd_events },
  { "pause", "<container-id>", "suspend all processes inside the container", cmd_pause },
  { "resume", "<container-id>", "resume all processes that have been paused", cmd_resume },
  { "update", "<container-id>", "update container resource constraints", cmd_update },
  { "checkpoint", "<container-id>", "checkpoint a running container", cmd_checkpoint },
  { "restore", "<container-id>", "restore a container from a previous checkpoint", cmd_restore },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: berth [global options] <command> [command options] [arguments...]\n\n"
                "berth is an OCI container runtime (runc-compatible command line).\n\nCommands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "  %-11s %s\n", "help", "show help for a command: berth help <command>");
  fprintf (out, "\nGlobal options:\n"
                "  --root DIR             state directory (default /run/berth; rootless: $XDG_RUNTIME_DIR/berth)\n"
                "  --log FILE             write log and error lines to FILE (default stderr)\n"
                "  --log-format FORMAT    text or json\n"
                "  --debug                debug logging\n"
                "  --systemd-cgroup       use the systemd cgroup driver (not supported yet)\n"
                "  --rootless VALUE       auto, true or false (default auto)\n"
                "  --version, -v          print the version\n"
                "  --help, -h             this help\n");
}

static const BerthCommand *
find_command (const char *name)
{
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Global options come before the command, as with runc. */
typedef struct
{
  const char *root, *log, *log_format, *rootless;
  bool debug, systemd_cgroup, version, help;
} GlobalArgs;

static bool
take_value (int argc, char **argv, int *i, const char *name, const char **ret, GError **error)
{
  const char *arg = argv[*i];
  size_t n = strlen (name);
  if (arg[n] == '=')
    {
      *ret = arg + n + 1;
      return true;
    }
  if (*i + 1 >= argc)
    return berth_fail (error, "%s: requires a value", name);
  *ret = argv[++*i];
  return true;
}

static bool
parse_global (int argc, char **argv, GlobalArgs *ga, int *ret_command_index, GError **error)
{
  static const char *const with_value[] = { "--root", "--log", "--log-format", "--rootless", "--criu" };
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      const char *arg = argv[i];
      const char *matched = NULL;
      for (size_t k = 0; k < G_N_ELEMENTS (with_value); k++)
        {
          size_t n = strlen (with_value[k]);
          if (strncmp (arg, with_value[k], n) == 0 && (arg[n] == '\0' || arg[n] == '='))
            matched = with_value[k];
        }
      const char *value = NULL;
      if (matched != NULL && !take_value (argc, argv, &i, matched, &value, error))
        return false;
      if (matched == NULL)
        {
          if (strcmp (arg, "--debug") == 0)
            ga->debug = true;
          else if (strcmp (arg, "--systemd-cgroup") == 0)
            ga->systemd_cgroup = true;
          else if (strcmp (arg, "--version") == 0 || strcmp (arg, "-v") == 0)
            ga->version = true;
          else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
            ga->help = true;
          else
            return berth_fail (error, "unknown global option %s (see berth --help)", arg);
        }
      else if (strcmp (matched, "--root") == 0)
        ga->root = value;
      else if (strcmp (matched, "--log") == 0)
        ga->log = value;
      else if (strcmp (matched, "--log-format") == 0)
        ga->log_format = value;
      else if (strcmp (matched, "--rootless") == 0)
        ga->rootless = value;
    }
  *ret_command_index = i;
  return true;
}

static bool
resolve_global (const GlobalArgs *ga, const char *command, BerthGlobalOptions *g, GError **error)
{
  if (ga->systemd_cgroup)
    return berth_fail_code (error, ENOTSUP, "--systemd-cgroup: the systemd cgroup driver is not supported yet; use the default cgroupfs driver");
  const char *rootless = ga->rootless ? ga->rootless : "auto";
  if (strcmp (rootless, "auto") == 0)
    g->rootless = berth_rootless_auto ();
  else if (strcmp (rootless, "true") == 0)
    g->rootless = true;
  else if (strcmp (rootless, "false") == 0)
    g->rootless = false;
  else
    return berth_fail (error, "--rootless: must be auto, true or false, not \"%s\"", rootless);
  if (ga->root != NULL)
    {
      if (*ga->root == '\0')
        return berth_fail (error, "--root: must not be empty");
      g->root = cli_absolute_path (ga->root);
    }
  else if (geteuid () != 0)
    {
      const char *xdg = g_getenv ("XDG_RUNTIME_DIR");
      bool stateless = strcmp (command, "spec") == 0 || strcmp (command, "features") == 0;
      if ((xdg == NULL || *xdg == '\0') && stateless)
        xdg = "/nonexistent"; /* never used: spec and features keep no state */
      if (xdg == NULL || *xdg == '\0')
        return berth_fail (error, "--root: not given and XDG_RUNTIME_DIR is not set (needed when not root)");
      g->root = g_build_filename (xdg, "berth", NULL);
    }
  else
    g->root = g_strdup ("/run/berth");
  return true;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  GlobalArgs ga = { 0 };
  BerthGlobalOptions g = { 0 };
  int ci = 0, rc = 1;
  /* A reader that went away (a closed pipe) is an error, not a death. */
  signal (SIGPIPE, SIG_IGN);

  if (!parse_global (argc, argv, &ga, &ci, &error))
    goto out;
  if (!berth_log_init (ga.log, ga.log_format, ga.debug, &error))
    goto out;
  if (ga.version)
    {
      printf ("berth version %s\nspec: 1.2.0\n", BERTH_VERSION);
      return 0;
    }
  if (ci >= argc || ga.help)
    {
      print_usage (ga.help ? stdout : stderr);
      return ga.help ? 0 : 1;
    }
  const char *name = argv[ci];
  if (strcmp (name, "help") == 0)
    {
      if (ci + 1 >= argc)
        {
          print_usage (stdout);
          return 0;
        }
      const BerthCommand *cmd = find_command (argv[ci + 1]);
      if (cmd == NULL)
        {
          berth_fail (&error, "help: unknown command \"%s\"", argv[ci + 1]);
          goto out;
        }
      char *help_argv[] = { (char *) cmd->name, (char *) "--help", NULL };
      return cmd->fn (&g, 2, help_argv, &error);
    }
  const BerthCommand *cmd = find_command (name);
  if (cmd == NULL)
    {
      berth_fail (&error, "unknown command \"%s\" (see berth --help)", name);
      goto out;
    }
  if (!resolve_global (&ga, name, &g, &error))
    goto out;
  rc = cmd->fn (&g, argc - ci, argv + ci, &error);

out:
  if (error != NULL)
    {
      berth_log_error_line (error->message);
      if (rc == 0)
        rc = 1;
    }
  g_free (g.root);
  return rc;
}
