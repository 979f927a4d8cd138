/* Process attributes applied by the container init, in the order the
 * lifecycle calls them.  Field names follow the runtime-spec so grep finds
 * them (process.rlimits -> apply_rlimits ...). */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

/* Before pivot_root (host procfs not needed): linux.sysctl (through a private,
 * verified procfs handle, see procfs.h), hostname, domainname (each needs a
 * UTS namespace in the spec). */
bool berth_apply_namespace_settings (const BerthSpec *spec, GError **error);

/* linux.sysctl checked like runc, usable at create time: only sysctls of a
 * namespace the container does not share with the host are allowed:
 * kernel.msgmax/msgmnb/msgmni/sem/shmall/shmmax/shmmni/shm_rmid_forced and
 * fs.mqueue.* need an ipc namespace, net.* a network namespace (a path to
 * the caller's own netns counts as the host's), kernel.domainname a uts
 * namespace; kernel.hostname is refused (use .hostname).  Keys may be dotted
 * ("net.ipv4.ip_forward") or slashed ("net/ipv4/conf/eth0.100/forwarding").
 * Errors: '.linux.sysctl: sysctl "kernel.panic" is not in a separate kernel
 * namespace'. */
bool berth_sysctl_validate (const BerthSpec *spec, GError **error);
/* Write every linux.sysctl value below procfd (a berth_procfs_open() fd),
 * re-checking the names.  Used by berth_apply_namespace_settings. */
bool berth_apply_sysctl (const BerthSpec *spec, int procfd, GError **error);

/* After pivot_root, still root in the container, in this order:
 * process.oomScoreAdj (written through a private procfs, self/oom_score_adj),
 * rlimits (prlimit; "setrlimit RLIMIT_NOFILE: Operation not permitted"),
 * linux.personality (LINUX / LINUX32; any flag is refused with ENOTSUP),
 * scheduler (sched_setattr), ioPriority (ioprio_set), user.umask. */
bool berth_apply_process_limits (const BerthSpec *spec, const BerthProcess *process, GError **error);

/* Switch to process.user (additionalGids, gid, uid) keeping the capabilities
 * needed, then set all five capability sets (never inheritable unless asked)
 * and noNewPrivileges.  Seccomp is not part of this (see seccomp.h).
 *
 * Absent process.capabilities (or an absent list in it) = empty set.  An
 * unknown capability name is an error; a capability newer than the running
 * kernel is skipped with a warning (as runc).
 *
 * It works with or without a seccomp filter already loaded: when
 * noNewPrivileges is false the filter must be loaded before this (while
 * CAP_SYS_ADMIN is still held), and then the filter must allow exactly these
 * syscalls, made in this order:
 *   prctl(PR_CAPBSET_READ) for each capability 0..last (probe, once per
 *     process), prctl(PR_CAPBSET_READ/PR_CAPBSET_DROP) for caps not in bounding,
 *   setgroups(additionalGids)  (EPERM tolerated only when there are none:
 *     setgroups "deny" in a user namespace),
 *   prctl(PR_SET_KEEPCAPS, 1), setresgid, setresuid, prctl(PR_SET_KEEPCAPS, 0),
 *   capset (effective, permitted, inheritable; capget only to explain EPERM),
 *   prctl(PR_CAP_AMBIENT, CLEAR_ALL), prctl(PR_CAP_AMBIENT, RAISE) per cap,
 *   prctl(PR_SET_NO_NEW_PRIVS, 1) if noNewPrivileges.
 * No file is opened. */
bool berth_apply_identity (const BerthProcess *process, GError **error);

/* Helpers for exec --user / --cap.  json_path names the list in errors:
 * '.process.capabilities.bounding: unknown capability "CAP_TEST"'. */
bool berth_capabilities_validate (char *const *names, const char *json_path, GError **error);
