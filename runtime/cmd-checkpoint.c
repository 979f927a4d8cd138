/* checkpoint and restore: runc's options of the same names. */
#include "cli.h"

#include "container-checkpoint.h"
#include "error.h"

#include <string.h>

typedef struct
{
  char *image_path, *work_path, *parent_path, *manage_cgroups_mode, *bundle, *pid_file, *console_socket;
  char *lsm_profile, *lsm_mount_context;
  char **empty_ns;
  gboolean leave_running, pre_dump, detach, no_subreaper, no_pivot, criu_action;
  gboolean tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup;
} CriuArgs;

static void
criu_args_clear (CriuArgs *a)
{
  g_free (a->image_path);
  g_free (a->work_path);
  g_free (a->parent_path);
  g_free (a->manage_cgroups_mode);
  g_free (a->bundle);
  g_free (a->pid_file);
  g_free (a->console_socket);
  g_free (a->lsm_profile);
  g_free (a->lsm_mount_context);
  g_strfreev (a->empty_ns);
}

/* Options both commands take, appended to entries (cap entries, the last one left zero). */
static void
add_common_entries (GOptionEntry *entries, size_t cap, size_t *n, CriuArgs *a)
{
  const GOptionEntry common[] = {
    { "image-path", 0, 0, G_OPTION_ARG_FILENAME, &a->image_path, "path for the criu image files (default: ./checkpoint)", "DIR" },
    { "work-path", 0, 0, G_OPTION_ARG_FILENAME, &a->work_path, "path for criu's work files and logs (default: the image path)", "DIR" },
    { "tcp-established", 0, 0, G_OPTION_ARG_NONE, &a->tcp_established, "allow open tcp connections", NULL },
    { "ext-unix-sk", 0, 0, G_OPTION_ARG_NONE, &a->ext_unix_sk, "allow external unix sockets", NULL },
    { "shell-job", 0, 0, G_OPTION_ARG_NONE, &a->shell_job, "allow shell jobs", NULL },
    { "file-locks", 0, 0, G_OPTION_ARG_NONE, &a->file_locks, "handle file locks", NULL },
    { "manage-cgroups-mode", 0, 0, G_OPTION_ARG_FILENAME, &a->manage_cgroups_mode, "cgroups mode: soft (default), full, strict or ignore", "MODE" },
    { "auto-dedup", 0, 0, G_OPTION_ARG_NONE, &a->auto_dedup, "enable auto deduplication of memory images", NULL },
    { "empty-ns", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->empty_ns, "create this namespace, but do not dump or restore its properties (network only, as runc)", "NS" },
  };
  g_assert (*n + G_N_ELEMENTS (common) < cap);
  memcpy (entries + *n, common, sizeof common);
  *n += G_N_ELEMENTS (common);
}

static char *
absolute_or_null (const char *path)
{
  return path ? cli_absolute_path (path) : NULL;
}

static void
make_paths_absolute (CriuArgs *a)
{
  char **paths[] = { &a->work_path, &a->pid_file, &a->console_socket };
  for (size_t i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      char *abs = absolute_or_null (*paths[i]);
      g_free (*paths[i]);
      *paths[i] = abs;
    }
  /* runc's default: ./checkpoint */
  char *image = cli_absolute_path (a->image_path ? a->image_path : "checkpoint");
  g_free (a->image_path);
  a->image_path = image;
  char *bundle = cli_absolute_path (a->bundle ? a->bundle : ".");
  g_free (a->bundle);
  a->bundle = bundle;
}

/* --empty-ns: runc takes "network" (the only namespace CRIU can leave empty). */
static bool
criu_flags (const CriuArgs *a, BerthCriuFlags *ret, GError **error)
{
  *ret = (BerthCriuFlags) { .tcp_established = a->tcp_established, .ext_unix_sk = a->ext_unix_sk,
                            .shell_job = a->shell_job, .file_locks = a->file_locks, .auto_dedup = a->auto_dedup };
  for (char **ns = a->empty_ns; ns != NULL && *ns != NULL; ns++)
    {
      if (strcmp (*ns, "network") != 0)
        return berth_fail (error, "--empty-ns: %s: only \"network\" can be left empty", *ns);
      ret->empty_netns = true;
    }
  return true;
}

