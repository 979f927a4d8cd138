/* process.capabilities: see capabilities.h. */
#include "capabilities.h"
#include "error.h"
#include "log.h"
#include "process-attrs.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int
berth_cap_last_cap (void)
{
  static int last_cap = -1;
  if (last_cap < 0)
    {
      int c = 0;
      while (c < 63 && prctl (PR_CAPBSET_READ, (unsigned long) c + 1, 0, 0, 0) >= 0)
        c++;
      last_cap = c;
    }
  return last_cap;
}

static bool
names_to_mask (char *const *names, const char *set, int last_cap, uint64_t *ret, GError **error)
{
  uint64_t mask = 0;
  for (size_t i = 0; names != NULL && names[i] != NULL; i++)
    {
      int cap = berth_capability_from_name (names[i]);
      if (cap < 0)
        return berth_fail (error, ".process.capabilities.%s: unknown capability \"%s\"", set, names[i]);
      if (cap > last_cap)
        {
          berth_warn ("ignoring .process.capabilities.%s: %s is not supported by this kernel", set, names[i]);
          continue;
        }
      mask |= UINT64_C (1) << cap;
    }
  *ret = mask;
  return true;
}

bool
berth_capabilities_validate (char *const *names, const char *json_path, GError **error)
{
  for (size_t i = 0; names != NULL && names[i] != NULL; i++)
    if (berth_capability_from_name (names[i]) < 0)
      return berth_fail (error, "%s: unknown capability \"%s\"", json_path, names[i]);
  return true;
}

bool
berth_capabilities_to_masks (const BerthCapabilities *caps, int last_cap, BerthCapMasks *ret, GError **error)
{
  BerthCapMasks m = { 0 };
  if (caps != NULL)
    {
      if (!names_to_mask (caps->bounding, "bounding", last_cap, &m.bounding, error)
          || !names_to_mask (caps->effective, "effective", last_cap, &m.effective, error)
          || !names_to_mask (caps->permitted, "permitted", last_cap, &m.permitted, error)
          || !names_to_mask (caps->inheritable, "inheritable", last_cap, &m.inheritable, error)
          || !names_to_mask (caps->ambient, "ambient", last_cap, &m.ambient, error))
        return false;
    }
  *ret = m;
  return true;
}

bool
berth_capabilities_drop_bounding (uint64_t keep, int last_cap, GError **error)
{
  for (int cap = 0; cap <= last_cap; cap++)
    {
      if (keep & (UINT64_C (1) << cap))
        continue;
      int r = prctl (PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0);
      if (r < 0)
        return berth_fail_errno (error, errno, "prctl PR_CAPBSET_READ %s", berth_capability_name (cap) ?: "?");
      if (r == 1 && prctl (PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0)
        return berth_fail_errno (error, errno, ".process.capabilities.bounding: drop %s", berth_capability_name (cap) ?: "?");
    }
  return true;
}

/* After a failed capset: find a capability asked for that the runtime does
 * not hold, to say which one instead of a bare EPERM. */
static bool
explain_capset_failure (const BerthCapMasks *m, int errnum, GError **error)
{
  cap_t cur = cap_get_proc ();
  for (int cap = 0; cur != NULL && cap < 64; cap++)
    {
      uint64_t bit = UINT64_C (1) << cap;
      const char *set = (m->permitted & bit) ? "permitted" : (m->effective & bit) ? "effective" : NULL;
      cap_flag_value_t have = CAP_CLEAR;
      if (set != NULL && cap_get_flag (cur, (cap_value_t) cap, CAP_PERMITTED, &have) == 0 && have == CAP_CLEAR)
        {
          cap_free (cur);
          return berth_fail_errno (error, errnum, ".process.capabilities.%s: %s is not in the runtime's permitted or bounding set",
                                   set, berth_capability_name (cap) ?: "?");
        }
      if ((m->inheritable & bit) && prctl (PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0) == 0)
        {
          cap_free (cur);
          return berth_fail_errno (error, errnum, ".process.capabilities.inheritable: %s is not in the bounding set",
                                   berth_capability_name (cap) ?: "?");
        }
    }
  if (cur != NULL)
    cap_free (cur);
  return berth_fail_errno (error, errnum, ".process.capabilities: capset");
}

bool
berth_capabilities_set (const BerthCapMasks *m, GError **error)
{
  cap_t caps = cap_init ();
  if (caps == NULL)
    return berth_fail_errno (error, errno, "cap_init");
  for (int cap = 0; cap < 64; cap++)
    {
      uint64_t bit = UINT64_C (1) << cap;
      cap_value_t v = (cap_value_t) cap;
      if ((m->effective & bit) && cap_set_flag (caps, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
        break;
      if ((m->permitted & bit) && cap_set_flag (caps, CAP_PERMITTED, 1, &v, CAP_SET) < 0)
        break;
      if ((m->inheritable & bit) && cap_set_flag (caps, CAP_INHERITABLE, 1, &v, CAP_SET) < 0)
        break;
    }
  int r = cap_set_proc (caps);
  int saved = errno;
  cap_free (caps);
  if (r < 0)
    return explain_capset_failure (m, saved, error);

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && m->ambient != 0)
    return berth_fail_errno (error, errno, ".process.capabilities.ambient: clear");
  for (int cap = 0; cap < 64; cap++)
    {
      if (!(m->ambient & (UINT64_C (1) << cap)))
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) cap, 0, 0) < 0)
        {
          int e = errno;
          /* runc's default spec lists ambient caps without inheritable ones
           * (CVE-2022-29162); runc skips what the kernel refuses: so do we. */
          if (e == EPERM && !(m->inheritable & m->permitted & (UINT64_C (1) << cap)))
            {
              berth_debug ("ambient %s skipped: not both permitted and inheritable", berth_capability_name (cap) ?: "?");
              continue;
            }
          return berth_fail_errno (error, e, ".process.capabilities.ambient: raise %s", berth_capability_name (cap) ?: "?");
        }
    }
  return true;
}
