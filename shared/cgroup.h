/* cgroups, cgroupfs driver: host detection (v1, v2, hybrid), linux.cgroupsPath
 * resolution (runc's rules), creation, resources (v1 and v2 with runc's
 * conversions), placement, freeze, kill, pids, update, removal, stats.
 * A BerthCgroup is serialisable to one string kept in the container state. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum { BERTH_CGROUP_V1, BERTH_CGROUP_HYBRID, BERTH_CGROUP_V2 } BerthCgroupMode;
typedef struct BerthCgroup BerthCgroup;

/* The host's mode, detected once per process (statfs of /sys/fs/cgroup and
 * /sys/fs/cgroup/unified). */
BerthCgroupMode berth_cgroup_mode (void);
const char *berth_cgroup_mode_name (BerthCgroupMode mode);   /* "v1", "hybrid", "v2" */

/* Resolve only (no directory is created): the directories the container's
 * cgroup has in every hierarchy.  Rules as berth_cgroup_create. */
BerthCgroup *berth_cgroup_resolve (const char *cgroups_path, const char *id, GError **error);

/* Resolve cgroups_path as runc 1.1's cgroupfs driver does: NULL/"" = the
 * relative path "<id>"; a relative path is placed below the calling process's
 * own cgroup in each hierarchy (v1: per controller; v2 and the hybrid
 * unified mount: the 0:: line); an absolute path below each hierarchy's
 * root; ".." is refused.  Create the directory in every mounted hierarchy
 * (all v1 ones incl. named, plus the unified one in hybrid mode), apply
 * resources (NULL = none) and the device policy (implicit deny-all, then
 * resources->devices in order, then runc's default rules; skipped when
 * rootless).  On failure the directories it created are removed.
 * Rootless and no hierarchy writable (no delegation): NULL without error. */
BerthCgroup *berth_cgroup_create (const char *cgroups_path, const char *id,
                                  const BerthResources *resources, bool rootless, GError **error);
/* An O_PATH|O_DIRECTORY fd of the v2 (or hybrid unified) cgroup, usable with
 * clone3 CLONE_INTO_CGROUP; -1 when there is none. Owned by the cgroup. */
int berth_cgroup_unified_fd (BerthCgroup *cgroup);
/* Move pid (0: the calling process) into every directory of the cgroup. */
bool berth_cgroup_enter (BerthCgroup *cgroup, pid_t pid, GError **error);
/* `exec --cgroup`: the container's cgroup with each directory replaced by a
 * sub-cgroup of it.  subs maps a controller name ("memory", "name=systemd";
 * on v2 any of cgroup.controllers) to a path relative to the container's
 * cgroup; the key "" applies to every hierarchy without its own entry.
 * ".." is refused (the process stays inside the container's cgroup), a
 * leading '/' is still relative, every directory must exist, a controller
 * the container has no hierarchy for is an error. Nothing is written. */
BerthCgroup *berth_cgroup_sub (const BerthCgroup *cgroup, GHashTable *subs, GError **error);
/* v2 only (else a no-op): hand the cgroup to uid:gid, the container's root in
 * its own user namespace, by chowning the directory and cgroup.procs,
 * cgroup.threads and cgroup.subtree_control (cgroups(7) "Delegation"), so a
 * systemd inside can manage its subtree. */
bool berth_cgroup_delegate (BerthCgroup *cgroup, uid_t uid, gid_t gid, GError **error);
/* Apply new resources to a live cgroup (`berth update`). Devices are not
 * changed; memory.checkBeforeUpdate refuses a limit below the usage. */
bool berth_cgroup_update (BerthCgroup *cgroup, const BerthResources *resources, GError **error);
/* v1/hybrid: freezer.state; v2: cgroup.freeze. Waits (bounded) until frozen. */
bool berth_cgroup_freeze (BerthCgroup *cgroup, bool frozen, GError **error);
bool berth_cgroup_is_frozen (BerthCgroup *cgroup);
/* v2 + SIGKILL: cgroup.kill; otherwise freeze, signal every pid, thaw. */
bool berth_cgroup_kill_all (BerthCgroup *cgroup, int signo, GError **error);
/* The pids in the cgroup (recursive), as a GArray of pid_t. */
GArray *berth_cgroup_pids (BerthCgroup *cgroup, GError **error);
/* Kill leftovers, remove every directory and sub-cgroup, deepest first
 * (retrying EBUSY for about 1 s). Already gone is not an error. */
bool berth_cgroup_destroy (BerthCgroup *cgroup, GError **error);

/* Stats readers for the monitor (runc events --stats subset). Values that
 * this host does not provide stay 0; "max" reads as UINT64_MAX. */
typedef struct
{
  uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;        /* cpuacct / cpu.stat */
  uint64_t cpu_periods, cpu_throttled_periods, cpu_throttled_ns;
  uint64_t memory_usage, memory_limit, memory_max_usage, memory_failcnt;
  uint64_t memory_swap_usage, memory_swap_limit;            /* v1: memsw (memory+swap) */
  uint64_t memory_cache;                                    /* memory.stat cache / file */
  uint64_t memory_oom_kill;                                 /* oom_kill counter */
  uint64_t pids_current, pids_limit;
  GHashTable *memory_stat;                                  /* raw memory.stat, char* -> uint64_t* */
} BerthCgroupStats;
bool berth_cgroup_stats (BerthCgroup *cgroup, BerthCgroupStats *ret, GError **error);
void berth_cgroup_stats_clear (BerthCgroupStats *stats);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BerthCgroupStats, berth_cgroup_stats_clear)
/* An fd that reports OOM events: v1 an eventfd registered on
 * memory.oom_control (readable, 8-byte counter); v2 memory.events opened
 * read-only (POLLPRI on change; compare memory_oom_kill). O_CLOEXEC. */
int berth_cgroup_oom_fd (BerthCgroup *cgroup, bool *ret_is_eventfd, GError **error);

/* Accessors. berth_cgroup_dir: the directory holding controller ("memory",
 * "pids", ...; in hybrid mode the unified one for controllers only there,
 * e.g. "hugetlb"), or the v2/unified dir for NULL.  NULL if none. */
BerthCgroupMode berth_cgroup_get_mode (const BerthCgroup *cgroup);
const char *berth_cgroup_get_path (const BerthCgroup *cgroup);
const char *berth_cgroup_dir (const BerthCgroup *cgroup, const char *controller);

/* One line kept in state.json: "mode=hybrid;path=x/y;v1:memory=/sys/...;
 * unified=/sys/..." (keys and values URI-escaped). */
char *berth_cgroup_serialize (const BerthCgroup *cgroup);
BerthCgroup *berth_cgroup_deserialize (const char *text, GError **error);
void berth_cgroup_free (BerthCgroup *cgroup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthCgroup, berth_cgroup_free)
