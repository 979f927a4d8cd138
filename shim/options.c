/* The command line: conmon 2.1.6's options, plus the adopt mode. */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <string.h>

void
shim_options_clear (ShimOptions *o)
{
  char **strs[] = { &o->cid, &o->cuuid, &o->name, &o->runtime, &o->bundle, &o->container_pidfile,
                    &o->exec_process_spec, &o->restore, &o->conmon_pidfile, &o->exit_dir,
                    &o->persist_dir, &o->socket_dir_path, &o->log_tag, &o->log_level,
                    &o->exit_command, &o->sdnotify_socket, &o->state_dir };
  for (size_t i = 0; i < G_N_ELEMENTS (strs); i++)
    g_clear_pointer (strs[i], g_free);
  char ***vecs[] = { &o->runtime_args, &o->runtime_opts, &o->log_paths, &o->log_labels, &o->exit_command_args };
  for (size_t i = 0; i < G_N_ELEMENTS (vecs); i++)
    g_clear_pointer (vecs[i], g_strfreev);
}

static gboolean
api_version_cb (const char *name, const char *value, gpointer data, GError **error)
{
  ShimOptions *o = data;
  o->api_version = true;
  return TRUE;
}

/* Integer options are parsed as strings so that errors name the option. */
typedef struct { char *log_size_max, *exit_delay, *timeout, *adopt_pid, *console_fd; } IntArgs;

