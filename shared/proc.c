#include "proc.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Parse /proc/PID/stat: the comm field may hold spaces and ')', so fields are
 * counted from the last ')'.  Returns the state char and start time. */
static bool
read_stat (pid_t pid, char *ret_state, uint64_t *ret_start_time)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  g_autofree char *buf = berth_read_file_at (AT_FDCWD, path, 4096, NULL);
  if (buf == NULL)
    return false;
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return false;
  p += 2;
  *ret_state = *p;
  /* After ')': field 3 is state; start time is field 22 → 19 more fields. */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return false;
      p++;
    }
  *ret_start_time = g_ascii_strtoull (p, NULL, 10);
  return true;
}

uint64_t
berth_proc_start_time (pid_t pid)
{
  char state;
  uint64_t start = 0;
  if (!read_stat (pid, &state, &start))
    return 0;
  return start;
}

bool
berth_proc_is_alive (pid_t pid, uint64_t start_time)
{
  char state;
  uint64_t start = 0;
  if (pid <= 0 || !read_stat (pid, &state, &start))
    return false;
  if (state == 'Z' || state == 'X')
    return false;
  return start_time == 0 || start == start_time;
}

int
berth_pidfd_open_checked (pid_t pid, uint64_t start_time)
{
  if (pid <= 0)
    {
      errno = ESRCH;
      return -1;
    }
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return -1;
  /* The pidfd pins the process: checking after opening closes the reuse race. */
  if (!berth_proc_is_alive (pid, start_time))
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

int
berth_pidfd_send_signal (int pidfd, int signo)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
}

bool
berth_pidfd_wait_exit (int pidfd, int timeout_ms)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  for (;;)
    {
      int r = poll (&pfd, 1, timeout_ms);
      if (r < 0 && errno == EINTR)
        continue;
      return r > 0;
    }
}
