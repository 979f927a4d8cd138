/* checkpoint and restore through CRIU, as runc does them: a checkpoint
 * ends the container (unless it is left running); restore makes a new
 * container, of the same ID, from the images and a bundle. */
#include "container-checkpoint.h"

#include "criu.h"
#include "error.h"
#include "hooks.h"
#include "log.h"
#include "proc.h"
#include "rootless.h"
#include "supervise.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cgroup_modes[] = { "soft", "full", "strict", "ignore", NULL };

static bool
check_common (const char *image_path, const char *manage_cgroups_mode, GError **error)
{
  if (manage_cgroups_mode != NULL && !g_strv_contains (cgroup_modes, manage_cgroups_mode))
    return berth_fail (error, "--manage-cgroups-mode: %s: must be soft, full, strict or ignore", manage_cgroups_mode);
  if (image_path == NULL)
    return berth_fail (error, "--image-path: required");
  return true;
}

static void
add_common (BerthCriu *criu, const char *rootfs, const char *manage_cgroups_mode, const BerthCriuFlags *f)
{
  berth_criu_add (criu, "--root", rootfs);
  g_autofree char *manage = g_strconcat ("--manage-cgroups=", manage_cgroups_mode ? manage_cgroups_mode : "soft", NULL);
  berth_criu_add (criu, manage, NULL); /* an optional argument: one word */
  if (f->tcp_established)
    berth_criu_add (criu, "--tcp-established", NULL);
  if (f->ext_unix_sk)
    berth_criu_add (criu, "--ext-unix-sk", NULL);
  if (f->shell_job)
    berth_criu_add (criu, "--shell-job", NULL);
  if (f->file_locks)
    berth_criu_add (criu, "--file-locks", NULL);
  if (f->auto_dedup)
    berth_criu_add (criu, "--auto-dedup", NULL);
  if (f->empty_netns)
    berth_criu_add (criu, "--empty-ns", "net");
}

/* CRIU's key for a namespace the container joined by path (runc's names). */
static const char *
external_ns_key (BerthNamespaceKind kind)
{
  return kind == BERTH_NS_NETWORK ? "extRootNetNS" : kind == BERTH_NS_PID ? "extRootPidNS" : NULL;
}

static bool
make_dir (const char *path, const char *what, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) < 0)
    return berth_fail_errno (error, errno, "%s %s", what, path);
  return true;
}

bool
berth_container_checkpoint (const BerthGlobalOptions *g, const BerthCheckpointOptions *opts, GError **error)
{
  if (!check_common (opts->image_path, opts->manage_cgroups_mode, error))
    return false;
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, opts->id, true, &c, error))
    return false;
  BerthStatus status = berth_container_status (&c);
  if (status != BERTH_STATUS_RUNNING && status != BERTH_STATUS_PAUSED)
    return berth_fail (error, "cannot checkpoint container \"%s\": it is %s, not running", opts->id,
                       berth_status_name (status));
  g_autoptr (BerthSpec) spec = berth_container_spec (&c, error);
  if (spec == NULL)
    return false;
  if (spec->process != NULL && spec->process->terminal)
    return berth_fail (error, "cannot checkpoint container \"%s\": process.terminal containers are not supported yet",
                       opts->id);
  const char *work_path = opts->work_path ? opts->work_path : opts->image_path;
  g_autoptr (BerthCriu) criu = berth_criu_new (opts->pre_dump ? "pre-dump" : "dump", opts->image_path, work_path, error);
  if (criu == NULL)
    return false;
  pid_t pid = c.state->pid;
  g_autoptr (GPtrArray) external = berth_criu_external_mounts (pid, spec, error);
  if (external == NULL)
    return false;
  g_auto (GStrv) stdio = berth_criu_read_stdio_links (pid);
  berth_criu_addf (criu, "--tree", "%d", (int) pid);
  add_common (criu, c.state->rootfs, opts->manage_cgroups_mode, &opts->flags);
  if (opts->leave_running && !opts->pre_dump)
    berth_criu_add (criu, "--leave-running", NULL);
  if (opts->pre_dump || opts->parent_path)
    berth_criu_add (criu, "--track-mem", NULL);
  if (opts->parent_path)
    berth_criu_add (criu, "--prev-images-dir", opts->parent_path);
  for (guint i = 0; i < external->len; i++)
    {
      const BerthExternalMount *m = external->pdata[i];
      berth_criu_addf (criu, "--ext-mount-map", "%s:%s", m->destination, m->destination);
    }
  for (size_t i = 0; spec->linux_ != NULL && i < spec->linux_->n_namespaces; i++)
    {
      const BerthNamespace *ns = &spec->linux_->namespaces[i];
      const char *key = external_ns_key (ns->kind);
      struct stat sb;
      if (ns->path == NULL || key == NULL)
        continue;
      if (stat (ns->path, &sb) < 0)
        return berth_fail_errno (error, errno, "config.json: .linux.namespaces[%zu].path: %s", i, ns->path);
      berth_criu_addf (criu, "--external", "%s[%llu]:%s", ns->kind == BERTH_NS_NETWORK ? "net" : "pid",
                       (unsigned long long) sb.st_ino, key);
    }
  if (c.state->cgroup != NULL)
    {
      g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (c.state->cgroup, NULL);
      const char *freezer = cg == NULL ? NULL
                            : berth_cgroup_get_mode (cg) == BERTH_CGROUP_V2 ? berth_cgroup_dir (cg, NULL)
                                                                            : berth_cgroup_dir (cg, "freezer");
      if (freezer != NULL)
        berth_criu_add (criu, "--freeze-cgroup", freezer);
    }
  /* What restore needs besides CRIU's images is written first: a checkpoint
   * that could not keep it must not end the container. */
  if (!make_dir (opts->image_path, "--image-path", error) || !make_dir (work_path, "--work-path", error)
      || !berth_criu_write_descriptors (opts->image_path, stdio, error)
      || !berth_criu_write_external_mounts (opts->image_path, external, error))
    return false;
  if (!berth_criu_run (criu, NULL, error))
    {
      g_prefix_error (error, "checkpoint \"%s\": ", opts->id);
      return false;
    }
  if (opts->leave_running || opts->pre_dump)
    return true;
  /* As runc: the checkpointed container is gone (CRIU killed it); so is its record. */
  berth_container_close (&c);
  return berth_container_delete (g, opts->id, true, error);
}