static bool
parse_int_opt (const char *name, const char *text, int64_t min, int64_t max, int64_t *ret, GError **error)
{
  if (text == NULL)
    return true;
  if (!berth_parse_int64 (text, min, max, ret))
    return berth_fail (error, "--%s: '%s' is not an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                       name, text, min, max);
  return true;
}

bool
shim_options_parse (ShimOptions *o, int *argc, char ***argv, GError **error)
{
  IntArgs ia = { 0 };
  char **restore_args = NULL;
  char *pidfile_old = NULL;
  bool unused_bool = false;
  char *unused_str = NULL;
  o->log_size_max = -1;
  o->adopt_pid = 0;
  o->console_fd = -1;
  /* String options are FILENAME kind, as in runtime/cli.c: values are bytes,
   * never converted from the locale's charset (which fails in the C locale). */
  GOptionEntry entries[] = {
    { "api-version", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, api_version_cb, "Conmon API version to use", NULL },
    { "bundle", 'b', 0, G_OPTION_ARG_FILENAME, &o->bundle, "Location of the OCI Bundle path", "DIR" },
    { "cid", 'c', 0, G_OPTION_ARG_FILENAME, &o->cid, "Identification of Container", "ID" },
    { "conmon-pidfile", 'P', 0, G_OPTION_ARG_FILENAME, &o->conmon_pidfile, "PID file for the shim process", "FILE" },
    { "container-pidfile", 'p', 0, G_OPTION_ARG_FILENAME, &o->container_pidfile, "PID file for the initial pid inside of container", "FILE" },
    { "pidfile", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &pidfile_old, NULL, NULL },
    { "cuuid", 'u', 0, G_OPTION_ARG_FILENAME, &o->cuuid, "Container UUID", "ID" },
    { "exec", 'e', 0, G_OPTION_ARG_NONE, &o->exec, "Exec a command into a running container", NULL },
    { "exec-attach", 0, 0, G_OPTION_ARG_NONE, &o->exec_attach, "Attach to an exec session", NULL },
    { "exec-process-spec", 0, 0, G_OPTION_ARG_FILENAME, &o->exec_process_spec, "Path to the process spec for execution", "FILE" },
    { "exit-command", 0, 0, G_OPTION_ARG_FILENAME, &o->exit_command, "Program to execute when the container terminates", "PATH" },
    { "exit-command-arg", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->exit_command_args, "Additional arg to pass to the exit command (repeatable)", "ARG" },
    { "exit-delay", 0, 0, G_OPTION_ARG_FILENAME, &ia.exit_delay, "Delay before invoking the exit command (in seconds)", "SECS" },
    { "exit-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->exit_dir, "Directory where exit files are written", "DIR" },
    { "leave-stdin-open", 0, 0, G_OPTION_ARG_NONE, &o->leave_stdin_open, "Leave stdin open when attached client disconnects", NULL },
    { "log-level", 0, 0, G_OPTION_ARG_FILENAME, &o->log_level, "Print debug logs based on log level", "LEVEL" },
    { "log-path", 'l', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->log_paths, "Log file path [k8s-file:]PATH, journald:, passthrough, none (repeatable)", "DRIVER:PATH" },
    { "log-size-max", 0, 0, G_OPTION_ARG_FILENAME, &ia.log_size_max, "Maximum size of log file", "BYTES" },
    { "log-global-size-max", 0, 0, G_OPTION_ARG_FILENAME, &unused_str, "Maximum size of all log files (ignored)", "BYTES" },
    { "log-tag", 0, 0, G_OPTION_ARG_FILENAME, &o->log_tag, "Additional tag to use for logging", "TAG" },
    { "log-label", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->log_labels, "Additional label KEY=VALUE for journald (repeatable)", "LABEL" },
    { "name", 'n', 0, G_OPTION_ARG_FILENAME, &o->name, "Container name", "NAME" },
    { "no-new-keyring", 0, 0, G_OPTION_ARG_NONE, &o->no_new_keyring, "Do not create a new session keyring for the container", NULL },
    { "no-pivot", 0, 0, G_OPTION_ARG_NONE, &o->no_pivot, "Do not use pivot_root", NULL },
    { "no-sync-log", 0, 0, G_OPTION_ARG_NONE, &o->no_sync_log, "Do not manually call sync on logs after container shutdown", NULL },
    { "persist-dir", '0', 0, G_OPTION_ARG_FILENAME, &o->persist_dir, "Persistent directory for a container", "DIR" },
    { "replace-listen-pid", 0, 0, G_OPTION_ARG_NONE, &o->replace_listen_pid, "Replace listen pid if set for oci-runtime pid", NULL },
    { "restore", 0, 0, G_OPTION_ARG_FILENAME, &o->restore, "Restore a container from a checkpoint", "DIR" },
    { "restore-arg", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &restore_args, "Old name of --runtime-opt", "ARG" },
    { "runtime", 'r', 0, G_OPTION_ARG_FILENAME, &o->runtime, "Path of the OCI runtime", "PATH" },
    { "runtime-arg", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->runtime_args, "Additional arg to pass to the runtime (repeatable)", "ARG" },
    { "runtime-opt", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->runtime_opts, "Additional opts to pass to the restore or exec command (repeatable)", "ARG" },
    { "sdnotify-socket", 0, 0, G_OPTION_ARG_FILENAME, &o->sdnotify_socket, "Path to the host's sd-notify socket to relay messages to", "PATH" },
    { "socket-dir-path", 0, 0, G_OPTION_ARG_FILENAME, &o->socket_dir_path, "Location of container attach sockets", "DIR" },
    { "stdin", 'i', 0, G_OPTION_ARG_NONE, &o->stdin_, "Open up a pipe to pass stdin to the container", NULL },
    { "sync", 0, 0, G_OPTION_ARG_NONE, &o->sync, "Do not fork away from the caller", NULL },
    { "syslog", 0, 0, G_OPTION_ARG_NONE, &o->syslog, "Log to syslog", NULL },
    { "systemd-cgroup", 's', 0, G_OPTION_ARG_NONE, &o->systemd_cgroup, "Enable systemd cgroup manager", NULL },
    { "terminal", 't', 0, G_OPTION_ARG_NONE, &o->terminal, "Allocate a pseudo-TTY", NULL },
    { "timeout", 'T', 0, G_OPTION_ARG_FILENAME, &ia.timeout, "Kill container after specified timeout in seconds", "SECS" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
    { "full-attach", 0, 0, G_OPTION_ARG_NONE, &o->full_attach, "Bind the attach socket at BUNDLE/attach", NULL },
    { "seccomp-notify-socket", 0, 0, G_OPTION_ARG_FILENAME, &unused_str, "Not supported (ignored)", "PATH" },
    { "seccomp-notify-plugins", 0, 0, G_OPTION_ARG_FILENAME, &unused_str, "Not supported (ignored)", "LIST" },
    { "adopt-pid", 0, 0, G_OPTION_ARG_FILENAME, &ia.adopt_pid, "Adopt mode: supervise this child (see shim/README.md)", "PID" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->state_dir, "Adopt mode: berth state dir to record the exit status in", "DIR" },
    { "console-fd", 0, 0, G_OPTION_ARG_FILENAME, &ia.console_fd, "Adopt mode: inherited pty master fd", "FD" },
    { NULL }
  };
  (void) unused_bool;
  GOptionContext *ctx = g_option_context_new ("- berth-shim, a conmon-compatible container supervisor\n"
                                              "  berth-shim recvtty SOCKET");
  GOptionGroup *group = g_option_group_new ("main", "", "", o, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  g_option_context_set_help_enabled (ctx, TRUE);
  GError *local = NULL;
  bool ok = g_option_context_parse (ctx, argc, argv, &local);
  g_option_context_free (ctx);
  g_free (unused_str);
  if (!ok)
    {
      berth_fail (error, "%s", local->message);
      g_error_free (local);
      g_strfreev (restore_args);
      g_free (pidfile_old);
      return false;
    }
  if (pidfile_old && !o->container_pidfile)
    o->container_pidfile = g_steal_pointer (&pidfile_old);
  g_free (pidfile_old);
  if (restore_args)
    {
      GStrvBuilder *b = g_strv_builder_new ();
      if (o->runtime_opts)
        g_strv_builder_addv (b, (const char **) o->runtime_opts);
      g_strv_builder_addv (b, (const char **) restore_args);
      g_strfreev (o->runtime_opts);
      o->runtime_opts = g_strv_builder_end (b);
      g_strv_builder_unref (b);
      g_strfreev (restore_args);
    }
  bool r = parse_int_opt ("log-size-max", ia.log_size_max, -1, INT64_MAX, &o->log_size_max, error)
           && parse_int_opt ("exit-delay", ia.exit_delay, 0, 86400, &o->exit_delay, error)
           && parse_int_opt ("timeout", ia.timeout, 0, INT32_MAX, &o->timeout, error)
           && parse_int_opt ("adopt-pid", ia.adopt_pid, 1, INT32_MAX, &o->adopt_pid, error)
           && parse_int_opt ("console-fd", ia.console_fd, 3, INT32_MAX, &o->console_fd, error);
  g_free (ia.log_size_max); g_free (ia.exit_delay); g_free (ia.timeout); g_free (ia.adopt_pid); g_free (ia.console_fd);
  if (!r || !shim_messages_parse_level (o->log_level, &o->msg_level, error))
    return false;
  /* conmon's --api-version takes no value: "--api-version 1" leaves a stray "1". */
  for (int i = 1; i < *argc; i++)
    {
      int64_t v;
      if (!berth_parse_int64 ((*argv)[i], 0, 1000, &v))
        return berth_fail (error, "unexpected argument '%s'", (*argv)[i]);
    }
  if (o->version)
    return true;
  if (o->adopt_pid)
    {
      if (o->cid == NULL)
        return berth_fail (error, "--cid: required");
      return true;
    }
  if (o->cid == NULL)
    return berth_fail (error, "--cid: required");
  if (o->runtime == NULL)
    return berth_fail (error, "--runtime: required");
  if (access (o->runtime, X_OK) < 0)
    return berth_fail_errno (error, errno, "--runtime: %s is not executable", o->runtime);
  if (o->cuuid == NULL)
    o->cuuid = g_strdup (o->cid);
  if (o->exec && o->exec_process_spec == NULL)
    return berth_fail (error, "--exec-process-spec: required with --exec");
  if (o->exec && o->restore)
    return berth_fail (error, "--restore: cannot be used with --exec");
  if (o->bundle == NULL)
    o->bundle = g_get_current_dir ();
  if (o->container_pidfile == NULL)
    o->container_pidfile = g_strdup_printf ("%s/pidfile-%s", o->bundle, o->cid);
  if (o->socket_dir_path == NULL)
    o->socket_dir_path = g_strdup ("/var/run/crio");
  if (o->log_paths == NULL)
    {
      o->log_paths = g_new0 (char *, 2);
      o->log_paths[0] = g_strdup ("none");
    }
  return true;
}
