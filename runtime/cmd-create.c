/* create and run. */
#include "cli.h"

#include "error.h"
#include "hooks.h"
#include "log.h"
#include "proc.h"
#include "supervise.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

typedef struct
{
  char *bundle, *console_socket, *pid_file;
  gboolean no_pivot, no_new_keyring, detach, keep, no_subreaper, shim;
  int preserve_fds;
} CreateArgs;

static void
create_args_clear (CreateArgs *a)
{
  g_free (a->bundle);
  g_free (a->console_socket);
  g_free (a->pid_file);
}

static bool
parse_create_args (const char *command, bool is_run, int *argc, char ***argv, CreateArgs *a,
                   BerthCreateOptions *opts, GError **error)
{
  GOptionEntry common[] = {
    { "bundle", 'b', 0, G_OPTION_ARG_FILENAME, &a->bundle, "path to the bundle directory (default: current directory)", "DIR" },
    { "console-socket", 0, 0, G_OPTION_ARG_FILENAME, &a->console_socket, "unix socket that receives the pty master (SCM_RIGHTS)", "PATH" },
    { "pid-file", 0, 0, G_OPTION_ARG_FILENAME, &a->pid_file, "write the init's pid to this file", "PATH" },
    { "no-pivot", 0, 0, G_OPTION_ARG_NONE, &a->no_pivot, "do not use pivot_root (for ramfs roots)", NULL },
    { "no-new-keyring", 0, 0, G_OPTION_ARG_NONE, &a->no_new_keyring, "do not create a new session keyring", NULL },
    { "preserve-fds", 0, 0, G_OPTION_ARG_INT, &a->preserve_fds, "pass N more fds (3..3+N-1) to the container", "N" },
    { "shim", 0, 0, G_OPTION_ARG_NONE, &a->shim, "hand the container to berth-shim, which records its exit (create)", NULL },
    { "detach", 'd', 0, G_OPTION_ARG_NONE, &a->detach, "detach from the container's process (run)", NULL },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &a->keep, "do not delete the container after it exits (run)", NULL },
    { "no-subreaper", 0, 0, G_OPTION_ARG_NONE, &a->no_subreaper, "accepted for runc compatibility", NULL },
    { NULL }
  };
  if (is_run)
    memmove (&common[6], &common[7], sizeof common - 7 * sizeof common[0]); /* no --shim */
  else
    common[7] = (GOptionEntry) { NULL };                                      /* no --detach... */
  if (!cli_parse (command, "<container-id>", common, argc, argv, error)
      || !cli_require_args (command, *argc, *argv, 1, "container ID", error))
    return false;
  if (a->preserve_fds < 0)
    return berth_fail (error, "--preserve-fds: must not be negative");
  char *bundle = cli_absolute_path (a->bundle ? a->bundle : ".");
  g_free (a->bundle);
  a->bundle = bundle;
  if (a->console_socket)
    {
      char *abs = cli_absolute_path (a->console_socket);
      g_free (a->console_socket);
      a->console_socket = abs;
    }
  if (a->pid_file)
    {
      char *abs = cli_absolute_path (a->pid_file);
      g_free (a->pid_file);
      a->pid_file = abs;
    }
  *opts = (BerthCreateOptions) {
    .id = (*argv)[1],
    .bundle = a->bundle,
    .console_socket = a->console_socket,
    .pid_file = a->pid_file,
    .no_pivot = a->no_pivot,
    .no_new_keyring = a->no_new_keyring,
    .preserve_fds = a->preserve_fds,
  };
  return true;
}

int
cmd_create (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  __attribute__ ((cleanup (create_args_clear))) CreateArgs a = { 0 };
  BerthCreateOptions opts;
  if (!parse_create_args ("create", false, &argc, &argv, &a, &opts, error))
    return 1;
  if (a.shim)
    return berth_container_create_with_shim (g, &opts, false, error) ? 0 : 1;
  return berth_container_create (g, &opts, NULL, error) ? 0 : 1;
}

static int
run_foreground (const BerthGlobalOptions *g, BerthCreateOptions *opts, bool keep, GError **error)
{
  berth_autofd int sigfd = berth_supervise_signals ();

  opts->foreground = true;
  __attribute__ ((cleanup (berth_created_clear))) BerthCreated c = { .pidfd = -1, .sync_fd = -1, .console_master = -1, .state_dir_fd = -1, .root_fd = -1 };
  if (!berth_container_create (g, opts, &c, error))
    return 1;

  /* Start: the init execs on SYNC_START; EOF on the sync socket means it did. */
  SyncType type;
  g_autofree char *payload = NULL;
  g_autoptr (GError) start_error = NULL;
  g_autofree char *created_json = NULL;
  {
    __attribute__ ((cleanup (berth_container_close))) BerthContainer ct0;
    if (berth_container_open (g, opts->id, false, &ct0, NULL) && ct0.state != NULL)
      created_json = berth_state_oci_json (ct0.state, BERTH_STATUS_CREATED);
  }
  if (!sync_send (c.sync_fd, SYNC_START, created_json, &start_error)
      || (sync_recv (c.sync_fd, &type, &payload, &start_error) && type == SYNC_ERROR))
    {
      if (start_error == NULL)
        berth_fail_code (&start_error, EIO, "%s", payload);
      berth_container_delete (g, opts->id, true, NULL);
      g_propagate_error (error, g_steal_pointer (&start_error));
      return 1;
    }
  g_clear_error (&start_error); /* the expected EOF */
  unlinkat (c.state_dir_fd, "start.sock", 0);

  __attribute__ ((cleanup (berth_container_close))) BerthContainer ct;
  if (berth_container_open (g, opts->id, false, &ct, NULL) && ct.state != NULL
      && g_hash_table_contains (ct.state->extra, "poststart"))
    {
      g_autoptr (BerthSpec) spec = berth_container_spec (&ct, NULL);
      g_autofree char *json = berth_state_oci_json (ct.state, BERTH_STATUS_RUNNING);
      if (spec != NULL)
        berth_hooks_run (&spec->hooks.poststart, "poststart", json, true, NULL);
    }

  int code = berth_supervise (c.pid, c.pidfd, c.console_master, sigfd);
  if (!keep && !berth_container_delete (g, opts->id, true, error))
    return 1;
  return code;
}

int
cmd_run (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  __attribute__ ((cleanup (create_args_clear))) CreateArgs a = { 0 };
  BerthCreateOptions opts;
  if (!parse_create_args ("run", true, &argc, &argv, &a, &opts, error))
    return 1;
  if (a.detach)
    {
      if (a.keep)
        return berth_fail (error, "run: --keep and --detach cannot be used together"), 1;
      /* A container started by hand gets a supervisor that records its exit. */
      return berth_container_create_with_shim (g, &opts, true, error) ? 0 : 1;
    }
  return run_foreground (g, &opts, a.keep, error);
}
