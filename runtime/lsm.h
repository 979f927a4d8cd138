/* LSM labels: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.
 *
 * Behaviour on a host without the LSM follows runc exactly:
 *  - process.apparmorProfile is ignored when AppArmor is not enabled (runc
 *    applies a profile only if apparmor.IsEnabled(): /sys/kernel/security/
 *    apparmor exists and /sys/module/apparmor/parameters/enabled starts
 *    with 'Y');
 *  - process.selinuxLabel is an error when SELinux is not enabled (runc's
 *    config validator: "selinux label is specified in config, but selinux is
 *    disabled or not supported");
 *  - linux.mountLabel is ignored when SELinux is not enabled (runc's
 *    label.FormatMountLabel returns the mount data unchanged).  With SELinux
 *    it becomes the context= option of the container's fresh filesystems
 *    (tmpfs, devpts, the cgroup v1 tmpfs, masked directories; not proc,
 *    sysfs, cgroup2 or binds) and the label of an mqueue mount's root, as
 *    runc's mountToRootfs/maskPath do.
 * With the LSM enabled the exec labels are written (CVE-2019-16884,
 * CVE-2025-52881) through a private, verified procfs (procfs.h) to
 * thread-self/attr/apparmor/exec (or attr/exec on kernels without the
 * per-LSM directory) as "exec PROFILE", and to thread-self/attr/exec for
 * SELinux, as the last thing before seccomp and execve. */
#pragma once
#include "spec.h"
#include <glib.h>
#include <stdbool.h>

bool berth_apparmor_enabled (void);
bool berth_selinux_enabled (void);

/* At create / exec time, before any process exists.  Error:
 * "config.json: .process.selinuxLabel: SELinux is disabled or not supported on this host". */
bool berth_lsm_validate (const BerthSpec *spec, const BerthProcess *process, GError **error);

/* linux.mountLabel if it is set and SELinux is enabled, else NULL. */
const char *berth_lsm_mount_label (const BerthSpec *spec);
/* Set the security.selinux xattr of a detached mount's root (mqueue). */
bool berth_lsm_label_mount_root (int mnt_fd, const char *label, GError **error);

/* In the container process, before seccomp and execve: the exec labels. */
bool berth_lsm_apply_exec_labels (const BerthProcess *process, GError **error);
