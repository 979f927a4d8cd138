/* exec: runc's flags mapped onto a BerthProcess. */
#include "cli.h"

#include "error.h"
#include "process-attrs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

/* As runc: once the arguments parse, any failure (no such container, not
 * running, bad process, exec failed) exits 255, apart from every exit
 * status the process itself can have but 255. */
#define EXEC_FAILED 255

typedef struct
{
  char *console_socket, *cwd, *user, *process_file, *pid_file, *process_label, *apparmor;
  char **env, **additional_gids, **caps, **cgroups;
  gboolean tty, detach, no_new_privs, ignore_paused;
  int preserve_fds;
} ExecArgs;

static void
exec_args_clear (ExecArgs *a)
{
  g_free (a->console_socket); g_free (a->cwd); g_free (a->user); g_free (a->process_file);
  g_free (a->pid_file); g_free (a->process_label); g_free (a->apparmor);
  g_strfreev (a->env); g_strfreev (a->additional_gids); g_strfreev (a->caps); g_strfreev (a->cgroups);
}

static bool
parse_id (const char *text, const char *what, uint32_t *ret, GError **error)
{
  uint64_t v;
  if (!berth_parse_uint64 (text, UINT32_MAX - 1, &v))
    return berth_fail (error, "exec: %s: \"%s\" is not a numeric id", what, text);
  *ret = (uint32_t) v;
  return true;
}

static char **
strv_add_unique (char **list, char *const *extra)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new ();
  for (char **p = list; p && *p; p++)
    g_ptr_array_add (out, g_strdup (*p));
  for (char *const *p = extra; p && *p; p++)
    {
      bool present = false;
      for (guint i = 0; i < out->len && !present; i++)
        present = strcmp (out->pdata[i], *p) == 0;
      if (!present)
        g_ptr_array_add (out, g_strdup (*p));
    }
  g_ptr_array_add (out, NULL);
  g_strfreev (list);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* Apply the command-line flags over the container's own process (runc's
 * defaults: env, cwd, user, capabilities, rlimits from config.json). */
static bool
apply_flags (BerthProcess *p, ExecArgs *a, int argc, char **argv, GError **error)
{
  g_strfreev (p->args);
  p->args = g_new0 (char *, argc - 1);
  for (int i = 2; i < argc; i++)
    p->args[i - 2] = g_strdup (argv[i]);
  p->terminal = a->tty;
  for (char **e = a->env; e && *e; e++)
    {
      if (strchr (*e, '=') == NULL)
        return berth_fail (error, "exec: --env: \"%s\" is not KEY=VALUE", *e);
      g_autofree char *key = g_strndup (*e, (gsize) (strchr (*e, '=') - *e));
      p->env = g_environ_setenv (p->env, key, strchr (*e, '=') + 1, TRUE);
    }
  if (a->cwd != NULL)
    {
      if (a->cwd[0] != '/')
        return berth_fail (error, "exec: --cwd: \"%s\" must be an absolute path", a->cwd);
      g_free (p->cwd);
      p->cwd = g_strdup (a->cwd);
    }
  if (a->user != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (a->user, ":", 2);
      if (!parse_id (parts[0], "--user", &p->uid, error)
          || (parts[1] != NULL && !parse_id (parts[1], "--user", &p->gid, error)))
        return false;
      if (parts[1] == NULL)
        p->gid = 0;
    }
  if (a->additional_gids != NULL)
    {
      size_t n = g_strv_length (a->additional_gids);
      g_free (p->additionalGids);
      p->additionalGids = g_new0 (uint32_t, n);
      p->n_additionalGids = n;
      for (size_t i = 0; i < n; i++)
        if (!parse_id (a->additional_gids[i], "--additional-gids", &p->additionalGids[i], error))
          return false;
    }
  if (a->caps != NULL)
    {
      if (!berth_capabilities_validate (a->caps, "exec: --cap", error))
        return false;
      if (p->capabilities == NULL)
        p->capabilities = g_new0 (BerthCapabilities, 1);
      /* Never inheritable (CVE-2022-29162): bounding, effective, permitted only. */
      p->capabilities->bounding = strv_add_unique (p->capabilities->bounding, a->caps);
      p->capabilities->effective = strv_add_unique (p->capabilities->effective, a->caps);
      p->capabilities->permitted = strv_add_unique (p->capabilities->permitted, a->caps);
    }
  if (a->no_new_privs)
    p->noNewPrivileges = true;
  if (a->apparmor)
    {
      g_free (p->apparmorProfile);
      p->apparmorProfile = g_strdup (a->apparmor);
    }
  if (a->process_label)
    {
      g_free (p->selinuxLabel);
      p->selinuxLabel = g_strdup (a->process_label);
    }
  return true;
}

