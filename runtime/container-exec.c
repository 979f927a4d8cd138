/* exec: clone a child into the container's namespaces (joined through
 * /proc/PID/ns of the init, pinned by a pidfd), its cgroup, with the
 * process's attributes and the container's seccomp profile. */
#include "container.h"

#include "cgroup.h"
#include "console.h"
#include "error.h"
#include "process-attrs.h"
#include "proc.h"
#include "seccomp.h"
#include "supervise.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const struct
{
  BerthNamespaceKind kind;
  const char *proc_name;
} exec_namespaces[] = {
  /* Joined in this order: user first (it owns the others), mount last. */
  { BERTH_NS_USER, "user" },     { BERTH_NS_IPC, "ipc" },       { BERTH_NS_UTS, "uts" },
  { BERTH_NS_NETWORK, "net" },   { BERTH_NS_CGROUP, "cgroup" }, { BERTH_NS_MOUNT, "mnt" },
  { BERTH_NS_PID, "pid" },       { BERTH_NS_TIME, "time" },
};

typedef struct
{
  BerthSpec *spec;
  BerthExecOptions *opts;
  int sync_fd;
  int ns_fds[G_N_ELEMENTS (exec_namespaces)];
  int console_socket_fd;
} ExecContext;

/* Open the init's namespaces that differ from ours (joining our own user
 * namespace would fail with EINVAL). */
