/* linux.seccomp through libseccomp. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

/* Validate the profile (actions, operators, architectures, flags); used at
 * create time so errors are reported before any process exists. */
bool berth_seccomp_validate (const BerthSeccomp *seccomp, GError **error);

/* Build and load the filter into the calling process.  With a NOTIFY action
 * *ret_notify_fd receives the listener fd (else -1). */
bool berth_seccomp_load (const BerthSeccomp *seccomp, int *ret_notify_fd, GError **error);

/* The same in two steps, so the (costly: ~18 ms for Podman's default
 * profile) compilation can run in the runtime before clone, or be cached,
 * and the container init only makes one seccomp(2) call:
 * berth_seccomp_compile returns the classic BPF program (struct sock_filter
 * array) libseccomp generates for this kernel; berth_seccomp_load_compiled
 * loads it with seccomp(SECCOMP_SET_MODE_FILTER, flags) where flags come
 * from seccomp->flags (TSYNC, LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV) plus
 * NEW_LISTENER (and TSYNC_ESRCH with TSYNC) when an SCMP_ACT_NOTIFY rule
 * exists.  NO_NEW_PRIVS is never set here: without it the caller needs
 * CAP_SYS_ADMIN (EACCES otherwise). */
GBytes *berth_seccomp_compile (const BerthSeccomp *seccomp, GError **error);
bool berth_seccomp_load_compiled (const BerthSeccomp *seccomp, GBytes *program, int *ret_notify_fd, GError **error);

/* berth_seccomp_compile through a cache directory (an fd on a directory only
 * the runtime can write, e.g. below --root): the program is stored as
 * <sha256 of the profile, libseccomp version and kernel>.bpf followed by its
 * own SHA-256, written atomically; a file that is not ours, writable by
 * others, truncated or corrupted is ignored and rewritten.  A hit costs
 * ~0.1 ms instead of the compilation. */
GBytes *berth_seccomp_compile_cached (const BerthSeccomp *seccomp, int cache_dirfd, GError **error);

/* The names this build accepts (for `berth features`); the arrays get
 * static strings. */
void berth_seccomp_list_features (GPtrArray *ret_actions, GPtrArray *ret_operators, GPtrArray *ret_archs,
                                  GPtrArray *ret_flags);
/* "2.5.4" */
char *berth_seccomp_library_version (void);