/* runc's --cgroup: one PATH (every hierarchy), or CONTROLLER[,CONTROLLER]:PATH
 * entries, as controller -> path ("" for the plain PATH). */
static GHashTable *
parse_sub_cgroups (char **args, GError **error)
{
  g_autoptr (GHashTable) subs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (char **a = args; a && *a; a++)
    {
      g_auto (GStrv) parts = g_strsplit (*a, ":", 3);
      if (parts[0] == NULL || (parts[1] != NULL && parts[2] != NULL))
        return berth_fail (error, "exec: --cgroup \"%s\": expected PATH or CONTROLLER[,CONTROLLER]:PATH", *a), NULL;
      if (parts[1] == NULL)
        {
          if (g_strv_length (args) != 1)
            return berth_fail (error, "exec: --cgroup \"%s\": with several --cgroup each needs a CONTROLLER: prefix", *a), NULL;
          g_hash_table_insert (subs, g_strdup (""), g_strdup (parts[0]));
          continue;
        }
      g_auto (GStrv) controllers = g_strsplit (parts[0], ",", -1);
      for (char **c = controllers; *c; c++)
        {
          const char *seen = g_hash_table_lookup (subs, *c);
          if (**c == '\0')
            return berth_fail (error, "exec: --cgroup \"%s\": empty controller name", *a), NULL;
          if (seen != NULL && strcmp (seen, parts[1]) != 0)
            return berth_fail (error, "exec: --cgroup: controller \"%s\" given two paths", *c), NULL;
          g_hash_table_insert (subs, g_strdup (*c), g_strdup (parts[1]));
        }
    }
  return g_steal_pointer (&subs);
}

