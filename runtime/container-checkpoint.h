/* checkpoint and restore (CRIU): see container-checkpoint.c. */
#pragma once
#include "container.h"

/* What CRIU is told the same way on both sides (runc's flags of the same names). */
typedef struct
{
  bool tcp_established, ext_unix_sk, shell_job, file_locks, auto_dedup;
  bool empty_netns;               /* --empty-ns network: a new network namespace, its devices, addresses and rules not dumped */
} BerthCriuFlags;

typedef struct
{
  const char *id;
  const char *image_path;         /* absolute; created (0700) if missing */
  const char *work_path;          /* absolute or NULL (= image_path): CRIU's logs */
  const char *parent_path;        /* a pre-dump's images (relative to image_path, as CRIU takes it) or NULL */
  const char *manage_cgroups_mode; /* soft (default), full, strict, ignore */
  bool leave_running, pre_dump;
  BerthCriuFlags flags;
} BerthCheckpointOptions;

/* Dump the running (or paused) container's processes into image_path.  The
 * container is then deleted, as runc does, unless leave_running or pre_dump. */
bool berth_container_checkpoint (const BerthGlobalOptions *g, const BerthCheckpointOptions *opts, GError **error);

typedef struct
{
  const char *id;
  const char *bundle;             /* absolute */
  const char *image_path;         /* absolute */
  const char *work_path;          /* absolute or NULL (= image_path) */
  const char *pid_file;           /* absolute or NULL */
  const char *console_socket;     /* refused: terminals are not restored yet */
  const char *manage_cgroups_mode;
  bool detach, no_subreaper;
  BerthCriuFlags flags;
} BerthRestoreOptions;

/* A new container of the same ID from the images: state dir, cgroup, then
 * CRIU.  Detached, returns 0 once it runs; otherwise waits for it (signals
 * forwarded), deletes it and returns its exit code; 1 with error set when
 * it could not be restored (nothing is left behind). */
int berth_container_restore (const BerthGlobalOptions *g, const BerthRestoreOptions *opts, GError **error);
/* restore --criu-action: CRIU's action script (prestart and createRuntime
 * hooks at "setup-namespaces"); the exit status CRIU gets. */
int berth_container_restore_action (const BerthGlobalOptions *g, const BerthRestoreOptions *opts);
