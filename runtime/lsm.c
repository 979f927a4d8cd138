/* LSM labels, written through a verified private procfs (see lsm.h). */
#include "lsm.h"

#include "error.h"
#include "log.h"
#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

bool
berth_apparmor_enabled (void)
{
  struct stat sb;
  if (stat ("/sys/kernel/security/apparmor", &sb) < 0)
    return false;
  g_autofree char *text = berth_read_file_at (AT_FDCWD, "/sys/module/apparmor/parameters/enabled", 64, NULL);
  return text != NULL && text[0] == 'Y';
}

/* go-selinux: enabled when selinuxfs is mounted and our context is not "kernel". */
bool
berth_selinux_enabled (void)
{
  struct statfs sfs;
  if (statfs ("/sys/fs/selinux", &sfs) < 0 || sfs.f_type != (typeof (sfs.f_type)) SELINUX_MAGIC)
    return false;
  g_autofree char *con = berth_read_file_at (AT_FDCWD, "/proc/self/attr/current", 4096, NULL);
  return con != NULL && strncmp (con, "kernel", 6) != 0;
}

bool
berth_lsm_validate (const BerthSpec *spec, const BerthProcess *process, GError **error)
{
  if (process != NULL && process->selinuxLabel != NULL && *process->selinuxLabel != '\0' && !berth_selinux_enabled ())
    return berth_fail_code (error, ENOTSUP,
                            "config.json: .process.selinuxLabel: SELinux is disabled or not supported on this host");
  return true;
}

const char *
berth_lsm_mount_label (const BerthSpec *spec)
{
  static int selinux = -1;     /* looked up once per process */
  const char *label = spec->linux_ != NULL ? spec->linux_->mountLabel : NULL;
  if (label == NULL || *label == '\0')
    return NULL;
  if (selinux < 0)
    selinux = berth_selinux_enabled ();
  return selinux ? label : NULL;
}

bool
berth_lsm_label_mount_root (int mnt_fd, const char *label, GError **error)
{
  /* A mount fd is O_PATH-like (no fsetxattr): go through its magic link. */
  char path[64];
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", mnt_fd);
  if (setxattr (path, "security.selinux", label, strlen (label) + 1, 0) < 0)
    return berth_fail_errno (error, errno, "label the mount root \"%s\" (linux.mountLabel)", label);
  return true;
}

bool
berth_lsm_apply_exec_labels (const BerthProcess *process, GError **error)
{
  bool apparmor = process->apparmorProfile != NULL && *process->apparmorProfile != '\0';
  bool selinux = process->selinuxLabel != NULL && *process->selinuxLabel != '\0';
  if (apparmor && !berth_apparmor_enabled ())
    {
      berth_debug ("process.apparmorProfile %s ignored: AppArmor is not enabled (as runc)", process->apparmorProfile);
      apparmor = false;
    }
  if (!apparmor && !selinux)
    return true;
  berth_autofd int procfd = berth_procfs_open (error);
  if (procfd < 0)
    return false;
  if (apparmor)
    {
      g_autofree char *value = g_strdup_printf ("exec %s", process->apparmorProfile);
      g_autoptr (GError) local = NULL;
      if (!berth_procfs_write (procfd, "thread-self/attr/apparmor/exec", value, &local))
        {
          if (!g_error_matches (local, BERTH_ERROR, ENOENT))
            return g_propagate_prefixed_error (error, g_steal_pointer (&local), "config.json: .process.apparmorProfile: "), false;
          if (!berth_procfs_write (procfd, "thread-self/attr/exec", value, error))
            return g_prefix_error (error, "config.json: .process.apparmorProfile: "), false;
        }
    }
  if (selinux && !berth_procfs_write (procfd, "thread-self/attr/exec", process->selinuxLabel, error))
    return g_prefix_error (error, "config.json: .process.selinuxLabel: "), false;
  return true;
}
