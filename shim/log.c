/* Log drivers: k8s-file (conmon's format, --log-size-max truncation, reopen),
 * journald (the native protocol on /run/systemd/journal/socket, when it
 * exists), passthrough, none.  A write error (ENOSPC, EIO...) drops the data
 * and counts it: it never stops the shim or the container. */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct ShimLogSink
{
  ShimLogDriver driver;
  char *path;
  int fd;
  int64_t size, max;
  ShimLogs *logs;
  /* journald */
  char *fields;        /* constant "KEY=value\n" fields */
  char *scratch;       /* k8s-file: SHIM_K8S_SCRATCH_SIZE, at the first write */
  bool failing;        /* the last write failed (warned once until one succeeds) */
};

static void
sink_free (gpointer p)
{
  ShimLogSink *k = p;
  berth_close_fdp (&k->fd);
  g_free (k->path);
  g_free (k->fields);
  g_free (k->scratch);
  g_free (k);
}

static bool
k8s_open (ShimLogSink *k, GError **error)
{
  int fd = open (k->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    return berth_fail_errno (error, errno, "--log-path: open %s", k->path);
  struct stat st;
  k->size = fstat (fd, &st) == 0 ? st.st_size : 0;
  berth_close_fdp (&k->fd);
  k->fd = fd;
  return true;
}

/* conmon: flush, fsync, then replace the file by an empty one (path.tmp
 * opened O_TRUNC and renamed over it). */
static void
k8s_truncate (ShimLogSink *k)
{
  g_autofree char *tmp = g_strconcat (k->path, ".tmp", NULL);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    return;
  if (rename (tmp, k->path) < 0)
    {
      close (fd);
      unlink (tmp);
      return;
    }
  if (k->fd >= 0)
    close (k->fd);
  k->fd = fd;
  k->size = 0;
}

/* Write the iovecs (short writes resumed); a failed write drops the rest. */
static void
k8s_write (ShimLogSink *k, const struct iovec *iov, int iovcnt)
{
  /* writev with short-write handling, without modifying the caller's iovecs. */
  struct iovec local[4];
  memcpy (local, iov, sizeof *iov * (size_t) iovcnt);
  struct iovec *v = local;
  int cnt = iovcnt;
  while (cnt > 0)
    {
      ssize_t w = writev (k->fd, v, cnt);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          /* ENOSPC, EIO, EFBIG...: drop what is left of this chunk. */
          if (!k->failing)
            g_warning ("log %s: %s: records dropped until a write succeeds", k->path, g_strerror (errno));
          k->failing = true;
          size_t left = 0;
          for (int i = 0; i < cnt; i++)
            left += v[i].iov_len;
          k->logs->dropped_bytes += left;
          return;
        }
      k->size += w;
      k->failing = false;
      while (cnt > 0 && (size_t) w >= v->iov_len)
        {
          w -= (ssize_t) v->iov_len;
          v++;
          cnt--;
        }
      if (cnt > 0)
        {
          v->iov_base = (char *) v->iov_base + w;
          v->iov_len -= (size_t) w;
        }
    }
}

/* --log-size-max as conmon applies it: before a record that would take the
 * file past the limit, the file is replaced by an empty one.  A single
 * iovec is a block of whole records (k8s-log.c), each ending in '\n': when
 * it does not fit, the limit is checked record by record, so that the file
 * ends holding at most the limit (conmon checks every line); the records
 * between two truncations go out in one write. */
