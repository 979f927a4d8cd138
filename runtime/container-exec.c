/* exec: clone a child into the container's namespaces (joined through
 * /proc/PID/ns of the init, pinned by a pidfd), its cgroup (or a sub-cgroup
 * of it: --cgroup), with the process's attributes and the container's
 * seccomp profile.
 *
 * The child is cloned as posix_spawn does it: CLONE_VM | CLONE_VFORK on a
 * stack of its own.  No page tables are copied, and the child runs at once
 * on this CPU while we sleep until its first execve (the trampoline) -- on
 * this shared 2-core VM a forked child waited several ms for a CPU and for
 * our go-ahead.  So the child needs nothing from us before it execs: it
 * places itself in its cgroup (writing "0" to cgroup.procs, before it joins
 * the container's mount and cgroup namespaces) and only *sends* messages
 * (errors, the pty master), which wait in the socket until we read them.
 * The one exception is a seccomp listenerPath: after its filter is loaded a
 * syscall may block until the agent answers, and the agent only gets the
 * notify fd from us -- that child is cloned as a plain fork, running beside
 * us.  Either way it shares nothing writable with us after its execve. */
#include "container.h"

#include "cgroup.h"
#include "console.h"
#include "error.h"
#include "lsm.h"
#include "exe-protect.h"
#include "process-attrs.h"
#include "proc.h"
#include "seccomp.h"
#include "seccomp-notify.h"
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
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
  int exec_trampoline_fd;          /* sealed memfd, see exe-protect.h (CVE-2019-5736) */
  BerthCgroup *cgroup;             /* the container's cgroup or the --cgroup sub-cgroup; NULL: none */
  GBytes *seccomp_program;         /* compiled before clone, NULL without linux.seccomp */
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

/* execvpe's lookup, done here because the exec goes through the trampoline:
 * the first regular executable file in the container's PATH, else arg0
 * as given (the exec then fails with the right errno). */
static char *
find_in_path (const char *arg0, char **env)
{
  if (strchr (arg0, '/') != NULL)
    return g_strdup (arg0);
  const char *path = g_environ_getenv (env, "PATH");
  g_auto (GStrv) dirs = g_strsplit (path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ":", -1);
  for (char **d = dirs; *d; d++)
    {
      g_autofree char *candidate = g_build_filename (**d ? *d : ".", arg0, NULL);
      struct stat sb;
      if (stat (candidate, &sb) == 0 && S_ISREG (sb.st_mode) && access (candidate, X_OK) == 0)
        return g_steal_pointer (&candidate);
    }
  return g_strdup (arg0);
}

