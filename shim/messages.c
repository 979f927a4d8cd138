/* The shim's own messages, as conmon's: --log-level filters them (error,
 * warning [default], info, debug, trace; fatal/panic = error), they go to
 * stderr (podman's until the shim daemonizes, /dev/null after) and, with
 * --syslog, also to syslog through /dev/log (conmon's form: "conmon
 * <cid> <level>: message", facility user).  Every g_error..g_debug of the
 * shim goes through here (GLib's default handler).  The syslog socket path
 * can be overridden with BERTH_SHIM_SYSLOG_SOCKET (tests). */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

bool
shim_messages_parse_level (const char *name, int *ret, GError **error)
{
  static const struct { const char *name; int level; } names[] = {
    { "error", SHIM_MSG_ERROR }, { "fatal", SHIM_MSG_ERROR }, { "panic", SHIM_MSG_ERROR },
    { "warning", SHIM_MSG_WARNING }, { "warn", SHIM_MSG_WARNING }, { "info", SHIM_MSG_INFO },
    { "debug", SHIM_MSG_DEBUG }, { "trace", SHIM_MSG_TRACE },
  };
  if (name == NULL)
    {
      *ret = SHIM_MSG_WARNING;
      return true;
    }
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcasecmp (name, names[i].name) == 0)
      {
        *ret = names[i].level;
        return true;
      }
  return berth_fail_code (error, EINVAL, "--log-level: no such log level '%s' (error, warning, info, debug, trace)", name);
}

static int
glib_to_level (GLogLevelFlags flags)
{
  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return SHIM_MSG_ERROR;
  if (flags & G_LOG_LEVEL_WARNING)
    return SHIM_MSG_WARNING;
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return SHIM_MSG_INFO;
  return SHIM_MSG_DEBUG;
}

static void
send_syslog (ShimMessages *m, int level, const char *msg)
{
  static const int prio[] = { [SHIM_MSG_ERROR] = LOG_ERR, [SHIM_MSG_WARNING] = LOG_WARNING,
                              [SHIM_MSG_INFO] = LOG_INFO, [SHIM_MSG_DEBUG] = LOG_DEBUG, [SHIM_MSG_TRACE] = LOG_DEBUG };
  static const char *tag[] = { [SHIM_MSG_ERROR] = "nexit", [SHIM_MSG_WARNING] = "nwarn",
                               [SHIM_MSG_INFO] = "ninfo", [SHIM_MSG_DEBUG] = "ndebug", [SHIM_MSG_TRACE] = "ntrace" };
  if (m->fd < 0)
    {
      const char *path = g_getenv ("BERTH_SHIM_SYSLOG_SOCKET");
      struct sockaddr_un addr = { .sun_family = AF_UNIX };
      g_strlcpy (addr.sun_path, path && *path ? path : "/dev/log", sizeof addr.sun_path);
      int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0)
        return;
      if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
        {
          close (fd);  /* no syslog daemon: the message is dropped, as with syslog(3) */
          return;
        }
      m->fd = fd;
    }
  /* RFC 3164, as syslog(3) sends it: <PRI>TIMESTAMP TAG[PID]: MSG */
  char ts[32];
  time_t now = time (NULL);
  struct tm tm;
  localtime_r (&now, &tm);
  strftime (ts, sizeof ts, "%b %e %T", &tm);
  g_autofree char *line = g_strdup_printf ("<%d>%s berth-shim[%d]: conmon %s <%s>: %s", LOG_USER | prio[level], ts,
                                           (int) getpid (), m->cid, tag[level], msg);
  if (send (m->fd, line, strlen (line), MSG_NOSIGNAL) < 0 && errno != EAGAIN)
    berth_close_fdp (&m->fd);  /* reconnect at the next message (the daemon restarted) */
}

static void
log_handler (const char *domain, GLogLevelFlags flags, const char *msg, gpointer data)
{
  ShimMessages *m = data;
  int level = glib_to_level (flags);
  if (level > m->level)
    return;
  static const char letter[] = { [SHIM_MSG_ERROR] = 'e', [SHIM_MSG_WARNING] = 'w', [SHIM_MSG_INFO] = 'i',
                                 [SHIM_MSG_DEBUG] = 'd', [SHIM_MSG_TRACE] = 't' };
  fprintf (stderr, "[berth-shim:%c]: %s\n", letter[level], msg);
  if (m->syslog)
    send_syslog (m, level, msg);
}

void
shim_messages_setup (ShimMessages *m, int level, bool use_syslog, const char *cid)
{
  m->level = level;
  m->syslog = use_syslog;
  g_strlcpy (m->cid, cid ? cid : "", sizeof m->cid);
  m->fd = -1;
  g_log_set_default_handler (log_handler, m);
}

void
shim_messages_close (ShimMessages *m)
{
  berth_close_fdp (&m->fd);
}
