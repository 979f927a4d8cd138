/* `create`, init side: runs in the cloned child, inside the new namespaces,
 * until it execs the container process.  Errors go to the parent as one
 * SYNC_ERROR line; after the start gate they go to `start` instead. */
#include "container.h"

#include "console.h"
#include "error.h"
#include "exe-protect.h"
#include "fs-safety.h"
#include "hooks.h"
#include "log.h"
#include "lsm.h"
#include "process-attrs.h"
#include "rootfs.h"
#include "seccomp.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const int setns_order[] = { BERTH_NS_USER, BERTH_NS_IPC, BERTH_NS_UTS, BERTH_NS_NETWORK,
                                   BERTH_NS_CGROUP, BERTH_NS_MOUNT };

G_GNUC_NORETURN static void
init_fail (int report_fd, bool after_gate, GError *error)
{
  const char *msg = error ? error->message : "container init failed";
  if (after_gate)
    {
      g_autofree char *line = g_strdup_printf ("E%s", msg);
      berth_write_all (report_fd, line, strlen (line));
    }
  else
    sync_send (report_fd, SYNC_ERROR, msg, NULL);
  _exit (1);
}

static int
compare_ints (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* CVE-2016-9962 / CVE-2024-21626, defence in depth: the init is a clone of
 * berth and inherits every fd the parent holds (state dirs, cgroup dirs).
 * Close all of them at once but stdio, the preserved fds and those listed
 * in ctx, so no host directory fd exists while the init does its work. */
static void
close_inherited_fds (BerthInitContext *ctx)
{
  int keep[BERTH_NS_COUNT + 6];
  size_t n = 0;
  keep[n++] = ctx->sync_fd;
  keep[n++] = ctx->start_listen_fd;
  keep[n++] = ctx->console_socket_fd;
  keep[n++] = ctx->exec_trampoline_fd;
  keep[n++] = berth_log_fd ();
  for (int i = 0; i < BERTH_NS_COUNT; i++)
    keep[n++] = ctx->ns_fds[i];
  qsort (keep, n, sizeof keep[0], compare_ints);
  int next = 3 + ctx->opts->preserve_fds; /* lowest fd that may be closed */
  for (size_t i = 0; i < n; i++)
    {
      if (keep[i] < next)
        continue;
      if (keep[i] > next)
        syscall (SYS_close_range, (unsigned) next, (unsigned) keep[i] - 1, 0);
      next = keep[i] + 1;
    }
  syscall (SYS_close_range, (unsigned) next, ~0U, 0);
}

static bool
join_namespaces (BerthInitContext *ctx, GError **error)
{
  for (size_t i = 0; i < G_N_ELEMENTS (setns_order); i++)
    {
      int kind = setns_order[i];
      if (ctx->ns_fds[kind] < 0)
        continue;
      if (setns (ctx->ns_fds[kind], berth_namespace_clone_flag (kind)) < 0)
        return berth_fail_errno (error, errno, "join %s namespace", berth_spec_namespace (ctx->spec, kind)->type);
      berth_close_fdp (&ctx->ns_fds[kind]);
    }
  return true;
}

/* runc's lookup: the container's PATH, done before start so a missing
 * executable is a create-time error. */
static char *
find_executable (const BerthProcess *process, GError **error)
{
  const char *arg0 = process->args[0];
  if (strchr (arg0, '/') != NULL)
    {
      if (access (arg0, X_OK) < 0)
        {
          berth_fail_errno (error, errno, "exec \"%s\"", arg0);
          return NULL;
        }
      return g_strdup (arg0);
    }
  const char *path = process->env ? g_environ_getenv (process->env, "PATH") : NULL;
  g_auto (GStrv) dirs = g_strsplit (path ? path : DEFAULT_PATH, ":", -1);
  for (char **d = dirs; *d; d++)
    {
      g_autofree char *candidate = g_build_filename (**d ? *d : ".", arg0, NULL);
      struct stat sb;
      if (stat (candidate, &sb) == 0 && S_ISREG (sb.st_mode) && access (candidate, X_OK) == 0)
        return g_steal_pointer (&candidate);
    }
  berth_fail_code (error, ENOENT, "exec \"%s\": executable file not found in $PATH", arg0);
  return NULL;
}

static bool
setup_console (BerthInitContext *ctx, GError **error)
{
  const BerthProcess *process = ctx->spec->process;
  int slave = -1;
  berth_autofd int master = berth_pty_open (&slave, error);
  if (master < 0)
    return false;
  berth_autofd int slave_fd = slave;
  if (process->has_consoleSize
      && !berth_pty_set_size (master, process->consoleSize_height, process->consoleSize_width, error))
    return false;
  if (berth_spec_namespace (ctx->spec, BERTH_NS_MOUNT) != NULL && !berth_rootfs_bind_console (slave_fd, error))
    return false;
  if (ioctl (slave_fd, TIOCSCTTY, 0) < 0)
    return berth_fail_errno (error, errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave_fd, fd) < 0)
      return berth_fail_errno (error, errno, "dup console to stdio");
  unsigned ptn = 0;
  char name[64] = "/dev/console";
  if (ioctl (master, TIOCGPTN, &ptn) == 0)
    snprintf (name, sizeof name, "/dev/pts/%u", ptn);
  if (ctx->console_socket_fd >= 0)
    {
      if (!berth_send_fd (ctx->console_socket_fd, master, name, error))
        return false;
      berth_close_fdp (&ctx->console_socket_fd);
    }
  else
    {
      if (!sync_send (ctx->sync_fd, SYNC_CONSOLE, NULL, error) || !berth_send_fd (ctx->sync_fd, master, name, error))
        return false;
    }
  return true;
}

