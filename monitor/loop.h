/* berth-monitor's event loop: epoll, fds only, level-triggered.
 *
 * Why not the GLib main loop the shim uses (shared/mainloop.h): the monitor
 * wakes once per sampling tick, and a GLib iteration polls every fd it has
 * (poll() sets up and tears down a wait on each, two container fds and two
 * or three client fds apiece) and walks every source in prepare and check;
 * epoll_wait returns only the ready fd.  Measured after a second's sleep on
 * our VMs: a bare loop doing the same reads, 215 us per tick with GLib, 169
 * with epoll; the monitor itself (old and new alternated), 288 -> 274 us.
 *
 * A callback returns true to keep its watch, false to have it removed (its
 * owner forgets the handle first, as with GLib's G_SOURCE_REMOVE).  A watch
 * may be removed at any time, from any callback: a removed watch is never
 * called again, not even for an event already returned in the same batch.
 * A callback that closes its fd removes the watch itself first
 * (monitor_unwatch, then close): a removal after the close would be an
 * EPOLL_CTL_DEL of a closed, or already reused, fd number.
 * Quit ends the run once the current batch is dispatched. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

typedef struct MonitorWatch MonitorWatch;
typedef bool (*MonitorWatchFn) (int fd, uint32_t events, void *data);

bool monitor_loop_init (GError **error);
/* Watch fd for events (EPOLLIN, EPOLLOUT; EPOLLHUP and EPOLLERR always).
 * The same fd may be watched twice (say, for input and for output). */
MonitorWatch *monitor_watch (int fd, uint32_t events, MonitorWatchFn fn, void *data);
/* Remove *w (when not NULL) and clear it.  Before closing the fd. */
void monitor_unwatch (MonitorWatch **w);
void monitor_loop_run (void);
void monitor_loop_quit (void);
/* After the run: the remaining watches and the epoll fd. */
void monitor_loop_free (void);