/* CRIU restores the container's mount tree under --root, which must be a
 * mount point: bind the rootfs onto itself, in a mount namespace of our own
 * (slave, so nothing leaks back to the host and nothing is left behind if
 * we die). */
static bool
private_rootfs_mount (const char *rootfs, GError **error)
{
  if (unshare (CLONE_NEWNS) < 0)
    return berth_fail_errno (error, errno, "restore: unshare the mount namespace");
  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_fail_errno (error, errno, "restore: make / a slave mount");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_errno (error, errno, "restore: bind the rootfs %s", rootfs);
  return true;
}

static pid_t
read_restored_pid (int dir_fd, GError **error)
{
  g_autofree char *text = berth_read_file_at (dir_fd, "criu.pid", 64, NULL);
  int64_t pid = 0;
  unlinkat (dir_fd, "criu.pid", 0);
  if (text == NULL || !berth_parse_int64 (g_strstrip (text), 1, G_MAXINT, &pid))
    {
      berth_fail_code (error, EIO, "restore: criu wrote no pid of the restored init");
      return -1;
    }
  return (pid_t) pid;
}

static bool
validate_for_restore (const BerthSpec *spec, const BerthRestoreOptions *opts, GError **error)
{
  if (!berth_container_check_bundle (spec, "restore", error))
    return false;
  if (spec->process->terminal)
    return berth_fail (error, "restore: process.terminal containers are not supported yet");
  if (opts->console_socket != NULL)
    return berth_fail (error, "--console-socket: only valid when process.terminal is true");
  struct stat sb;
  if (stat (opts->image_path, &sb) < 0)
    return berth_fail_errno (error, errno, "--image-path %s", opts->image_path);
  return true;
}

#define ACTION_ERROR_FILE "criu-action.error"

/* restore --criu-action, run by CRIU as its action script (criu(8),
 * --action-script) with the restore's own options: at "setup-namespaces" the
 * restored init exists in its namespaces and has not run yet, which is when
 * runc runs the prestart and createRuntime hooks of a restore (CRIU runs the
 * script for every action; the others are no-ops here).  CRIU gives us no
 * stdio, so a failure goes to the state dir, for restore to report. */
