/* The full stats sample of a container's cgroup in the JSON layout of
 * `runc events --stats` (runc 1.1 key names, nesting and units; PSI as runc
 * 1.2 writes it), for berth-monitor's hot sampling path.
 *
 * A reader keeps O_PATH directory fds of the cgroup's hierarchies and the
 * files it reads open (neither keeps the cgroup busy: rmdir still works), and
 * reads each file with one pread; files that change only when written are
 * re-read after a change (cgroup-stats-reader.c explains which). */
#pragma once
#include "cgroup.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct BerthStatsReader BerthStatsReader;

/* Fails (ENOENT) when none of the cgroup's directories exists any more. */
BerthStatsReader *berth_stats_reader_new (const BerthCgroup *cgroup, GError **error);
void berth_stats_reader_free (BerthStatsReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthStatsReader, berth_stats_reader_free)

/* Append the members of runc's stats "data" object, without the braces and
 * without "network_interfaces" (not a cgroup matter):
 *   "cpu":{...},"cpuset":{...},"memory":{...},"pids":{...},"blkio":{...},
 *   "hugetlb":{...},"intel_rdt":{}
 * Fails (ENOENT) when the memory (v1/hybrid) or unified (v2) directory is
 * gone; missing optional files leave their keys out or zero, as runc does. */
bool berth_stats_reader_append_json (BerthStatsReader *reader, GString *out, GError **error);

/* Configuration files (limits, cpuset flags) change only when written, and
 * a write raises IN_MODIFY on the file.  With a watch function (called once
 * per such file with its open fd; it returns a watch id >= 0, e.g. an
 * inotify wd on /proc/self/fd/FD, or -1), those files are read again only
 * after berth_stats_reader_config_changed (id).  Without one, every file is
 * read at every sample. */
typedef int (*BerthStatsWatchFn) (int fd, gpointer data);
void berth_stats_reader_set_config_watch (BerthStatsReader *reader, BerthStatsWatchFn fn, gpointer data);
void berth_stats_reader_config_changed (BerthStatsReader *reader, int watch_id);

/* The cgroup's oom_kill counter (v1 memory.oom_control, v2 memory.events);
 * -1 when it cannot be read (cgroup gone). */
int64_t berth_stats_reader_oom_kills (BerthStatsReader *reader);

/* ---- without a cgroup (cgroup-stats-proc.c) ---- */
/* The members "cpu":{"usage":{total,kernel,user}},"memory":{"usage":{"usage"}},
 * "pids":{"current"} from /proc for the processes of the container whose
 * init is init_pid (rootless without a delegated cgroup).  Fails (ESRCH)
 * when the init is gone. */
bool berth_stats_proc_append_json (pid_t init_pid, GString *out, GError **error);

/* ---- network_interfaces (cgroup-stats-netdev.c) ---- */
/* Append the JSON value from /proc/PID/net/dev: an array, or null when
 * unreadable.  *fdp caches the open file (-1: open it now; the caller
 * closes it); it pins the network namespace, not the cgroup. */
void berth_stats_append_netdev (GString *out, int *fdp, pid_t pid);

/* ---- one container's line (cgroup-stats-source.c) ---- */
/* What berth-monitor samples for one container (and `berth events --stats`
 * when no monitor runs): its cgroup (NULL: none, the /proc subset) and its
 * init's network namespace (network_interfaces when it is not ours). */
typedef struct BerthStatsSource BerthStatsSource;
BerthStatsSource *berth_stats_source_new (pid_t init_pid, const BerthCgroup *cgroup, GError **error);
void berth_stats_source_free (BerthStatsSource *source);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthStatsSource, berth_stats_source_free)
/* The cgroup reader (OOM counter, config watches); NULL without a cgroup. */
BerthStatsReader *berth_stats_source_reader (BerthStatsSource *source);
/* Append {"type":"stats","id":ID,"data":{...}}\n; false (out unchanged)
 * when the cgroup or the init is gone. */
bool berth_stats_source_append_line (BerthStatsSource *source, const char *id, GString *out, GError **error);
