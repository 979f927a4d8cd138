/* STUB: to be replaced by the cgroup implementation. */
#include "cgroup.h"
#include "error.h"
BerthCgroupMode berth_cgroup_mode (void) { return BERTH_CGROUP_V1; }
BerthCgroup *berth_cgroup_create (const char *p, const char *id, const BerthResources *r, bool rootless, GError **error) { return NULL; }
int berth_cgroup_unified_fd (BerthCgroup *c) { return -1; }
bool berth_cgroup_enter (BerthCgroup *c, pid_t pid, GError **error) { return berth_fail (error, "not implemented"); }
bool berth_cgroup_update (BerthCgroup *c, const BerthResources *r, GError **error) { return berth_fail (error, "not implemented"); }
bool berth_cgroup_freeze (BerthCgroup *c, bool f, GError **error) { return berth_fail (error, "not implemented"); }
bool berth_cgroup_is_frozen (BerthCgroup *c) { return false; }
bool berth_cgroup_kill_all (BerthCgroup *c, int s, GError **error) { return berth_fail (error, "not implemented"); }
GArray *berth_cgroup_pids (BerthCgroup *c, GError **error) { berth_fail (error, "not implemented"); return NULL; }
bool berth_cgroup_destroy (BerthCgroup *c, GError **error) { return true; }
char *berth_cgroup_serialize (const BerthCgroup *c) { return NULL; }
BerthCgroup *berth_cgroup_deserialize (const char *t, GError **error) { berth_fail (error, "not implemented"); return NULL; }
void berth_cgroup_free (BerthCgroup *c) { }
