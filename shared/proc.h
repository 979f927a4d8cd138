/* Processes: start times (PID-reuse safe identity), pidfds. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The fields of /proc/PID/stat up to rss, indexed as in proc(5): f[N] is
 * field N (f[3] the state letter, f[0..2] unused).  false when the process
 * does not exist (or the file does not parse). */
enum
{
  BERTH_PROC_STAT_STATE = 3,
  BERTH_PROC_STAT_PPID = 4,
  BERTH_PROC_STAT_UTIME = 14,
  BERTH_PROC_STAT_STIME = 15,
  BERTH_PROC_STAT_CUTIME = 16,
  BERTH_PROC_STAT_CSTIME = 17,
  BERTH_PROC_STAT_STARTTIME = 22,
  BERTH_PROC_STAT_RSS = 24,
  BERTH_PROC_STAT_FIELDS = 25,
};
bool berth_proc_stat (pid_t pid, uint64_t f[BERTH_PROC_STAT_FIELDS]);
/* Field 22 of /proc/PID/stat; 0 when the process does not exist. */
uint64_t berth_proc_start_time (pid_t pid);
/* true when pid exists, is not a zombie, and has this start time. */
bool berth_proc_is_alive (pid_t pid, uint64_t start_time);
/* pidfd_open that also checks the start time (so a reused pid is refused);
 * -1 with errno ESRCH when the process is gone. */
int berth_pidfd_open_checked (pid_t pid, uint64_t start_time);
int berth_pidfd_send_signal (int pidfd, int signo);
/* Wait until the pidfd's process exits or timeout_ms passes (-1: forever).
 * true when it exited. */
bool berth_pidfd_wait_exit (int pidfd, int timeout_ms);

/* True when signo sent to pid would be discarded by the kernel: pid is the
 * init of its pid namespace, and has neither a handler nor SIG_IGN for it
 * (SIGKILL/SIGSTOP from an ancestor namespace are never discarded). */
bool berth_proc_signal_dropped_by_init (pid_t pid, int signo);
/* Whether pid is the init (pid 1) of a pid namespace other than ours: its death kills every other
 * process of that namespace, and the kernel reaps them before the init counts as exited
 * (zap_pid_ns_processes). */
bool berth_proc_is_pid_namespace_init (pid_t pid);
/* Seconds since the process started (-1 if unknown). */
double berth_proc_age (uint64_t start_time);

/* Every process of the container whose init is init_pid (including init_pid), for containers
 * without a cgroup (rootless on a host without delegation): the processes whose /proc/PID/ns/pid is
 * the init's; when that link is unreadable, the init's descendants (orphans inside a pid namespace
 * reparent to its init).  GArray of pid_t, sorted.  ESRCH when the init is gone, ENOTSUP when it
 * shares our pid namespace (its processes cannot be told apart). */
GArray *berth_proc_pidns_pids (pid_t init_pid, GError **error);