static bool
open_container_namespaces (pid_t pid, int fds[], GError **error)
{
  for (size_t i = 0; i < G_N_ELEMENTS (exec_namespaces); i++)
    {
      fds[i] = -1;
      char theirs[64], ours[64];
      snprintf (theirs, sizeof theirs, "/proc/%d/ns/%s", (int) pid, exec_namespaces[i].proc_name);
      snprintf (ours, sizeof ours, "/proc/self/ns/%s", exec_namespaces[i].proc_name);
      struct stat a, b;
      if (stat (theirs, &a) < 0)
        {
          if (errno == ENOENT && exec_namespaces[i].kind == BERTH_NS_TIME)
            continue;
          return berth_fail_errno (error, errno, "exec: open %s", theirs);
        }
      if (stat (ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      fds[i] = open (theirs, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        return berth_fail_errno (error, errno, "exec: open %s", theirs);
    }
  return true;
}

G_GNUC_NORETURN static void
exec_child (ExecContext *ctx)
{
  g_autoptr (GError) error = NULL;
  BerthProcess *process = ctx->spec->process;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!sync_expect (ctx->sync_fd, SYNC_GO, NULL, &error))
    _exit (1);
  for (size_t i = 0; i < G_N_ELEMENTS (exec_namespaces); i++)
    {
      BerthNamespaceKind kind = exec_namespaces[i].kind;
      if (ctx->ns_fds[i] < 0 || kind == BERTH_NS_PID || kind == BERTH_NS_TIME)
        continue;
      if (setns (ctx->ns_fds[i], berth_namespace_clone_flag (kind)) < 0)
        {
          berth_fail_errno (&error, errno, "exec: join %s namespace", exec_namespaces[i].proc_name);
          goto fail;
        }
      close (ctx->ns_fds[i]);
    }
  if (setsid () < 0)
    {
      berth_fail_errno (&error, errno, "exec: setsid");
      goto fail;
    }
  if (process->terminal)
    {
      int slave = -1;
      berth_autofd int master = berth_pty_open (&slave, &error);
      if (master < 0)
        goto fail;
      berth_autofd int slave_fd = slave;
      if (process->has_consoleSize)
        berth_pty_set_size (master, process->consoleSize_height, process->consoleSize_width, NULL);
      if (ioctl (slave_fd, TIOCSCTTY, 0) < 0)
        {
          berth_fail_errno (&error, errno, "exec: set controlling terminal");
          goto fail;
        }
      for (int fd = 0; fd < 3; fd++)
        dup2 (slave_fd, fd);
      bool sent = ctx->console_socket_fd >= 0
                      ? berth_send_fd (ctx->console_socket_fd, master, "/dev/console", &error)
                      : (sync_send (ctx->sync_fd, SYNC_CONSOLE, NULL, &error)
                         && berth_send_fd (ctx->sync_fd, master, "/dev/console", &error));
      if (!sent)
        goto fail;
    }
  const BerthSeccomp *seccomp = ctx->spec->linux_ ? ctx->spec->linux_->seccomp : NULL;
  int notify_fd = -1;
  if (!berth_apply_process_limits (ctx->spec, process, &error))
    goto fail;
  if (seccomp != NULL && !process->noNewPrivileges && !berth_seccomp_load (seccomp, &notify_fd, &error))
    goto fail;
  if (!berth_apply_identity (process, &error))
    goto fail;
  const char *cwd = process->cwd ? process->cwd : "/";
  char buf[4096];
  if (chdir (cwd) < 0)
    {
      berth_fail_errno (&error, errno, "exec: --cwd %s", cwd);
      goto fail;
    }
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    {
      berth_fail (&error, "exec: cwd %s is outside the container", cwd);
      goto fail;
    }
  if (seccomp != NULL && process->noNewPrivileges && !berth_seccomp_load (seccomp, &notify_fd, &error))
    goto fail;
  int first_closed = 3 + ctx->opts->preserve_fds;
  for (int fd = 3; fd < first_closed; fd++)
    fcntl (fd, F_SETFD, 0);
  syscall (SYS_close_range, (unsigned) first_closed, ~0U, CLOSE_RANGE_CLOEXEC);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  char *empty_env[] = { NULL };
  char **env = process->env ? process->env : empty_env;
  if (strchr (process->args[0], '/') != NULL)
    execve (process->args[0], process->args, env);
  else
    {
      const char *path = g_environ_getenv (env, "PATH");
      setenv ("PATH", path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
      execvpe (process->args[0], process->args, env);
    }
  berth_fail_errno (&error, errno, "exec \"%s\"", process->args[0]);
fail:
  sync_send (ctx->sync_fd, SYNC_ERROR, error ? error->message : "exec failed", NULL);
  _exit (1);
}

int
berth_container_exec (const BerthGlobalOptions *g, BerthExecOptions *opts, BerthSpec *spec,
                      const BerthContainer *c, GError **error)
{
  const BerthContainerState *st = c->state;
  berth_autofd int init_pidfd = berth_pidfd_open_checked (st->pid, st->pid_start_time);
  if (init_pidfd < 0)
    return berth_fail (error, "exec: container \"%s\" is not running", st->id), -1;

  ExecContext ctx = { .spec = spec, .opts = opts, .console_socket_fd = -1 };
  if (!open_container_namespaces (st->pid, ctx.ns_fds, error))
    return -1;
  /* The pidfd pins the init, but /proc/PID paths could name a reused pid if
   * it died before we opened them: check it is still the same process. */
  if (!berth_proc_is_alive (st->pid, st->pid_start_time))
    return berth_fail (error, "exec: container \"%s\" is not running", st->id), -1;
  if (opts->console_socket != NULL
      && (ctx.console_socket_fd = berth_unix_connect (opts->console_socket, error)) < 0)
    return g_prefix_error (error, "--console-socket: "), -1;
  /* Joining the pid and time namespaces here needs CAP_SYS_ADMIN in our own
   * user namespace: unprivileged (rootless), join the container's user
   * namespace first (we own it), as runc does; the child then skips it. */
  if (ctx.ns_fds[0] >= 0 && geteuid () != 0)
    {
      if (setns (ctx.ns_fds[0], CLONE_NEWUSER) < 0)
        return berth_fail_errno (error, errno, "exec: join user namespace"), -1;
      berth_close_fdp (&ctx.ns_fds[0]);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (exec_namespaces); i++)
    {
      BerthNamespaceKind kind = exec_namespaces[i].kind;
      if (ctx.ns_fds[i] >= 0 && (kind == BERTH_NS_PID || kind == BERTH_NS_TIME)
          && setns (ctx.ns_fds[i], berth_namespace_clone_flag (kind)) < 0)
        return berth_fail_errno (error, errno, "exec: join %s namespace", exec_namespaces[i].proc_name), -1;
    }

  g_autoptr (BerthCgroup) cgroup = st->cgroup ? berth_cgroup_deserialize (st->cgroup, error) : NULL;
  if (st->cgroup != NULL && cgroup == NULL)
    return -1;

  int pair[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return berth_fail_errno (error, errno, "socketpair"), -1;
  berth_autofd int sync_fd = pair[0];
  ctx.sync_fd = pair[1];
  berth_autofd int sigfd = opts->detach ? -1 : berth_supervise_signals ();

  int pidfd = -1;
  struct clone_args args = { .flags = CLONE_PIDFD, .pidfd = (uint64_t) (uintptr_t) &pidfd, .exit_signal = SIGCHLD };
  long pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0)
    return berth_fail_errno (error, errno, "exec: clone3"), -1;
  if (pid == 0)
    exec_child (&ctx);
  berth_autofd int child_pidfd = pidfd;
  close (ctx.sync_fd);
  for (size_t i = 0; i < G_N_ELEMENTS (ctx.ns_fds); i++)
    berth_close_fdp (&ctx.ns_fds[i]);
  berth_close_fdp (&ctx.console_socket_fd);

  if (cgroup != NULL && !berth_cgroup_enter (cgroup, (pid_t) pid, error))
    goto kill_child;
  if (!sync_send (sync_fd, SYNC_GO, NULL, error))
    goto kill_child;

  int console_master = -1;
  for (;;)
    {
      SyncType type;
      g_autofree char *payload = NULL;
      g_autoptr (GError) local = NULL;
      if (!sync_recv (sync_fd, &type, &payload, &local))
        break; /* EOF: the process exec'd (or died; its status tells) */
      if (type == SYNC_ERROR)
        {
          berth_fail_code (error, EIO, "%s", payload);
          goto kill_child;
        }
      if (type == SYNC_CONSOLE && (console_master = berth_recv_fd (sync_fd, NULL, error)) < 0)
        goto kill_child;
    }
  berth_autofd int master_guard = console_master;
  if (opts->pid_file != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (opts->pid_file);
      g_autofree char *base = g_path_get_basename (opts->pid_file);
      berth_autofd int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      char text[32];
      int n = snprintf (text, sizeof text, "%ld", pid);
      if (dir_fd < 0 || !berth_atomic_write (dir_fd, base, text, (size_t) n, 0644, error))
        {
          if (dir_fd < 0)
            berth_fail_errno (error, errno, "--pid-file %s", opts->pid_file);
          goto kill_child;
        }
    }
  if (opts->detach)
    return 0;
  return berth_supervise ((pid_t) pid, child_pidfd, console_master, sigfd);

kill_child:
  kill ((pid_t) pid, SIGKILL);
  waitpid ((pid_t) pid, NULL, 0);
  return -1;
}
