/* What `berth events` and berth-monitor share: the socket's place in the
 * state root, the one-line request, and Go duration syntax for --interval.
 *
 * Protocol (SOCK_STREAM, ROOT/.monitor.sock): the client sends one line
 *   "events <interval_ns> <once:0|1> <container-id or *>\n"
 * and the monitor answers "+\n" (accepted) followed by runc-compatible JSON
 * lines ({"type":...}), or one error line "!<errno> <message>\n".  The monitor closes the stream
 * when there is nothing more to say (once: after the sample; a container's
 * stream: after its final sample when its init exits or it is deleted).
 *
 * A subscribing client may pass its stdout with the request (SCM_RIGHTS on
 * the request's bytes).  When the monitor can write there without ever
 * waiting on an unknown reader (a pipe, through its own non-blocking open; a
 * socket; a regular file; /dev/null) it answers "+fd\n" and writes the JSON
 * lines there itself: the client then sleeps until the end instead of waking
 * for every sample.  The stream then carries at most one error line
 * ("!<errno> <message>\n", a failed write) before it closes.  Otherwise it
 * answers "+\n" and relays as above. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define BERTH_MONITOR_SOCKET ".monitor.sock"
/* The answer lines (each followed by "\n"). */
#define BERTH_MONITOR_ACK "+"
#define BERTH_MONITOR_ACK_DIRECT "+fd"

/* "/proc/self/fd/<root_fd>/.monitor.sock": any root path fits sun_path. */
char *berth_monitor_socket_path (int root_fd);

typedef struct
{
  uint64_t interval_ns;   /* > 0 */
  bool once;              /* --stats: one sample, then end */
  char *id;               /* NULL = every container (--all) */
} BerthMonitorRequest;
void berth_monitor_request_clear (BerthMonitorRequest *req);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BerthMonitorRequest, berth_monitor_request_clear)

char *berth_monitor_request_format (const BerthMonitorRequest *req);
/* Parse one line (without the newline). */
bool berth_monitor_request_parse (const char *line, BerthMonitorRequest *ret, GError **error);

/* Go's time.ParseDuration: "300ms", "1.5h", "2h45m", "1us"/"1µs", "0".
 * Negative or overflowing durations are refused.  Nanoseconds. */
bool berth_parse_go_duration (const char *text, uint64_t *ret_ns, GError **error);