int
cmd_checkpoint (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  __attribute__ ((cleanup (criu_args_clear))) CriuArgs a = { 0 };
  GOptionEntry entries[16] = {
    { "leave-running", 0, 0, G_OPTION_ARG_NONE, &a.leave_running, "leave the process running after checkpointing", NULL },
    { "pre-dump", 0, 0, G_OPTION_ARG_NONE, &a.pre_dump, "dump the memory only, leave the container running (see --parent-path)", NULL },
    { "parent-path", 0, 0, G_OPTION_ARG_FILENAME, &a.parent_path, "images of a previous pre-dump (relative to --image-path)", "DIR" },
  };
  size_t n = 3;
  add_common_entries (entries, G_N_ELEMENTS (entries), &n, &a);
  if (!cli_parse ("checkpoint", "<container-id>", entries, &argc, &argv, error)
      || !cli_require_args ("checkpoint", argc, argv, 1, "container ID", error))
    return 1;
  make_paths_absolute (&a);
  BerthCriuFlags flags;
  if (!criu_flags (&a, &flags, error))
    return 1;
  BerthCheckpointOptions opts = {
    .id = argv[1],
    .image_path = a.image_path,
    .work_path = a.work_path,
    .parent_path = a.parent_path,
    .manage_cgroups_mode = a.manage_cgroups_mode,
    .leave_running = a.leave_running,
    .pre_dump = a.pre_dump,
    .flags = flags,
  };
  return berth_container_checkpoint (g, &opts, error) ? 0 : 1;
}

int
cmd_restore (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  __attribute__ ((cleanup (criu_args_clear))) CriuArgs a = { 0 };
  GOptionEntry entries[20] = {
    { "bundle", 'b', 0, G_OPTION_ARG_FILENAME, &a.bundle, "path to the bundle directory (default: current directory)", "DIR" },
    { "detach", 'd', 0, G_OPTION_ARG_NONE, &a.detach, "detach from the container's process", NULL },
    { "pid-file", 0, 0, G_OPTION_ARG_FILENAME, &a.pid_file, "write the restored init's pid to this file", "PATH" },
    { "console-socket", 0, 0, G_OPTION_ARG_FILENAME, &a.console_socket, "unix socket for the pty master (terminals are not restored yet)", "PATH" },
    { "no-subreaper", 0, 0, G_OPTION_ARG_NONE, &a.no_subreaper, "do not become a subreaper (with --detach)", NULL },
    { "no-pivot", 0, 0, G_OPTION_ARG_NONE, &a.no_pivot, "accepted for runc compatibility (CRIU sets up the root)", NULL },
    { "lsm-profile", 0, 0, G_OPTION_ARG_FILENAME, &a.lsm_profile, "accepted for runc compatibility; must be empty (no LSM on restore yet)", "TYPE:NAME" },
    { "lsm-mount-context", 0, 0, G_OPTION_ARG_FILENAME, &a.lsm_mount_context, "accepted for runc compatibility; must be empty", "CONTEXT" },
    { "criu-action", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &a.criu_action, "run as CRIU's action script (internal)", NULL },
  };
  size_t n = 9;
  add_common_entries (entries, G_N_ELEMENTS (entries), &n, &a);
  if (!cli_parse ("restore", "<container-id>", entries, &argc, &argv, error)
      || !cli_require_args ("restore", argc, argv, 1, "container ID", error))
    return 1;
  if ((a.lsm_profile && *a.lsm_profile) || (a.lsm_mount_context && *a.lsm_mount_context))
    return berth_fail (error, "%s: LSM labels are not applied on restore yet", a.lsm_profile && *a.lsm_profile ? "--lsm-profile" : "--lsm-mount-context"), 1;
  if (a.no_subreaper && !a.detach)
    return berth_fail (error, "--no-subreaper: only with --detach (a foreground restore reaps the container itself)"), 1;
  make_paths_absolute (&a);
  BerthCriuFlags flags;
  if (!criu_flags (&a, &flags, error))
    return 1;
  BerthRestoreOptions opts = {
    .id = argv[1],
    .bundle = a.bundle,
    .image_path = a.image_path,
    .work_path = a.work_path,
    .pid_file = a.pid_file,
    .console_socket = a.console_socket,
    .manage_cgroups_mode = a.manage_cgroups_mode,
    .detach = a.detach,
    .no_subreaper = a.no_subreaper,
    .flags = flags,
  };
  if (a.criu_action)
    return berth_container_restore_action (g, &opts);
  return berth_container_restore (g, &opts, error);
}