int
berth_container_restore_action (const BerthGlobalOptions *g, const BerthRestoreOptions *opts)
{
  const char *action = g_getenv ("CRTOOLS_SCRIPT_ACTION");
  if (action == NULL || strcmp (action, "setup-namespaces") != 0)
    return 0;
  /* CRIU runs its scripts with stdio closed: fill 0-2 with /dev/null, or the
   * hooks' stdin pipe would land on them. */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl (fd, F_GETFD) < 0 && open ("/dev/null", O_RDWR) < 0)
      return 1;
  g_autoptr (GError) error = NULL;
  int64_t pid = 0;
  const char *pid_text = g_getenv ("CRTOOLS_INIT_PID");
  g_autoptr (BerthSpec) spec = NULL;
  if (pid_text == NULL || !berth_parse_int64 (pid_text, 1, G_MAXINT, &pid))
    berth_fail (&error, "criu action setup-namespaces: no CRTOOLS_INIT_PID");
  else if ((spec = berth_spec_load (opts->bundle, NULL, NULL, &error)) != NULL)
    {
      g_autoptr (BerthContainerState) st = berth_container_state_new (g, opts->id, opts->bundle, spec, NULL, 0);
      st->pid = (pid_t) pid;
      st->owner = berth_container_owner_name (st->owner_uid);
      g_autofree char *created = berth_state_oci_json (st, BERTH_STATUS_CREATED);
      g_autofree char *creating = berth_state_oci_json (st, BERTH_STATUS_CREATING);
      if (berth_hooks_run (&spec->hooks.prestart, "prestart", created, false, &error)
          && berth_hooks_run (&spec->hooks.createRuntime, "createRuntime", creating, false, &error))
        return 0;
    }
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (berth_container_open (g, opts->id, false, &c, NULL))
    berth_runtime_file_write (c.dir_fd, ACTION_ERROR_FILE, error->message, strlen (error->message), 0600, NULL);
  return 1;
}

#define ACTION_SCRIPT_FILE "criu-action"

/* --action-script: CRIU execs a path without arguments, so a script in the
 * state dir runs this program again as `restore --criu-action`.  Returns
 * its path (through /proc/self/fd, as the state dir is only known by fd). */
static char *
write_action_script (const BerthGlobalOptions *g, const BerthRestoreOptions *opts, int dir_fd, GError **error)
{
  g_autofree char *self = berth_self_exe ();
  if (self == NULL)
    {
      berth_fail_errno (error, errno, "restore: /proc/self/exe");
      return NULL;
    }
  const char *argv[] = { self, "--root", g->root, "restore", "--criu-action", "--bundle", opts->bundle, "--", opts->id };
  g_autoptr (GString) script = g_string_new ("#!/bin/sh\nexec");
  for (size_t i = 0; i < G_N_ELEMENTS (argv); i++)
    {
      g_autofree char *quoted = g_shell_quote (argv[i]);
      g_string_append_printf (script, " %s", quoted);
    }
  g_string_append_c (script, '\n');
  if (!berth_runtime_file_write (dir_fd, ACTION_SCRIPT_FILE, script->str, script->len, 0700, error))
    return NULL;
  return g_strdup_printf ("/proc/%d/fd/%d/%s", (int) getpid (), dir_fd, ACTION_SCRIPT_FILE);
}

