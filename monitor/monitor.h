/* berth-monitor: one process per state root that watches every container
 * of the root (inotify on the root and on each container's state dir, a
 * pidfd per init, OOM via eventfd on v1 and inotify on v2) and streams
 * runc-compatible events to any number of `berth events` clients.
 * One epoll loop (loop.h), fds only (signalfd, timerfd, inotify), no threads. */
#pragma once
#include "cgroup-stats.h"
#include "cgroup.h"
#include "loop.h"
#include "monitor-proto.h"
#include "state.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Monitor Monitor;
typedef struct Client Client;

typedef struct
{
  Monitor *m;
  char *id;
  int dir_wd;                  /* inotify watch on ROOT/ID, -1 */
  bool running;                /* init alive and watched */
  BerthCgroup *cgroup;         /* NULL: the container has none (rootless) */
  BerthStatsSource *stats;
  BerthStatsReader *reader;    /* the cgroup part of stats, NULL without a cgroup */
  int pidfd;
  MonitorWatch *pidfd_watch;
  int oom_efd;                 /* v1/hybrid: eventfd on memory.oom_control */
  MonitorWatch *oom_watch;
  int mem_events_wd;           /* v2: memory.events, cgroup.events */
  int cg_events_wd;
  int64_t oom_kills;
  GArray *config_wds;          /* int: IN_MODIFY watches on limit files */
} Container;

struct Client
{
  Monitor *m;
  int fd;                      /* the connection */
  int passed_fd;               /* the client's stdout, passed with its request; -1 */
  int out_fd;                  /* where the stream goes: fd, or the client's stdout (direct) */
  bool out_is_socket;          /* written with send (MSG_DONTWAIT), not write */
  MonitorWatch *in_watch, *out_watch;
  GString *in, *out;
  bool subscribed;
  BerthMonitorRequest req;
  int timer_fd;
  MonitorWatch *timer_watch;
  bool closing;                /* close once out is flushed */
};

struct Monitor
{
  char *root;
  int root_fd;
  int inotify_fd;
  int root_wd;
  int listen_fd;
  int grace_fd;                /* timerfd: exit when still idle */
  bool grace_armed;
  uint64_t grace_ms;
  GHashTable *containers;      /* id -> Container* */
  GHashTable *wds;             /* wd -> Container* (dir, memory.events, cgroup.events) */
  GPtrArray *clients;          /* Client* */
  GString *scratch;
  int exit_code;
};

/* containers.c */
bool monitor_containers_start (Monitor *m, GError **error);
void monitor_containers_stop (Monitor *m);
Container *monitor_container_get (Monitor *m, const char *id);
/* One sample as a complete line ({"type":"stats",...}\n) appended to out;
 * false when the cgroup cannot be read. */
bool monitor_container_sample (Container *c, GString *out);

/* clients.c */
bool monitor_clients_start (Monitor *m, GError **error);
void monitor_clients_stop (Monitor *m);
/* Deliver a line to every client subscribed to c (or to all containers). */
void monitor_broadcast (Monitor *m, Container *c, const char *line, gsize len);
/* The container's stream ended (init exited or deleted): close its
 * per-container clients once their output is flushed. */
void monitor_container_ended (Monitor *m, Container *c);
/* Re-evaluate the idle grace timer (no clients -> exit after grace). */
void monitor_check_idle (Monitor *m);
