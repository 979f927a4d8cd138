/* The container init's namespace settings (linux.sysctl, hostname,
 * domainname) and identity (process.user, process.capabilities,
 * process.noNewPrivileges).  Limits are in process-limits.c, capability sets
 * in capabilities.c, seccomp in seccomp.c. */
#include "process-attrs.h"
#include "capabilities.h"
#include "error.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static bool
spec_has_namespace (const BerthSpec *spec, BerthNamespaceKind kind)
{
  for (size_t i = 0; spec->linux_ != NULL && i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].kind == kind)
      return true;
  return false;
}

/* A network namespace the container creates gets its loopback up, as runc
 * does (specconv adds a "loopback" network for it): 127.0.0.1 works in the
 * container without any network hook. */
static bool
bring_up_loopback (GError **error)
{
  berth_autofd int sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = { .ifr_name = "lo" };
  if (sock < 0 || ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    return berth_fail_errno (error, errno, ".linux.namespaces: network: bring up lo");
  if ((ifr.ifr_flags & IFF_UP) != 0)
    return true;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    return berth_fail_errno (error, errno, ".linux.namespaces: network: bring up lo");
  return true;
}

bool
berth_apply_namespace_settings (const BerthSpec *spec, GError **error)
{
  const BerthNamespace *net = berth_spec_namespace (spec, BERTH_NS_NETWORK);
  if (net != NULL && net->path == NULL && !bring_up_loopback (error))
    return false;
  if (spec->linux_ != NULL && spec->linux_->sysctl != NULL && g_hash_table_size (spec->linux_->sysctl) > 0)
    {
      berth_autofd int procfd = berth_procfs_open (error);
      if (procfd < 0)
        {
          g_prefix_error (error, ".linux.sysctl: ");
          return false;
        }
      if (!berth_apply_sysctl (spec, procfd, error))
        return false;
    }
  if (spec->hostname != NULL && spec->hostname[0] != '\0')
    {
      if (!spec_has_namespace (spec, BERTH_NS_UTS))
        return berth_fail (error, ".hostname: cannot set the hostname without a private UTS namespace");
      if (sethostname (spec->hostname, strlen (spec->hostname)) < 0)
        return berth_fail_errno (error, errno, ".hostname: sethostname \"%s\"", spec->hostname);
    }
  if (spec->domainname != NULL && spec->domainname[0] != '\0')
    {
      if (!spec_has_namespace (spec, BERTH_NS_UTS))
        return berth_fail (error, ".domainname: cannot set the domainname without a private UTS namespace");
      if (setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
        return berth_fail_errno (error, errno, ".domainname: setdomainname \"%s\"", spec->domainname);
    }
  return true;
}

/* process.user: supplementary groups, then gid, then uid (keeping the
 * permitted capabilities across the uid change). */
static bool
apply_user (const BerthProcess *process, GError **error)
{
  /* runc skips setgroups when /proc/self/setgroups says "deny" (rootless
   * user namespaces) and refuses additionalGids there.  Reading procfs here
   * would add syscalls a user seccomp filter may deny, so: try, and accept
   * EPERM only when no additional group was asked for. */
  gid_t *gids = g_newa (gid_t, process->n_additionalGids + 1);
  for (size_t i = 0; i < process->n_additionalGids; i++)
    gids[i] = process->additionalGids[i];
  if (setgroups (process->n_additionalGids, gids) < 0)
    {
      if (errno != EPERM || process->n_additionalGids > 0)
        return berth_fail_errno (error, errno, ".process.user.additionalGids: setgroups");
    }
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_fail_errno (error, errno, "prctl PR_SET_KEEPCAPS");
  if (setresgid (process->gid, process->gid, process->gid) < 0)
    return berth_fail_errno (error, errno, ".process.user.gid: setresgid %u", process->gid);
  if (setresuid (process->uid, process->uid, process->uid) < 0)
    return berth_fail_errno (error, errno, ".process.user.uid: setresuid %u", process->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_fail_errno (error, errno, "prctl PR_SET_KEEPCAPS");
  return true;
}

bool
berth_apply_identity (const BerthProcess *process, GError **error)
{
  int last_cap = berth_cap_last_cap ();
  BerthCapMasks masks;
  if (!berth_capabilities_to_masks (process->capabilities, last_cap, &masks, error))
    return false;
  /* Bounding first: PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set,
   * which the uid change below clears. */
  if (!berth_capabilities_drop_bounding (masks.bounding, last_cap, error))
    return false;
  if (!apply_user (process, error))
    return false;
  if (!berth_capabilities_set (&masks, error))
    return false;
  if (process->noNewPrivileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_fail_errno (error, errno, ".process.noNewPrivileges: prctl PR_SET_NO_NEW_PRIVS");
  return true;
}