static bool
k8s_emit (void *user, const struct iovec *iov, int iovcnt)
{
  ShimLogSink *k = user;
  size_t total = 0;
  for (int i = 0; i < iovcnt; i++)
    total += iov[i].iov_len;
  if (iovcnt > 4)
    return false;
  if (k->fd < 0)
    {
      k->logs->dropped_bytes += total;
      return true;
    }
  if (k->max <= 0 || k->size + (int64_t) total <= k->max || iovcnt > 1)
    {
      if (k->max > 0 && k->size > 0 && k->size + (int64_t) total > k->max)
        k8s_truncate (k);
      k8s_write (k, iov, iovcnt);
      return true;
    }
  const char *group = iov[0].iov_base, *p = group, *end = p + iov[0].iov_len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t l = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
      int64_t before = k->size + (int64_t) (p - group);   /* the file's size before this record */
      if (before > 0 && before + (int64_t) l > k->max)
        {
          struct iovec done = { (void *) group, (size_t) (p - group) };
          if (done.iov_len > 0)
            k8s_write (k, &done, 1);
          k8s_truncate (k);
          group = p;
        }
      p += l;
    }
  struct iovec rest = { (void *) group, (size_t) (end - group) };
  k8s_write (k, &rest, 1);
  return true;
}

static bool
journald_open (ShimLogSink *k, const ShimOptions *o, GError **error)
{
  const char *path = g_getenv ("BERTH_SHIM_JOURNAL_SOCKET");
  if (path == NULL)
    path = JOURNAL_SOCKET;
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return berth_fail_errno (error, errno, "--log-path journald: socket");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    {
      close (fd);
      return berth_fail (error, "--log-path journald: socket path too long");
    }
  strcpy (addr.sun_path, path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      /* No journal here: nothing to write to, as conmon without systemd. */
      close (fd);
      fd = -1;
    }
  k->fd = fd;
  GString *f = g_string_new (NULL);
  char shortid[13];
  g_strlcpy (shortid, o->cid, sizeof shortid);
  g_string_append_printf (f, "CONTAINER_ID=%s\nCONTAINER_ID_FULL=%s\n", shortid, o->cid);
  if (o->name)
    g_string_append_printf (f, "CONTAINER_NAME=%s\n", o->name);
  if (o->log_tag)
    g_string_append_printf (f, "CONTAINER_TAG=%s\nSYSLOG_IDENTIFIER=%s\n", o->log_tag, o->log_tag);
  else
    g_string_append_printf (f, "SYSLOG_IDENTIFIER=%s\n", shortid);
  for (char **l = o->log_labels; l && *l; l++)
    if (strchr (*l, '=') && !strchr (*l, '\n'))
      g_string_append_printf (f, "%s\n", *l);
  k->fields = g_string_free (f, FALSE);
  return true;
}

static void
journald_write (ShimLogSink *k, ShimStream stream, const char *buf, size_t len)
{
  size_t pos = 0;
  while (pos < len)
    {
      const char *nl = memchr (buf + pos, '\n', len - pos);
      size_t l = nl ? (size_t) (nl - (buf + pos)) : len - pos;
      bool partial = nl == NULL;
      if (k->fd < 0)
        {
          k->logs->dropped_bytes += l;
          pos += l + (nl ? 1 : 0);
          continue;
        }
      /* MESSAGE in the binary-safe form: "MESSAGE\n" <le64 size> <bytes> "\n". */
      uint64_t le = GUINT64_TO_LE ((uint64_t) l);
      const char *prio = stream == SHIM_STREAM_STDERR ? "PRIORITY=3\n" : "PRIORITY=6\n";
      const char *part = partial ? "CONTAINER_PARTIAL_MESSAGE=true\n" : "";
      struct iovec iov[] = {
        { k->fields, strlen (k->fields) },
        { (void *) prio, strlen (prio) },
        { (void *) part, strlen (part) },
        { (void *) "MESSAGE\n", 8 },
        { &le, sizeof le },
        { (void *) (buf + pos), l },
        { (void *) "\n", 1 },
      };
      struct msghdr msg = { .msg_iov = iov, .msg_iovlen = G_N_ELEMENTS (iov) };
      if (sendmsg (k->fd, &msg, MSG_NOSIGNAL) < 0)
        k->logs->dropped_bytes += l;
      pos += l + (nl ? 1 : 0);
    }
}

