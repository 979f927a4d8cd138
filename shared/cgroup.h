/* cgroups, cgroupfs driver: host detection (v1, v2, hybrid), linux.cgroupsPath
 * resolution (runc's rules), creation, resources (v1 and v2 with runc's
 * conversions), placement, freeze, kill, pids, update, removal, stats.
 * A BerthCgroup is serialisable to one string kept in the container state. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef enum { BERTH_CGROUP_V1, BERTH_CGROUP_HYBRID, BERTH_CGROUP_V2 } BerthCgroupMode;
typedef struct BerthCgroup BerthCgroup;

BerthCgroupMode berth_cgroup_mode (void);

/* NULL without an error means "no cgroup" (e.g. rootless without delegation).
 * Resolve cgroups_path (NULL/"" = default for id) relative to the calling
 * process's own cgroup as runc does, create the cgroup(s) and apply resources
 * (NULL = none).  On failure nothing is left behind. */
BerthCgroup *berth_cgroup_create (const char *cgroups_path, const char *id,
                                  const BerthResources *resources, bool rootless, GError **error);
/* An O_PATH|O_DIRECTORY fd of the v2 (or hybrid unified) cgroup, usable with
 * clone3 CLONE_INTO_CGROUP; -1 when there is none. Owned by the cgroup. */
int berth_cgroup_unified_fd (BerthCgroup *cgroup);
bool berth_cgroup_enter (BerthCgroup *cgroup, pid_t pid, GError **error);
bool berth_cgroup_update (BerthCgroup *cgroup, const BerthResources *resources, GError **error);
bool berth_cgroup_freeze (BerthCgroup *cgroup, bool frozen, GError **error);
bool berth_cgroup_is_frozen (BerthCgroup *cgroup);
bool berth_cgroup_kill_all (BerthCgroup *cgroup, int signo, GError **error);
/* The pids in the cgroup (recursive), as a GArray of pid_t. */
GArray *berth_cgroup_pids (BerthCgroup *cgroup, GError **error);
/* Kill leftovers, remove every directory (retrying EBUSY). */
bool berth_cgroup_destroy (BerthCgroup *cgroup, GError **error);

char *berth_cgroup_serialize (const BerthCgroup *cgroup);
BerthCgroup *berth_cgroup_deserialize (const char *text, GError **error);
void berth_cgroup_free (BerthCgroup *cgroup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthCgroup, berth_cgroup_free)
