/* The container state store: --root/ID/ holds state.json (replaced atomically
 * and durably: temp file + fsync + rename, berth_atomic_write), config.json (the spec as created), start.sock
 * (present while the container is `created`), exit (the exit status once a
 * supervisor recorded it).  A flock on the directory serialises writers. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum
{
  BERTH_STATUS_CREATING, BERTH_STATUS_CREATED, BERTH_STATUS_RUNNING,
  BERTH_STATUS_PAUSED, BERTH_STATUS_STOPPED
} BerthStatus;
const char *berth_status_name (BerthStatus status);

typedef struct
{
  char *id;
  pid_t pid;
  uint64_t pid_start_time;
  char *bundle;                   /* as given (absolute) */
  char *rootfs;
  char *created;                  /* RFC 3339 */
  char *owner;
  uid_t owner_uid;
  GHashTable *annotations;        /* never NULL */
  char *cgroup;                   /* berth_cgroup_serialize() text, or NULL */
  bool rootless;
  pid_t shim_pid;                 /* 0 = no berth-shim */
  GHashTable *extra;              /* string -> string, for later fields; never NULL */
} BerthContainerState;

void berth_container_state_free (BerthContainerState *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthContainerState, berth_container_state_free)

bool berth_id_validate (const char *id, GError **error);

/* Open (or create: mkdir exclusively, which is how duplicate IDs are found)
 * the state root and a container's dir.  Fds are O_DIRECTORY|O_CLOEXEC and
 * never follow symlinks. */
int berth_state_root_open (const char *root, bool create, GError **error);
int berth_state_dir_create (int root_fd, const char *id, GError **error);
int berth_state_dir_open (int root_fd, const char *id, GError **error);
/* Remove the container's dir and everything in it. */
bool berth_state_dir_remove (int root_fd, const char *id, GError **error);
/* flock(LOCK_EX) on the dir fd. */
bool berth_state_lock (int dir_fd, GError **error);

bool berth_state_write (int dir_fd, const BerthContainerState *st, GError **error);
BerthContainerState *berth_state_read (int dir_fd, GError **error);
/* The status derived from the pid, its start time, start.sock and the cgroup freezer. */
BerthStatus berth_state_status (int dir_fd, const BerthContainerState *st);

/* The OCI state JSON, compact (hook stdin, the state runc passes around). */
char *berth_state_oci_json (const BerthContainerState *st, BerthStatus status);
/* The `state` command's output: pretty-printed as runc (Go) prints it, with
 * "exitStatus" when a supervisor recorded one (exit_status >= 0). */
char *berth_state_oci_json_pretty (const BerthContainerState *st, BerthStatus status, int exit_status);

/* Recorded exit status (written by a supervisor); -1 when none. */
bool berth_state_write_exit_status (int dir_fd, int status, GError **error);
int berth_state_read_exit_status (int dir_fd);

/* Write a file atomically and durably: dir_fd/.name.tmp, fsync, rename. */
bool berth_atomic_write (int dir_fd, const char *name, const char *data, size_t len, mode_t mode, GError **error);
/* The same without the fsync, for the other runtime files (the config copy
 * under --root, pid files, exec's process files): readers still see the old
 * or the new file, never a partial one.  Only state.json, which says what
 * the container is, pays the fsync (~2 ms of create on this disk-backed
 * /run; nothing on a tmpfs /run); runc and crun fsync none of them. */
bool berth_runtime_file_write (int dir_fd, const char *name, const char *data, size_t len, mode_t mode, GError **error);