/* Everything of restore up to a recorded, running container. */
static bool
restore (const BerthGlobalOptions *g, const BerthRestoreOptions *opts, pid_t *ret_pid, GError **error)
{
  if (!berth_id_validate (opts->id, error) || !check_common (opts->image_path, opts->manage_cgroups_mode, error))
    return false;
  g_autofree char *config_json = NULL;
  size_t config_len = 0;
  g_autoptr (BerthSpec) spec = berth_spec_load (opts->bundle, &config_json, &config_len, error);
  if (spec == NULL || !validate_for_restore (spec, opts, error))
    return false;
  g_auto (GStrv) descriptors = berth_criu_read_descriptors (opts->image_path, error);
  g_autoptr (GPtrArray) mounts = descriptors ? berth_criu_restore_mounts (opts->image_path, spec, error) : NULL;
  if (mounts == NULL)
    {
      g_prefix_error (error, "--image-path: ");
      return false;
    }
  const char *work_path = opts->work_path ? opts->work_path : opts->image_path;
  g_autoptr (BerthCriu) criu = berth_criu_new ("restore", opts->image_path, work_path, error);
  if (criu == NULL || !make_dir (work_path, "--work-path", error))
    return false;

  __attribute__ ((cleanup (berth_container_undo))) BerthContainerUndo undo = { .root_fd = -1, .dir_fd = -1, .pidfd = -1, .id = opts->id };
  const BerthNamespace *user_ns = berth_spec_namespace (spec, BERTH_NS_USER);
  if (!berth_container_prepare (g, opts->id, spec, config_json, config_len, user_ns != NULL && user_ns->path == NULL,
                                &undo, error))
    return false;

  add_common (criu, spec->root_path, opts->manage_cgroups_mode, &opts->flags);
  berth_criu_add (criu, "--restore-detached", NULL);
  berth_criu_addf (criu, "--pidfile", "/proc/%d/fd/%d/criu.pid", (int) getpid (), undo.dir_fd);
  for (guint i = 0; i < mounts->len; i++)
    {
      const BerthExternalMount *m = mounts->pdata[i];
      berth_criu_addf (criu, "--ext-mount-map", "%s:%s", m->destination, m->source);
    }
  /* Our stdio take the place of the pipes the container had (runc's rule). */
  for (int fd = 0; fd < 3 && descriptors[fd] != NULL; fd++)
    if (g_str_has_prefix (descriptors[fd], "pipe:"))
      berth_criu_inherit_fd (criu, fd, descriptors[fd]);
  berth_autofd int net_fd = -1;
  berth_autofd int pid_ns_fd = -1;
  for (size_t i = 0; spec->linux_ != NULL && i < spec->linux_->n_namespaces; i++)
    {
      const BerthNamespace *ns = &spec->linux_->namespaces[i];
      const char *key = external_ns_key (ns->kind);
      if (ns->path == NULL || key == NULL)
        continue;
      int *fd = ns->kind == BERTH_NS_NETWORK ? &net_fd : &pid_ns_fd;
      berth_close_fdp (fd);
      if ((*fd = open (ns->path, O_RDONLY | O_CLOEXEC)) < 0)
        return berth_fail_errno (error, errno, "config.json: .linux.namespaces[%zu].path: %s", i, ns->path);
      berth_criu_inherit_fd (criu, *fd, key);
    }
  if (spec->hooks.prestart.n > 0 || spec->hooks.createRuntime.n > 0)
    {
      g_autofree char *script = write_action_script (g, opts, undo.dir_fd, error);
      if (script == NULL)
        return false;
      berth_criu_add (criu, "--action-script", script);
    }
  /* The restored init becomes our child when CRIU exits. */
  if (!opts->no_subreaper && prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    return berth_fail_errno (error, errno, "restore: become a subreaper");
  if (!private_rootfs_mount (spec->root_path, error) || !berth_criu_run (criu, undo.cgroup, error))
    {
      /* A hook that failed says why better than CRIU's "script exited". */
      g_autofree char *hook_error = berth_read_file_at (undo.dir_fd, ACTION_ERROR_FILE, 4096, NULL);
      if (hook_error != NULL)
        {
          g_clear_error (error);
          berth_fail_code (error, EIO, "%s", hook_error);
        }
      g_prefix_error (error, "restore \"%s\": ", opts->id);
      return false;
    }
  unlinkat (undo.dir_fd, ACTION_SCRIPT_FILE, 0);
  undo.pid = read_restored_pid (undo.dir_fd, error);
  if (undo.pid < 0)
    return false;

  g_autoptr (BerthContainerState) st = berth_container_state_new (g, opts->id, opts->bundle, spec, undo.cgroup, 0);
  st->pid = undo.pid;
  st->pid_start_time = berth_proc_start_time (undo.pid);
  st->owner = berth_container_owner_name (st->owner_uid);
  if (!berth_state_write (undo.dir_fd, st, error))
    return false;
  if (opts->pid_file != NULL && !berth_write_pid_file (opts->pid_file, st->pid, error))
    return false;
  *ret_pid = st->pid;
  berth_container_keep (&undo);
  return true;
}

int
berth_container_restore (const BerthGlobalOptions *g, const BerthRestoreOptions *opts, GError **error)
{
  berth_autofd int sigfd = opts->detach ? -1 : berth_supervise_signals ();
  pid_t pid;
  if (!restore (g, opts, &pid, error))
    return 1;
  if (opts->detach)
    return 0;
  berth_autofd int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return berth_fail_errno (error, errno, "restore: pidfd_open the restored init"), 1;
  int code = berth_supervise (pid, pidfd, -1, sigfd);
  if (!berth_container_delete (g, opts->id, true, error))
    return 1;
  return code;
}