bool
shim_logs_open (ShimLogs *logs, const ShimOptions *o, GError **error)
{
  logs->sinks = g_ptr_array_new_with_free_func (sink_free);
  for (char **p = o->log_paths; p && *p; p++)
    {
      const char *spec = *p;
      g_autofree ShimLogSink *k = g_new0 (ShimLogSink, 1);
      k->fd = -1;
      k->logs = logs;
      k->max = o->log_size_max;
      const char *colon = strchr (spec, ':');
      if (g_str_equal (spec, "none") || g_str_equal (spec, "off") || g_str_equal (spec, "null")
          || g_str_has_prefix (spec, "none:"))
        continue;
      if (g_str_equal (spec, "passthrough") || g_str_has_prefix (spec, "passthrough:"))
        k->driver = SHIM_LOG_PASSTHROUGH;
      else if (g_str_has_prefix (spec, "journald"))
        {
          k->driver = SHIM_LOG_JOURNALD;
          if (!journald_open (k, o, error))
            return false;
        }
      else
        {
          const char *path = spec;
          if (g_str_has_prefix (spec, "k8s-file:"))
            path = spec + strlen ("k8s-file:");
          else if (colon != NULL && spec[0] != '/')
            return berth_fail (error, "--log-path: unknown log driver in '%s' (k8s-file:, journald:, passthrough, none)", spec);
          if (*path == '\0')
            return berth_fail (error, "--log-path: '%s': empty path", spec);
          k->driver = SHIM_LOG_K8S_FILE;
          k->path = g_strdup (path);
          if (!k8s_open (k, error))
            return false;
        }
      g_ptr_array_add (logs->sinks, g_steal_pointer (&k));
    }
  return true;
}

bool
shim_logs_passthrough (const ShimLogs *logs)
{
  for (guint i = 0; i < logs->sinks->len; i++)
    if (((ShimLogSink *) logs->sinks->pdata[i])->driver == SHIM_LOG_PASSTHROUGH)
      return true;
  return false;
}

void
shim_logs_write (ShimLogs *logs, ShimStream stream, const char *buf, size_t len)
{
  char ts[64] = "";
  for (guint i = 0; i < logs->sinks->len; i++)
    {
      ShimLogSink *k = logs->sinks->pdata[i];
      if (k->driver == SHIM_LOG_K8S_FILE)
        {
          if (ts[0] == '\0')
            {
              struct timespec now;
              clock_gettime (CLOCK_REALTIME, &now);
              shim_k8s_timestamp (ts, sizeof ts, &now);
            }
          if (k->scratch == NULL)
            k->scratch = g_malloc (SHIM_K8S_SCRATCH_SIZE);
          shim_k8s_format (ts, stream == SHIM_STREAM_STDERR ? "stderr" : "stdout", buf, len, k->scratch,
                           SHIM_K8S_SCRATCH_SIZE, k8s_emit, k);
        }
      else if (k->driver == SHIM_LOG_JOURNALD)
        journald_write (k, stream, buf, len);
    }
}

void
shim_logs_reopen (ShimLogs *logs)
{
  for (guint i = 0; i < logs->sinks->len; i++)
    {
      ShimLogSink *k = logs->sinks->pdata[i];
      if (k->driver == SHIM_LOG_K8S_FILE)
        {
          g_autoptr (GError) err = NULL;
          if (!k8s_open (k, &err))
            g_debug ("%s", err->message);
        }
    }
}

void
shim_logs_sync (ShimLogs *logs)
{
  for (guint i = 0; i < logs->sinks->len; i++)
    {
      ShimLogSink *k = logs->sinks->pdata[i];
      if (k->driver == SHIM_LOG_K8S_FILE && k->fd >= 0)
        fsync (k->fd);
    }
}

void
shim_logs_close (ShimLogs *logs)
{
  g_clear_pointer (&logs->sinks, g_ptr_array_unref);
}
