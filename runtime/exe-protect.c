/* CVE-2019-5736 defence: the last execve goes through a sealed memfd
 * trampoline (reasoning in exe-protect.h). */
#include "exe-protect.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern const unsigned char berth_exec_trampoline[];
extern const size_t berth_exec_trampoline_size;

int
berth_exe_protect_open (GError **error)
{
  /* MFD_EXEC: explicit where vm.memfd_noexec exists (6.3+); older kernels
   * reject the flag and make memfds executable anyway. */
  int fd = memfd_create ("berth-exec-trampoline", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create ("berth-exec-trampoline", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    {
      berth_fail_errno (error, errno, "CVE-2019-5736 protection: memfd_create");
      return -1;
    }
  berth_autofd int memfd = fd;
  if (!berth_write_all (memfd, berth_exec_trampoline, berth_exec_trampoline_size)
      || fchmod (memfd, 0555) < 0
      || fcntl (memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    {
      berth_fail_errno (error, errno, "CVE-2019-5736 protection: seal the exec trampoline");
      return -1;
    }
  return berth_steal_fd (&memfd);
}

void
berth_exe_protect_execve (int tramp_fd, int report_fd, BerthExecReport mode, const char *path,
                          char *const argv[], char *const envp[])
{
  size_t argc = 0;
  while (argv[argc] != NULL)
    argc++;
  char fdtext[16] = "-";
  if (report_fd >= 0 && mode != BERTH_EXEC_REPORT_NONE)
    {
      snprintf (fdtext, sizeof fdtext, "%d", report_fd);
      int flags = fcntl (report_fd, F_GETFD);
      if (flags < 0 || fcntl (report_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return;
    }
  else
    mode = BERTH_EXEC_REPORT_NONE;
  char modetext[2] = { (char) mode, '\0' };
  g_autofree char **targv = g_new0 (char *, argc + 5);
  targv[0] = (char *) "berth-exec-trampoline";
  targv[1] = fdtext;
  targv[2] = modetext;
  targv[3] = (char *) path;
  memcpy (targv + 4, argv, argc * sizeof (char *));
  syscall (SYS_execveat, tramp_fd, "", targv, envp, AT_EMPTY_PATH);
  int saved = errno;
  if (report_fd >= 0)
    fcntl (report_fd, F_SETFD, FD_CLOEXEC);
  errno = saved;
}
