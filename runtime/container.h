/* The container lifecycle as the CLI commands use it. */
#pragma once
#include "cgroup.h"
#include "spec.h"
#include "state.h"
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct
{
  char *root;                     /* --root, absolute */
  bool rootless;
  bool systemd_cgroup;
} BerthGlobalOptions;

typedef struct
{
  const char *id;
  const char *bundle;             /* absolute */
  const char *console_socket;     /* absolute or NULL */
  const char *pid_file;           /* absolute or NULL */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool foreground;                /* `run` without -d: this process stays the init's parent */
  bool shim;                      /* this process will exec berth-shim: record it as shim_pid */
} BerthCreateOptions;

/* What `create` leaves to a foreground `run`. */
typedef struct
{
  pid_t pid;
  int pidfd;
  int sync_fd;                    /* still open: SYNC_START goes here */
  int console_master;             /* -1 without a terminal */
  int state_dir_fd;
  int root_fd;
} BerthCreated;
void berth_created_clear (BerthCreated *created);

/* The init's side: everything it needs, prepared by the parent before clone. */
typedef struct
{
  const BerthSpec *spec;
  const BerthCreateOptions *opts;
  int sync_fd;                    /* init's end of the socketpair */
  int start_listen_fd;            /* start.sock listener, -1 in foreground */
  int console_socket_fd;          /* connected --console-socket, -1 if none */
  int ns_fds[BERTH_NS_COUNT];     /* namespaces to join (setns in init), -1 = none */
  bool unshare_cgroupns;          /* new cgroup ns: unshared after the cgroup is joined */
  bool has_create_runtime_hooks;
  int exec_trampoline_fd;         /* sealed memfd, see exe-protect.h (CVE-2019-5736) */
  GBytes *seccomp_program;        /* linux.seccomp compiled by the parent, NULL without */
  bool unprivileged_userns;       /* new user ns, caller not root: dumpable until createRuntime hooks ran */
  BerthCgroup *enter_cgroup;      /* the init places itself here first thing (see container-create.c); NULL: the parent does */
} BerthInitContext;

/* Runs in the cloned child; never returns (execve or _exit). */
G_GNUC_NORETURN void berth_container_init (BerthInitContext *ctx);

/* The bundle has a process and a rootfs directory (command: "create", "restore"). */
bool berth_container_check_bundle (const BerthSpec *spec, const char *command, GError **error);
/* What create and restore make before the container's init exists: the
 * state dir (created exclusively, locked, holding config.json) and the
 * cgroup.  berth_container_undo removes it all in reverse (and kills and
 * reaps pid, when set), unless berth_container_keep was called. */
typedef struct
{
  int root_fd;
  int dir_fd;
  const char *id;
  bool dir_created;
  BerthCgroup *cgroup;
  pid_t pid;
  int pidfd;
} BerthContainerUndo;
void berth_container_undo (BerthContainerUndo *u);
void berth_container_keep (BerthContainerUndo *u);
/* delegate: chown the cgroup to the container's root (a new user namespace). */
bool berth_container_prepare (const BerthGlobalOptions *g, const char *id, const BerthSpec *spec, const char *config_json,
                              size_t config_len, bool delegate, BerthContainerUndo *undo, GError **error);
/* The state of a new container, all but its pid and owner. */
BerthContainerState *berth_container_state_new (const BerthGlobalOptions *g, const char *id, const char *bundle,
                                                const BerthSpec *spec, const BerthCgroup *cgroup, pid_t shim_pid);
/* The user name for the state's "owner": /etc/passwd, as runc ("" if none). */
char *berth_container_owner_name (uid_t uid);
/* --pid-file: the bare pid, written atomically. */
bool berth_write_pid_file (const char *path, pid_t pid, GError **error);

/* create: everything up to the init waiting for `start`.  On failure nothing
 * is left behind.  ret_created may be NULL (plain create). */
bool berth_container_create (const BerthGlobalOptions *g, const BerthCreateOptions *opts,
                             BerthCreated *ret_created, GError **error);
/* run -d / create --shim: create (and start) the container in a forked
 * child that then execs berth-shim in adopt mode, so the init is the shim's
 * child and its exit status gets recorded.  Returns once the container is
 * created (and started), with the child's error if it failed. */
bool berth_container_create_with_shim (const BerthGlobalOptions *g, const BerthCreateOptions *opts, bool start,
                                       GError **error);
/* start: open the gate of a created container, run poststart hooks. */
bool berth_container_start (const BerthGlobalOptions *g, const char *id, GError **error);
/* Remove a stopped container (force: kill it first): poststop hooks, cgroup, state. */
bool berth_container_delete (const BerthGlobalOptions *g, const char *id, bool force, GError **error);

/* An opened container: root fd, its state dir fd (locked when asked), state. */
typedef struct
{
  int root_fd;
  int dir_fd;
  BerthContainerState *state;     /* NULL while "creating" */
} BerthContainer;
bool berth_container_open (const BerthGlobalOptions *g, const char *id, bool lock,
                           BerthContainer *ret, GError **error);
void berth_container_close (BerthContainer *c);
BerthStatus berth_container_status (const BerthContainer *c);
/* The spec kept in the state dir at create time. */
BerthSpec *berth_container_spec (const BerthContainer *c, GError **error);

/* exec: a new process in a running container's namespaces and cgroup. */
typedef struct
{
  const char *id;
  BerthProcess *process;          /* final process (defaults and flags applied) */
  const char *console_socket;     /* absolute or NULL */
  const char *pid_file;           /* absolute or NULL */
  bool detach;
  bool ignore_paused;
  int preserve_fds;
  GHashTable *sub_cgroups;        /* --cgroup: controller ("" = all) -> path below the container's cgroup; NULL */
} BerthExecOptions;

/* Returns the exit code of the process (foreground) or 0 (detached);
 * -1 with error set when the process could not be started. */
int berth_container_exec (const BerthGlobalOptions *g, BerthExecOptions *opts, BerthSpec *spec,
                          const BerthContainer *c, GError **error);
