/* Rootless containers: detection, subordinate id ranges (/etc/subuid,
 * /etc/subgid), writing a new user namespace's id maps (directly, or through
 * newuidmap/newgidmap when the mapping covers more than the caller's own id),
 * and finding a container's processes by pid namespace when it has no cgroup. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* true when this process runs in a user namespace whose uid_map is not the
 * full identity map "0 0 4294967295". */
bool berth_in_user_namespace (void);
/* --rootless auto: euid != 0, or running in a user namespace. */
bool berth_rootless_auto (void);

/* One delegated range of a subordinate id file. */
typedef struct
{
  uint32_t start, count;
} BerthSubidRange;

/* The ranges /etc/subuid-style text delegates to a user, matched by name or
 * by numeric id (as shadow does); malformed lines and comments are skipped.
 * Always returns an array (maybe empty) of BerthSubidRange. */
GArray *berth_subid_parse (const char *text, const char *user, uint32_t id);

/* How a user namespace's uid_map or gid_map gets written. */
typedef enum
{
  BERTH_IDMAP_NONE,    /* no mapping given */
  BERTH_IDMAP_DIRECT,  /* write /proc/PID/{u,g}id_map ourselves */
  BERTH_IDMAP_HELPER,  /* newuidmap / newgidmap (setuid helpers, uidmap package) */
} BerthIdMapMethod;

/* Check one mapping list (is_gid: gidMappings) and choose how to write it:
 * - container ranges and host ranges must not overlap each other, sizes > 0,
 *   no 32-bit overflow;
 * - privileged (own_id_privileged): DIRECT;
 * - else a single mapping of own_id with size 1: DIRECT;
 * - else every host range must be own_id (size 1) or lie inside one of
 *   `delegated` (the caller's ranges from subid_path; NULL = no entry for the
 *   user): HELPER.
 * Errors name the field and range, e.g. "config.json: .linux.uidMappings[1]:
 * host range 300000-300999 is not delegated to user berthtest in /etc/subuid". */
bool berth_id_mappings_check (const BerthIdMapping *maps, size_t n, bool is_gid, bool privileged, uint32_t own_id,
                              const char *user, const char *subid_path, const GArray *delegated,
                              BerthIdMapMethod *ret_method, GError **error);

/* Both maps of a spec that creates a user namespace, decided before clone. */
typedef struct
{
  BerthIdMapMethod uid, gid;
} BerthIdMapPlan;

/* Read /etc/subuid and /etc/subgid (only when needed) for the caller (euid,
 * egid) and check the spec's uidMappings and gidMappings. */
bool berth_id_map_plan (const BerthLinux *lx, BerthIdMapPlan *ret_plan, GError **error);
/* Write the maps of the init `pid` (which must still be dumpable for an
 * unprivileged caller): setgroups "deny" before a direct unprivileged
 * gid_map (the kernel requires it), the helpers otherwise. */
bool berth_id_map_write (pid_t pid, const BerthLinux *lx, const BerthIdMapPlan *plan, GError **error);