/* stdio that is the host's /dev/null becomes the container's own (runc's
 * reOpenDevNull): no file of the host's mount namespace stays open in the
 * container, which is also what lets CRIU checkpoint it. */
static bool
reopen_dev_null (GError **error)
{
  berth_autofd int null_fd = open ("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  struct stat null_sb, sb;
  if (null_fd < 0 || fstat (null_fd, &null_sb) < 0 || !S_ISCHR (null_sb.st_mode) || null_sb.st_rdev != makedev (1, 3))
    return true; /* no usable /dev/null in the container: leave stdio as it is */
  for (int fd = 0; fd < 3; fd++)
    if (fstat (fd, &sb) == 0 && S_ISCHR (sb.st_mode) && sb.st_rdev == null_sb.st_rdev && dup3 (null_fd, fd, 0) < 0)
      return berth_fail_errno (error, errno, "reopen /dev/null as fd %d", fd);
  return true;
}

static bool
change_to_cwd (const BerthProcess *process, GError **error)
{
  const char *cwd = process->cwd ? process->cwd : "/";
  if (chdir (cwd) < 0 && errno == ENOENT)
    {
      /* runc creates a missing cwd; do it inside the root, never following
       * a symlink out of it. */
      berth_autofd int root_fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      berth_autofd int dir_fd = root_fd < 0 ? -1 : berth_create_in_root (root_fd, cwd, true, ".process.cwd", error);
      if (dir_fd < 0)
        return false;
    }
  if (chdir (cwd) < 0)
    return berth_fail_errno (error, errno, "config.json: .process.cwd: chdir %s", cwd);
  /* CVE-2024-21626: a cwd reached through a leaked host fd is outside our
   * root, and getcwd reports it as "(unreachable)...". */
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return berth_fail (error, "config.json: .process.cwd: %s is outside the container", cwd);
  return true;
}

/* Block until `start` (or, for a foreground run, our parent) says go.
 * Returns the fd errors must be reported on from now on. */
static int
wait_for_start (BerthInitContext *ctx, char **ret_state_json, GError **error)
{
  if (ctx->opts->foreground)
    {
      if (!sync_expect (ctx->sync_fd, SYNC_START, ret_state_json, error))
        return -1;
      return ctx->sync_fd;
    }
  berth_close_fdp (&ctx->sync_fd);
  int conn;
  while ((conn = accept4 (ctx->start_listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
    if (errno != EINTR)
      {
        berth_fail_errno (error, errno, "wait for start");
        return -1;
      }
  berth_close_fdp (&ctx->start_listen_fd);
  if (!sync_expect (conn, SYNC_START, ret_state_json, error))
    {
      close (conn);
      return -1;
    }
  return conn;
}

static void
reset_signals (void)
{
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

void
berth_container_init (BerthInitContext *ctx)
{
  g_autoptr (GError) error = NULL;
  const BerthSpec *spec = ctx->spec;
  const BerthProcess *process = spec->process;
  bool has_mount_ns = berth_spec_namespace (spec, BERTH_NS_MOUNT) != NULL;
  const BerthNamespace *user_ns = berth_spec_namespace (spec, BERTH_NS_USER);

  /* CVE-2016-9962: nothing in the container may ptrace us while we hold host fds.
   * An unprivileged parent (or its newuidmap) can only write the id maps of a
   * dumpable init, and createRuntime/prestart hooks running as that user (e.g.
   * slirp4netns joining our network namespace) need to open /proc/PID/ns/net:
   * in a new user namespace we stay dumpable until those hooks are done.
   * Nothing of the container runs before then (its state does not exist yet,
   * so no exec can join it); the caller's own processes could ptrace the
   * runtime itself anyway.  (The parent decides: our euid here races with
   * the map it writes.) */
  bool unprivileged_userns = ctx->unprivileged_userns;
  if (!unprivileged_userns)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  close_inherited_fds (ctx);

  /* In our cgroup before anything else (paths are the host's: nothing of
   * the container is joined yet). */
  if (ctx->enter_cgroup != NULL && !berth_cgroup_enter (ctx->enter_cgroup, 0, &error))
    init_fail (ctx->sync_fd, false, error);
  g_autofree char *state_json = NULL;
  if (!sync_expect (ctx->sync_fd, SYNC_GO, &state_json, &error))
    _exit (1);
  if (user_ns != NULL && user_ns->path == NULL && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      berth_fail_errno (&error, errno, "become root in the user namespace");
      init_fail (ctx->sync_fd, false, error);
    }
  if (unprivileged_userns)
    prctl (PR_SET_DUMPABLE, 1, 0, 0, 0); /* a changed uid resets it (root mapped to a subuid) */
  if (!join_namespaces (ctx, &error))
    init_fail (ctx->sync_fd, false, error);
  if (ctx->unshare_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    {
      berth_fail_errno (&error, errno, "create cgroup namespace");
      init_fail (ctx->sync_fd, false, error);
    }
  if (setsid () < 0)
    {
      berth_fail_errno (&error, errno, "setsid");
      init_fail (ctx->sync_fd, false, error);
    }
  if (!ctx->opts->no_new_keyring)
    syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL); /* best effort, as runc on ENOSYS/EDQUOT */

  if (!berth_apply_namespace_settings (spec, &error))
    init_fail (ctx->sync_fd, false, error);
  if (has_mount_ns && !berth_rootfs_prepare (spec, &error))
    init_fail (ctx->sync_fd, false, error);
  if (ctx->has_create_runtime_hooks
      && (!sync_send (ctx->sync_fd, SYNC_CREATE_RUNTIME, NULL, &error)
          || !sync_expect (ctx->sync_fd, SYNC_CREATE_RUNTIME_DONE, NULL, &error)))
    _exit (1);
  if (unprivileged_userns)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (!berth_hooks_run (&spec->hooks.createContainer, "createContainer", state_json, false, &error))
    init_fail (ctx->sync_fd, false, error);
  if (has_mount_ns)
    {
      if (!berth_rootfs_finish (spec, ctx->opts->no_pivot, &error) || !reopen_dev_null (&error))
        init_fail (ctx->sync_fd, false, error);
    }
  else if (chroot (spec->root_path) < 0 || chdir ("/") < 0)
    {
      berth_fail_errno (&error, errno, "chroot %s", spec->root_path);
      init_fail (ctx->sync_fd, false, error);
    }
  if (process->terminal && !setup_console (ctx, &error))
    init_fail (ctx->sync_fd, false, error);
  if (!berth_apply_process_limits (spec, process, &error))
    init_fail (ctx->sync_fd, false, error);
  if (!berth_lsm_apply_exec_labels (process, &error)) /* apparmorProfile, selinuxLabel */
    init_fail (ctx->sync_fd, false, error);

  const BerthSeccomp *seccomp = spec->linux_ ? spec->linux_->seccomp : NULL;
  int notify_fd = -1;
  /* Without noNewPrivileges, loading a filter needs CAP_SYS_ADMIN: load it
   * before dropping privileges (as runc); with it, as late as possible --
   * except with a listenerPath: the notify fd goes to our parent (which
   * hands it to the agent), so the filter is loaded while it still waits. */
  /* Verify the cwd before any filter loads: a profile may deny getcwd. */
  if (!change_to_cwd (process, &error))
    init_fail (ctx->sync_fd, false, error);
  /* Only stdio and the preserved fds cross execve (CVE-2024-21626).  Marked
   * now, before a filter that may deny close_range; every fd opened from here
   * on is CLOEXEC.  The report fd closes at exec, telling `start` it ran. */
  berth_fds_prepare_exec (ctx->opts->preserve_fds);
  bool seccomp_early = seccomp != NULL && (!process->noNewPrivileges || seccomp->listenerPath != NULL);
  if (seccomp_early)
    {
      if (!berth_seccomp_load_compiled (seccomp, ctx->seccomp_program, &notify_fd, &error))
        init_fail (ctx->sync_fd, false, error);
      if (notify_fd >= 0
          && (!sync_send (ctx->sync_fd, SYNC_SECCOMP, NULL, &error)
              || !berth_send_fd (ctx->sync_fd, notify_fd, "seccompFd", &error)))
        init_fail (ctx->sync_fd, false, error);
      berth_close_fdp (&notify_fd);
    }
  /* chdir again as the container user so its permissions apply (as runc). */
  if (!berth_apply_identity (process, &error) || chdir (process->cwd ? process->cwd : "/") < 0)
    {
      if (error == NULL)
        berth_fail_errno (&error, errno, "config.json: .process.cwd: chdir %s", process->cwd);
      init_fail (ctx->sync_fd, false, error);
    }
  g_autofree char *executable = find_executable (process, &error);
  if (executable == NULL)
    init_fail (ctx->sync_fd, false, error);

  /* The parent exits once we are ready: stop tying our life to it first. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (!sync_send (ctx->sync_fd, SYNC_READY, NULL, &error))
    _exit (1);
  g_autofree char *created_json = NULL;
  int report_fd = wait_for_start (ctx, &created_json, &error);
  if (report_fd < 0)
    _exit (1);

  if (!berth_hooks_run (&spec->hooks.startContainer, "startContainer", created_json ? created_json : state_json,
                        false, &error))
    init_fail (report_fd, ctx->opts->foreground ? false : true, error);
  if (seccomp != NULL && !seccomp_early
      && !berth_seccomp_load_compiled (seccomp, ctx->seccomp_program, &notify_fd, &error))
    init_fail (report_fd, !ctx->opts->foreground, error);
  berth_close_fdp (&notify_fd);

  reset_signals ();
  char *empty_env[] = { NULL };
  /* CVE-2019-5736: exec through the sealed trampoline, never as the host binary. */
  berth_exe_protect_execve (ctx->exec_trampoline_fd, report_fd,
                            ctx->opts->foreground ? BERTH_EXEC_REPORT_SYNC : BERTH_EXEC_REPORT_LINE, executable,
                            process->args, process->env ? process->env : empty_env);
  berth_fail_errno (&error, errno, "exec \"%s\"", process->args[0]);
  init_fail (report_fd, !ctx->opts->foreground, error);
}
