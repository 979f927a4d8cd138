/* linux.seccomp.listenerPath / listenerMetadata: hand a seccomp user
 * notification fd to the agent listening on listenerPath, as runc does. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* The message runc sends (one sendmsg on a SOCK_STREAM unix socket, the fd
 * as SCM_RIGHTS):
 *   {"ociVersion": "...", "fds": ["seccompFd"], "pid": PID,
 *    "metadata": listenerMetadata, "state": <the container's state JSON>}
 * pid is the process the filter was loaded into (the init, or an exec'd
 * process); state_json is the OCI state (status "creating" for the init).
 * Bounded: the whole message must fit in 64 KiB. */
bool berth_seccomp_notify_send (const BerthSeccomp *seccomp, int notify_fd, pid_t pid, const char *state_json,
                                GError **error);

/* berth_seccomp_compile_cached with the cache in ROOT/.seccomp-cache (mode
 * 0700, created on first use, never a symlink); without a usable cache dir
 * it compiles.  Used by create and exec before they clone. */
GBytes *berth_seccomp_compile_for (const BerthSeccomp *seccomp, int state_root_fd, GError **error);
