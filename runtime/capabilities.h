/* process.capabilities: names, validation and the syscalls that set the five
 * sets.  Used by berth_apply_identity (process-attrs.c) and exec --cap. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The five sets as bit masks (bit N = capability N). */
typedef struct
{
  uint64_t bounding, effective, permitted, inheritable, ambient;
} BerthCapMasks;


/* The highest capability the running kernel knows (probed with
 * PR_CAPBSET_READ, cached). */
int berth_cap_last_cap (void);

/* Turn the names into masks.  caps == NULL (absent) or an absent list means
 * the empty set.  An unknown name is an error naming the set
 * (".process.capabilities.bounding: unknown capability \"CAP_TEST\"").  A
 * known name beyond last_cap (a capability this kernel predates) is skipped
 * with a warning, as runc does. */
bool berth_capabilities_to_masks (const BerthCapabilities *caps, int last_cap, BerthCapMasks *ret, GError **error);

/* Drop every capability <= last_cap not in `keep` from the bounding set
 * (PR_CAPBSET_READ + PR_CAPBSET_DROP; needs CAP_SETPCAP, so call it before
 * switching to a non-root uid). */
bool berth_capabilities_drop_bounding (uint64_t keep, int last_cap, GError **error);

/* capset(effective, permitted, inheritable), then PR_CAP_AMBIENT_CLEAR_ALL and
 * PR_CAP_AMBIENT_RAISE for each ambient capability (which must be in both
 * permitted and inheritable).  EPERM errors name the capability the runtime
 * cannot grant (e.g. CAP_SYS_RESOURCE missing from this host's bounding set). */
bool berth_capabilities_set (const BerthCapMasks *masks, GError **error);