int
cmd_exec (const BerthGlobalOptions *g, int argc, char **argv, GError **error)
{
  __attribute__ ((cleanup (exec_args_clear))) ExecArgs a = { 0 };
  GOptionEntry entries[] = {
    { "console-socket", 0, 0, G_OPTION_ARG_FILENAME, &a.console_socket, "unix socket that receives the pty master", "PATH" },
    { "cwd", 0, 0, G_OPTION_ARG_FILENAME, &a.cwd, "working directory in the container", "DIR" },
    { "env", 'e', 0, G_OPTION_ARG_FILENAME_ARRAY, &a.env, "set an environment variable", "KEY=VALUE" },
    { "tty", 't', 0, G_OPTION_ARG_NONE, &a.tty, "allocate a pseudo-TTY", NULL },
    { "user", 'u', 0, G_OPTION_ARG_FILENAME, &a.user, "uid[:gid]", "UID[:GID]" },
    { "additional-gids", 'g', 0, G_OPTION_ARG_FILENAME_ARRAY, &a.additional_gids, "additional gid", "GID" },
    { "process", 'p', 0, G_OPTION_ARG_FILENAME, &a.process_file, "process.json with the process to run", "FILE" },
    { "detach", 'd', 0, G_OPTION_ARG_NONE, &a.detach, "detach from the process", NULL },
    { "pid-file", 0, 0, G_OPTION_ARG_FILENAME, &a.pid_file, "write the process's pid to this file", "PATH" },
    { "process-label", 0, 0, G_OPTION_ARG_FILENAME, &a.process_label, "SELinux label", "LABEL" },
    { "apparmor", 0, 0, G_OPTION_ARG_FILENAME, &a.apparmor, "AppArmor profile", "PROFILE" },
    { "no-new-privs", 0, 0, G_OPTION_ARG_NONE, &a.no_new_privs, "set no_new_privs", NULL },
    { "cap", 'c', 0, G_OPTION_ARG_FILENAME_ARRAY, &a.caps, "add a capability", "CAP" },
    { "preserve-fds", 0, 0, G_OPTION_ARG_INT, &a.preserve_fds, "pass N more fds (3..3+N-1)", "N" },
    { "cgroup", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a.cgroups, "run in a sub-cgroup of the container's cgroup (every hierarchy, or per controller)", "[CONTROLLER[,CONTROLLER]:]PATH" },
    { "ignore-paused", 0, 0, G_OPTION_ARG_NONE, &a.ignore_paused, "allow exec in a paused container", NULL },
    { NULL }
  };
  if (!cli_parse ("exec", "<container-id> <command> [args...]", entries, &argc, &argv, error))
    return 1;
  if (argc < 2)
    return berth_fail (error, "exec: missing container ID (see berth exec --help)"), 1;
  if (argc < 3 && a.process_file == NULL)
    return berth_fail (error, "exec: missing command (or --process FILE)"), EXEC_FAILED;
  if (a.preserve_fds < 0)
    return berth_fail (error, "exec: --preserve-fds: must not be negative"), 1;
  g_autoptr (GHashTable) sub_cgroups = a.cgroups ? parse_sub_cgroups (a.cgroups, error) : NULL;
  if (a.cgroups != NULL && sub_cgroups == NULL)
    return 1;

  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, argv[1], false, &c, error))
    return EXEC_FAILED;
  BerthStatus status = berth_container_status (&c);
  if (status == BERTH_STATUS_STOPPED || status == BERTH_STATUS_CREATING)
    return berth_fail (error, "exec: container \"%s\" is %s", argv[1], berth_status_name (status)), EXEC_FAILED;
  if (status == BERTH_STATUS_PAUSED && !a.ignore_paused)
    return berth_fail (error, "exec: container \"%s\" is paused (use --ignore-paused)", argv[1]), EXEC_FAILED;

  g_autoptr (BerthSpec) spec = berth_container_spec (&c, error);
  if (spec == NULL)
    return EXEC_FAILED;
  if (a.process_file != NULL)
    {
      size_t len = 0;
      g_autofree char *json = berth_read_file_at (AT_FDCWD, a.process_file, 16 * 1024 * 1024, &len);
      if (json == NULL)
        return berth_fail_errno (error, errno, "exec: --process %s", a.process_file), EXEC_FAILED;
      BerthProcess *p = berth_process_parse (json, len, error);
      if (p == NULL)
        return EXEC_FAILED;
      berth_process_free (spec->process);
      spec->process = p;
    }
  else if (!apply_flags (spec->process, &a, argc, argv, error))
    return EXEC_FAILED;
  if (spec->process->terminal && a.console_socket == NULL && a.detach)
    return berth_fail (error, "exec: --console-socket: required with --tty and --detach"), EXEC_FAILED;

  g_autofree char *console_socket = a.console_socket ? cli_absolute_path (a.console_socket) : NULL;
  g_autofree char *pid_file = a.pid_file ? cli_absolute_path (a.pid_file) : NULL;
  BerthExecOptions opts = {
    .id = argv[1],
    .process = spec->process,
    .console_socket = console_socket,
    .pid_file = pid_file,
    .detach = a.detach,
    .ignore_paused = a.ignore_paused,
    .preserve_fds = a.preserve_fds,
    .sub_cgroups = sub_cgroups,
  };
  int code = berth_container_exec (g, &opts, spec, &c, error);
  return code < 0 ? EXEC_FAILED : code;
}