static int
exec_child (void *arg)
{
  ExecContext *ctx = arg;
  g_autoptr (GError) error = NULL;
  BerthProcess *process = ctx->spec->process;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Into the cgroup before anything of the container is joined (the paths
   * are the host's), and before any user code runs. */
  if (ctx->cgroup != NULL && !berth_cgroup_enter (ctx->cgroup, 0, &error))
    goto fail;
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
  if (!berth_lsm_apply_exec_labels (process, &error)) /* apparmorProfile, selinuxLabel */
    goto fail;
  /* As in the init: verify the cwd and mark fds close-on-exec before any
   * filter loads (a profile may deny getcwd or close_range). */
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
  berth_fds_prepare_exec (ctx->opts->preserve_fds);
  /* With a listenerPath the filter is loaded early and its notify fd handed
   * to our parent for the agent. */
  bool seccomp_early = seccomp != NULL && (!process->noNewPrivileges || seccomp->listenerPath != NULL);
  if (seccomp_early)
    {
      if (!berth_seccomp_load_compiled (seccomp, ctx->seccomp_program, &notify_fd, &error))
        goto fail;
      if (notify_fd >= 0
          && (!sync_send (ctx->sync_fd, SYNC_SECCOMP, NULL, &error)
              || !berth_send_fd (ctx->sync_fd, notify_fd, "seccompFd", &error)))
        goto fail;
      berth_close_fdp (&notify_fd);
    }
  /* chdir again as the process's user so its permissions apply (as runc). */
  if (!berth_apply_identity (process, &error))
    goto fail;
  if (chdir (cwd) < 0)
    {
      berth_fail_errno (&error, errno, "exec: --cwd %s", cwd);
      goto fail;
    }
  if (seccomp != NULL && !seccomp_early && !berth_seccomp_load_compiled (seccomp, ctx->seccomp_program, &notify_fd, &error))
    goto fail;
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* A detached process outlives this berth: the parent-death signal (kept
   * across execve) would kill it when berth exits. */
  if (ctx->opts->detach)
    prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  char *empty_env[] = { NULL };
  char **env = process->env ? process->env : empty_env;
  char *executable = find_in_path (process->args[0], env); /* freed by exec or _exit */
  /* CVE-2019-5736: exec through the sealed trampoline, never as the host binary. */
  berth_exe_protect_execve (ctx->exec_trampoline_fd, ctx->sync_fd, BERTH_EXEC_REPORT_SYNC, executable,
                            process->args, env);
  berth_fail_errno (&error, errno, "exec \"%s\"", process->args[0]);
fail:
  sync_send (ctx->sync_fd, SYNC_ERROR, error ? error->message : "exec failed", NULL);
  _exit (1);
}

#define EXEC_CHILD_STACK (1024 * 1024)

/* Clone exec_child (see the top of this file); returns its pid and sets
 * *ret_pidfd, or -1 with errno. */
static pid_t
clone_exec_child (ExecContext *ctx, bool share_vm, int *ret_pidfd)
{
  /* A stack of its own (needed with CLONE_VM), with a guard page below. */
  char *stack = mmap (NULL, EXEC_CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return -1;
  mprotect (stack, 4096, PROT_NONE);
  int flags = CLONE_PIDFD | SIGCHLD | (share_vm ? CLONE_VM | CLONE_VFORK : 0);
  pid_t pid = clone (exec_child, stack + EXEC_CHILD_STACK, flags, ctx, ret_pidfd);
  int saved = errno;
  /* With CLONE_VFORK the child has exec'd or died by now; without, it has
   * its own copy of the mapping. */
  munmap (stack, EXEC_CHILD_STACK);
  errno = saved;
  return pid;
}

int
berth_container_exec (const BerthGlobalOptions *g, BerthExecOptions *opts, BerthSpec *spec,
                      const BerthContainer *c, GError **error)
{
  const BerthContainerState *st = c->state;
  if (!berth_lsm_validate (spec, spec->process, error))
    return -1;
  berth_autofd int init_pidfd = berth_pidfd_open_checked (st->pid, st->pid_start_time);
  if (init_pidfd < 0)
    return berth_fail (error, "exec: container \"%s\" is not running", st->id), -1;

  ExecContext ctx = { .spec = spec, .opts = opts, .console_socket_fd = -1 };
  berth_autofd int console_master = -1; /* declared before any goto (clang) */
  berth_autofd int exec_trampoline_fd = berth_exe_protect_open (error); /* CVE-2019-5736 */
  if (exec_trampoline_fd < 0)
    return -1;
  ctx.exec_trampoline_fd = exec_trampoline_fd;
  const BerthSeccomp *seccomp = spec->linux_ ? spec->linux_->seccomp : NULL;
  g_autoptr (GBytes) seccomp_program = NULL;
  if (seccomp != NULL && (seccomp_program = berth_seccomp_compile_for (seccomp, c->root_fd, error)) == NULL)
    return -1;
  ctx.seccomp_program = seccomp_program;
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
  g_autoptr (BerthCgroup) sub_cgroup = NULL;
  if (opts->sub_cgroups != NULL)
    {
      if (cgroup == NULL)
        return berth_fail (error, "exec: --cgroup: container \"%s\" has no cgroup", st->id), -1;
      if ((sub_cgroup = berth_cgroup_sub (cgroup, opts->sub_cgroups, error)) == NULL)
        return g_prefix_error (error, "exec: "), -1;
    }
  ctx.cgroup = sub_cgroup ? sub_cgroup : cgroup;

  int pair[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return berth_fail_errno (error, errno, "socketpair"), -1;
  berth_autofd int sync_fd = pair[0];
  ctx.sync_fd = pair[1];
  berth_autofd int sigfd = opts->detach ? -1 : berth_supervise_signals ();

  int pidfd = -1;
  bool listener = seccomp != NULL && seccomp->listenerPath != NULL;
  pid_t pid = clone_exec_child (&ctx, !listener, &pidfd);
  if (pid < 0)
    return berth_fail_errno (error, errno, "exec: clone"), -1;
  berth_autofd int child_pidfd = pidfd;
  close (ctx.sync_fd);
  for (size_t i = 0; i < G_N_ELEMENTS (ctx.ns_fds); i++)
    berth_close_fdp (&ctx.ns_fds[i]);
  berth_close_fdp (&ctx.console_socket_fd);
  berth_close_fdp (&exec_trampoline_fd);


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
      if (type == SYNC_SECCOMP)
        {
          berth_autofd int notify_fd = berth_recv_fd (sync_fd, NULL, error);
          g_autofree char *state_json = berth_state_oci_json (st, BERTH_STATUS_RUNNING);
          if (notify_fd < 0 || !berth_seccomp_notify_send (seccomp, notify_fd, pid, state_json, error))
            goto kill_child;
        }
    }
  if (opts->pid_file != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (opts->pid_file);
      g_autofree char *base = g_path_get_basename (opts->pid_file);
      berth_autofd int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      char text[32];
      int n = snprintf (text, sizeof text, "%d", (int) pid);
      if (dir_fd < 0 || !berth_runtime_file_write (dir_fd, base, text, (size_t) n, 0644, error))
        {
          if (dir_fd < 0)
            berth_fail_errno (error, errno, "--pid-file %s", opts->pid_file);
          goto kill_child;
        }
    }
  if (opts->detach)
    return 0;
  return berth_supervise (pid, child_pidfd, console_master, sigfd);

kill_child:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return -1;
}
