/* `create`, parent side: validate, make the state dir and cgroup, clone the
 * init into its namespaces, map ids, run createRuntime hooks, record state. */
#include "container.h"

#include "cgroup.h"
#include "console.h"
#include "error.h"
#include "exe-protect.h"
#include "hooks.h"
#include "log.h"
#include "lsm.h"
#include "proc.h"
#include "rootless.h"
#include "seccomp.h"
#include "seccomp-notify.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

void
berth_created_clear (BerthCreated *c)
{
  berth_close_fdp (&c->pidfd);
  berth_close_fdp (&c->sync_fd);
  berth_close_fdp (&c->console_master);
  berth_close_fdp (&c->state_dir_fd);
  berth_close_fdp (&c->root_fd);
}

void
berth_container_undo (BerthContainerUndo *u)
{
  if (u->pid > 0)
    {
      kill (u->pid, SIGKILL);
      while (waitpid (u->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  if (u->cgroup != NULL)
    {
      g_autoptr (GError) ignored = NULL;
      if (!berth_cgroup_destroy (u->cgroup, &ignored))
        berth_warn ("%s", ignored->message);
      berth_cgroup_free (u->cgroup);
    }
  if (u->dir_created)
    berth_state_dir_remove (u->root_fd, u->id, NULL);
  berth_close_fdp (&u->pidfd);
  berth_close_fdp (&u->dir_fd);
  berth_close_fdp (&u->root_fd);
}

void
berth_container_keep (BerthContainerUndo *u)
{
  u->pid = 0;
  u->dir_created = false;
  g_clear_pointer (&u->cgroup, berth_cgroup_free);
}

bool
berth_container_check_bundle (const BerthSpec *spec, const char *command, GError **error)
{
  if (spec->process == NULL)
    return berth_fail (error, "config.json: .process: required by %s", command);
  struct stat sb;
  if (stat (spec->root_path, &sb) < 0)
    return berth_fail_errno (error, errno, "config.json: .root.path: rootfs %s", spec->root_path);
  if (!S_ISDIR (sb.st_mode))
    return berth_fail (error, "config.json: .root.path: rootfs %s is not a directory", spec->root_path);
  return true;
}

static bool
validate_for_create (const BerthSpec *spec, const BerthCreateOptions *opts, GError **error)
{
  if (!berth_container_check_bundle (spec, "create", error))
    return false;
  if (spec->process->terminal && opts->console_socket == NULL && !opts->foreground)
    return berth_fail (error, "--console-socket: required when process.terminal is true");
  if (!spec->process->terminal && opts->console_socket != NULL)
    return berth_fail (error, "--console-socket: only valid when process.terminal is true");
  if (spec->linux_ != NULL && spec->linux_->seccomp != NULL && !berth_seccomp_validate (spec->linux_->seccomp, error))
    return false;
  if (!berth_lsm_validate (spec, spec->process, error))
    return false;
  return true;
}

/* The host id that a container id maps to; false when unmapped. */
static bool
host_id_of (const BerthIdMapping *maps, size_t n, uint32_t id, uint32_t *ret)
{
  for (size_t i = 0; i < n; i++)
    if (id >= maps[i].containerID && id - maps[i].containerID < maps[i].size)
      {
        *ret = maps[i].hostID + (id - maps[i].containerID);
        return true;
      }
  return false;
}

/* A container with its own user namespace owns its (v2) cgroup: chown it to
 * the container's root.  Rootless, chowning to another id than our own may
 * be refused: the cgroup then stays ours, which is not an error. */
static bool
delegate_cgroup (BerthCgroup *cgroup, const BerthLinux *lx, bool rootless, GError **error)
{
  uint32_t uid, gid;
  if (!host_id_of (lx->uidMappings, lx->n_uidMappings, 0, &uid) || !host_id_of (lx->gidMappings, lx->n_gidMappings, 0, &gid))
    return true;
  g_autoptr (GError) local = NULL;
  if (berth_cgroup_delegate (cgroup, uid, gid, &local))
    return true;
  if (rootless && g_error_matches (local, BERTH_ERROR, EPERM))
    return true;
  g_propagate_error (error, g_steal_pointer (&local));
  return false;
}

/* Namespaces joined by path: opened here so a bad path fails before clone. */
static bool
open_namespace_paths (const BerthSpec *spec, int ns_fds[BERTH_NS_COUNT], GError **error)
{
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    ns_fds[i] = -1;
  if (spec->linux_ == NULL)
    return true;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    {
      const BerthNamespace *ns = &spec->linux_->namespaces[i];
      if (ns->path == NULL)
        continue;
      int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_errno (error, errno, "config.json: .linux.namespaces[%zu].path: %s", i, ns->path);
      ns_fds[ns->kind] = fd;
    }
  return true;
}

static void
close_namespace_fds (int (*ns_fds)[BERTH_NS_COUNT])
{
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    berth_close_fdp (&(*ns_fds)[i]);
}

/* pid and time namespaces only apply to children: join or create them here,
 * in this short-lived process, so the cloned init lands in them. */
static bool
enter_child_namespaces (const BerthSpec *spec, int ns_fds[BERTH_NS_COUNT], GError **error)
{
  if (ns_fds[BERTH_NS_PID] >= 0 && setns (ns_fds[BERTH_NS_PID], CLONE_NEWPID) < 0)
    return berth_fail_errno (error, errno, "config.json: .linux.namespaces: join pid namespace");
  if (ns_fds[BERTH_NS_TIME] >= 0 && setns (ns_fds[BERTH_NS_TIME], CLONE_NEWTIME) < 0)
    return berth_fail_errno (error, errno, "config.json: .linux.namespaces: join time namespace");
  const BerthNamespace *time_ns = berth_spec_namespace (spec, BERTH_NS_TIME);
  if (time_ns != NULL && time_ns->path == NULL)
    {
      if (unshare (CLONE_NEWTIME) < 0)
        return berth_fail_errno (error, errno, "config.json: .linux.namespaces: create time namespace");
      g_autoptr (GString) offsets = g_string_new (NULL);
      for (size_t i = 0; i < spec->linux_->n_timeOffsets; i++)
        {
          const BerthTimeOffset *o = &spec->linux_->timeOffsets[i];
          g_string_append_printf (offsets, "%s %" G_GINT64_FORMAT " %u\n", o->clock, o->secs, o->nanosecs);
        }
      if (offsets->len > 0 && !berth_write_file_at (AT_FDCWD, "/proc/self/timens_offsets", offsets->str))
        return berth_fail_errno (error, errno, "config.json: .linux.timeOffsets");
    }
  return true;
}

static int
create_start_socket (int dir_fd, GError **error)
{
  berth_autofd int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    {
      berth_fail_errno (error, errno, "socket");
      return -1;
    }
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/start.sock", dir_fd);
  if (bind (sock, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (sock, 1) < 0)
    {
      berth_fail_errno (error, errno, "create start socket");
      return -1;
    }
  return berth_steal_fd (&sock);
}

static char *
now_rfc3339 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

bool
berth_write_pid_file (const char *path, pid_t pid, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  berth_autofd int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return berth_fail_errno (error, errno, "--pid-file %s", path);
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid); /* bare pid, no newline */
  if (!berth_runtime_file_write (dir_fd, base, buf, (size_t) n, 0644, error))
    {
      g_prefix_error (error, "--pid-file: ");
      return false;
    }
  return true;
}

static bool
has_hooks (const BerthHookList *list)
{
  return list->n > 0;
}

/* The user name for the state's "owner": /etc/passwd, as runc. */
char *
berth_container_owner_name (uid_t uid)
{
  char *name = berth_passwd_user_name (uid);
  return name ? name : g_strdup ("");
}

/* The parent's half of the sync protocol, from clone to SYNC_READY. */
static bool
drive_init (const BerthSpec *spec, const BerthCreateOptions *opts, int sync_fd, pid_t pid,
            const BerthIdMapPlan *id_map_plan, BerthContainerState *st, BerthCgroup *cgroup, bool placed, bool go_sent,
            int *ret_console_master, GError **error)
{
  const BerthLinux *lx = spec->linux_;
  const BerthNamespace *user_ns = berth_spec_namespace (spec, BERTH_NS_USER);
  if (user_ns != NULL && user_ns->path == NULL && !berth_id_map_write (pid, spec->linux_, id_map_plan, error))
    return false;
  /* The init waits for SYNC_GO, so it runs no user code before it is in its cgroup. */
  if (cgroup != NULL && !placed && !berth_cgroup_enter (cgroup, pid, error))
    return false;

  /* The go-ahead carries the state only the init's createContainer hooks
   * read (so the owner is known then, see berth_container_create). */
  g_autofree char *go_json = !go_sent && has_hooks (&spec->hooks.createContainer)
                                 ? berth_state_oci_json (st, BERTH_STATUS_CREATING) : NULL;
  if (!go_sent && !sync_send (sync_fd, SYNC_GO, go_json, error))
    return false;
  /* The rest while the init mounts its rootfs. */
  if (st->owner == NULL)
    st->owner = berth_container_owner_name (st->owner_uid);
  st->pid_start_time = berth_proc_start_time (pid);
  /* createRuntime and createContainer hooks see "creating" (runtime-spec);
   * prestart sees "created", as with crun (the OCI runtime-tools suite
   * checks it). */
  g_autofree char *creating_json = berth_state_oci_json (st, BERTH_STATUS_CREATING);
  g_autofree char *created_json = berth_state_oci_json (st, BERTH_STATUS_CREATED);

  for (;;)
    {
      SyncType type;
      g_autofree char *payload = NULL;
      if (!sync_recv (sync_fd, &type, &payload, error))
        return false;
      switch (type)
        {
        case SYNC_CREATE_RUNTIME:
          if (!berth_hooks_run (&spec->hooks.prestart, "prestart", created_json, false, error)
              || !berth_hooks_run (&spec->hooks.createRuntime, "createRuntime", creating_json, false, error))
            return false;
          if (!sync_send (sync_fd, SYNC_CREATE_RUNTIME_DONE, NULL, error))
            return false;
          break;
        case SYNC_CONSOLE:
          {
            int fd = berth_recv_fd (sync_fd, NULL, error);
            if (fd < 0)
              return false;
            *ret_console_master = fd;
            break;
          }
        case SYNC_SECCOMP:
          {
            berth_autofd int fd = berth_recv_fd (sync_fd, NULL, error);
            if (fd < 0 || !berth_seccomp_notify_send (lx->seccomp, fd, pid, creating_json, error))
              return false;
            break;
          }
        case SYNC_READY:
          return true;
        case SYNC_ERROR:
          return berth_fail_code (error, EIO, "%s", payload);
        default:
          return berth_fail_code (error, EBADMSG, "sync with container init: unexpected message %u", type);
        }
    }
}

/* runc: every linux.devices entry also gets a device cgroup rule
 * "allow TYPE MAJOR:MINOR rwm", after linux.resources.devices (and before the
 * runtime's default rules).  A shallow copy of the resources: *ret_rules is
 * the only new allocation; strings stay owned by the spec. */
static const BerthResources *
resources_with_device_rules (const BerthLinux *lx, BerthResources *storage, BerthDeviceCgroupRule **ret_rules)
{
  if (lx == NULL || lx->n_devices == 0)
    return lx ? lx->resources : NULL;
  *storage = lx->resources ? *lx->resources : (BerthResources) { 0 };
  BerthDeviceCgroupRule *rules = g_new0 (BerthDeviceCgroupRule, storage->n_devices + lx->n_devices);
  size_t n = storage->n_devices;
  if (n > 0)
    memcpy (rules, storage->devices, n * sizeof *rules);
  for (size_t i = 0; i < lx->n_devices; i++)
    {
      const BerthDevice *d = &lx->devices[i];
      const char *type = strcmp (d->type, "b") == 0 ? "b" : (strcmp (d->type, "c") == 0 || strcmp (d->type, "u") == 0) ? "c" : NULL;
      if (type == NULL)
        continue; /* fifos have no device cgroup rule */
      rules[n++] = (BerthDeviceCgroupRule) { .allow = true, .type = (char *) type, .has_major = true, .major = d->major,
                                             .has_minor = true, .minor = d->minor, .access = (char *) "rwm" };
    }
  storage->devices = rules;
  storage->n_devices = n;
  *ret_rules = rules;
  return storage;
}

bool
berth_container_prepare (const BerthGlobalOptions *g, const char *id, const BerthSpec *spec, const char *config_json,
                         size_t config_len, bool delegate, BerthContainerUndo *undo, GError **error)
{
  undo->root_fd = berth_state_root_open (g->root, true, error);
  if (undo->root_fd < 0)
    return false;
  undo->dir_fd = berth_state_dir_create (undo->root_fd, id, error);
  if (undo->dir_fd < 0)
    return false;
  undo->dir_created = true;
  if (!berth_state_lock (undo->dir_fd, error)
      || !berth_runtime_file_write (undo->dir_fd, "config.json", config_json, config_len, 0600, error))
    return false;

  const BerthLinux *lx = spec->linux_;
  g_autoptr (GError) cg_error = NULL;
  BerthResources cg_resources;
  g_autofree BerthDeviceCgroupRule *cg_rules = NULL;
  const BerthResources *resources = resources_with_device_rules (lx, &cg_resources, &cg_rules);
  undo->cgroup = berth_cgroup_create (lx ? lx->cgroupsPath : NULL, id, resources, g->rootless, &cg_error);
  if (undo->cgroup == NULL && cg_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&cg_error));
      return false;
    }
  if (undo->cgroup == NULL)
    berth_warn ("rootless: no writable (delegated) cgroup: running without one%s",
                lx && lx->resources ? "; .linux.resources is ignored" : "");
  else if (delegate && !delegate_cgroup (undo->cgroup, lx, g->rootless, error))
    return false;
  return true;
}

BerthContainerState *
berth_container_state_new (const BerthGlobalOptions *g, const char *id, const char *bundle, const BerthSpec *spec,
                           const BerthCgroup *cgroup, pid_t shim_pid)
{
  BerthContainerState *st = g_new0 (BerthContainerState, 1);
  st->id = g_strdup (id);
  st->bundle = g_strdup (bundle);
  st->rootfs = g_strdup (spec->root_path);
  st->created = now_rfc3339 ();
  st->owner_uid = geteuid ();
  st->annotations = g_hash_table_ref (spec->annotations);
  st->extra = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->cgroup = cgroup ? berth_cgroup_serialize (cgroup) : NULL;
  st->rootless = g->rootless;
  st->shim_pid = shim_pid;
  if (has_hooks (&spec->hooks.poststart))
    g_hash_table_insert (st->extra, g_strdup ("poststart"), g_strdup ("1"));
  if (has_hooks (&spec->hooks.poststop))
    g_hash_table_insert (st->extra, g_strdup ("poststop"), g_strdup ("1"));
  return st;
}

bool
berth_container_create (const BerthGlobalOptions *g, const BerthCreateOptions *opts,
                        BerthCreated *ret_created, GError **error)
{
  if (!berth_id_validate (opts->id, error))
    return false;
  g_autofree char *config_json = NULL;
  size_t config_len = 0;
  g_autoptr (BerthSpec) spec = berth_spec_load (opts->bundle, &config_json, &config_len, error);
  if (spec == NULL || !validate_for_create (spec, opts, error))
    return false;
  /* Unauthorised id ranges fail here, before anything exists. */
  BerthIdMapPlan id_map_plan = { 0 };
  const BerthNamespace *new_user_ns = berth_spec_namespace (spec, BERTH_NS_USER);
  if (new_user_ns != NULL && new_user_ns->path == NULL && !berth_id_map_plan (spec->linux_, &id_map_plan, error))
    return false;
  if (new_user_ns == NULL && geteuid () != 0)
    return berth_fail_code (error, EPERM, "config.json: .linux.namespaces: not running as root, so a user namespace is needed "
                                          "(add {\"type\": \"user\"} with uidMappings/gidMappings, as `berth spec --rootless` does)");

  __attribute__ ((cleanup (berth_container_undo))) BerthContainerUndo undo = { .root_fd = -1, .dir_fd = -1, .pidfd = -1, .id = opts->id };
  if (!berth_container_prepare (g, opts->id, spec, config_json, config_len, id_map_plan.uid != BERTH_IDMAP_NONE, &undo, error))
    return false;
  const BerthLinux *lx = spec->linux_;

  berth_autofd int start_listen_fd = -1;
  if (!opts->foreground && (start_listen_fd = create_start_socket (undo.dir_fd, error)) < 0)
    return false;

  berth_autofd int console_socket_fd = -1;
  if (opts->console_socket != NULL && (console_socket_fd = berth_unix_connect (opts->console_socket, error)) < 0)
    {
      g_prefix_error (error, "--console-socket: ");
      return false;
    }

  __attribute__ ((cleanup (close_namespace_fds))) int ns_fds[BERTH_NS_COUNT];
  bool ok = open_namespace_paths (spec, ns_fds, error);
  if (!ok || !enter_child_namespaces (spec, ns_fds, error))
    return false;

  int pair[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return berth_fail_errno (error, errno, "socketpair");
  berth_autofd int sync_fd = pair[0];
  berth_autofd int init_sync_fd = pair[1];
  berth_autofd int exec_trampoline_fd = berth_exe_protect_open (error); /* CVE-2019-5736 */
  if (exec_trampoline_fd < 0)
    return false;
  /* The filter is compiled here (cached below --root) so the init only loads it. */
  g_autoptr (GBytes) seccomp_program = NULL;
  if (lx != NULL && lx->seccomp != NULL
      && (seccomp_program = berth_seccomp_compile_for (lx->seccomp, undo.root_fd, error)) == NULL)
    return false;

  uint64_t flags = 0;
  bool unshare_cgroupns = false;
  if (lx != NULL)
    for (size_t i = 0; i < lx->n_namespaces; i++)
      {
        const BerthNamespace *ns = &lx->namespaces[i];
        if (ns->path != NULL || ns->kind == BERTH_NS_TIME)
          continue;
        if (ns->kind == BERTH_NS_CGROUP)
          unshare_cgroupns = true; /* after the init joined its cgroup */
        else
          flags |= (uint64_t) berth_namespace_clone_flag (ns->kind);
      }

  BerthInitContext ctx = {
    .spec = spec,
    .opts = opts,
    .sync_fd = init_sync_fd,
    .start_listen_fd = start_listen_fd,
    .console_socket_fd = console_socket_fd,
    .unshare_cgroupns = unshare_cgroupns,
    .has_create_runtime_hooks = has_hooks (&spec->hooks.prestart) || has_hooks (&spec->hooks.createRuntime),
    .exec_trampoline_fd = exec_trampoline_fd,
    .seccomp_program = seccomp_program,
    .unprivileged_userns = new_user_ns != NULL && new_user_ns->path == NULL && geteuid () != 0,
  };
  memcpy (ctx.ns_fds, ns_fds, sizeof ns_fds);

  /* The state, all but the pid, before the clone: less to do between the
   * clone and the init's go-ahead. */
  g_autoptr (BerthContainerState) st
      = berth_container_state_new (g, opts->id, opts->bundle, spec, undo.cgroup, opts->shim ? getpid () : 0);
  /* The init's createContainer hooks get the state (with the owner) in the
   * go-ahead; otherwise the lookup waits until the init is busy (drive_init). */
  if (has_hooks (&spec->hooks.createContainer))
    st->owner = berth_container_owner_name (st->owner_uid);

  struct clone_args args = { .flags = flags | CLONE_PIDFD, .exit_signal = SIGCHLD };
  int pidfd = -1;
  args.pidfd = (uint64_t) (uintptr_t) &pidfd;
  int cgroup_fd = undo.cgroup ? berth_cgroup_unified_fd (undo.cgroup) : -1;
  if (cgroup_fd >= 0 && berth_cgroup_mode () == BERTH_CGROUP_V2)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
    }
  /* Without id maps to write (a new user namespace) or createContainer
   * hooks to hand the state to, the init needs nothing from us: it enters
   * its cgroup itself (v1/hybrid; as root in our user namespace, before it
   * joins anything) and its go-ahead is queued before it exists, so it never
   * waits for us -- on a busy machine that wait was the longest step of
   * create. */
  bool new_userns = new_user_ns != NULL && new_user_ns->path == NULL;
  bool go_early = !new_userns && !has_hooks (&spec->hooks.createContainer);
  if (go_early && undo.cgroup != NULL && (args.flags & CLONE_INTO_CGROUP) == 0)
    ctx.enter_cgroup = undo.cgroup;
  if (go_early && !sync_send (sync_fd, SYNC_GO, NULL, error))
    return false;
  long pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0)
    return berth_fail_errno (error, errno, "clone3 the container init");
  if (pid == 0)
    berth_container_init (&ctx);
  undo.pid = (pid_t) pid;
  undo.pidfd = pidfd;
  st->pid = (pid_t) pid;
  berth_close_fdp (&init_sync_fd);
  berth_close_fdp (&start_listen_fd);
  berth_close_fdp (&console_socket_fd);
  berth_close_fdp (&exec_trampoline_fd);

  int console_master = -1;
  bool placed = (args.flags & CLONE_INTO_CGROUP) != 0 || ctx.enter_cgroup != NULL;
  if (!drive_init (spec, opts, sync_fd, st->pid, &id_map_plan, st, undo.cgroup, placed, go_early, &console_master, error))
    return false;
  if (!berth_state_write (undo.dir_fd, st, error))
    return false;
  if (opts->pid_file != NULL && !berth_write_pid_file (opts->pid_file, st->pid, error))
    {
      berth_close_fdp (&console_master);
      return false;
    }

  /* The state is complete: later commands (even our own delete) may lock it. */
  flock (undo.dir_fd, LOCK_UN);
  if (ret_created != NULL)
    {
      ret_created->pid = st->pid;
      ret_created->pidfd = berth_steal_fd (&undo.pidfd);
      ret_created->sync_fd = berth_steal_fd (&sync_fd);
      ret_created->console_master = console_master;
      ret_created->state_dir_fd = berth_steal_fd (&undo.dir_fd);
      ret_created->root_fd = berth_steal_fd (&undo.root_fd);
    }
  else
    berth_close_fdp (&console_master);
  berth_container_keep (&undo);
  return true;
}
