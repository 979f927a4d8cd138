/* The ctl and winsz fifos in the bundle.  ctl lines: "1 <rows> <cols>"
 * (resize the pty), "2 0 0" or "2" (reopen the log files).  winsz lines:
 * "<rows> <cols>".  Both read ends stay open, with a write end of our own
 * so that a writer closing does not make the fifo report HUP forever.
 * Every complete line of a read is processed (conmon re-parses the first). */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void
ctl_line (Shim *s, const char *line, bool winsz)
{
  int type, a, b;
  if (winsz)
    {
      g_autofree char *l = g_strconcat ("1 ", line, NULL);
      if (shim_ctl_parse_line (l, &type, &a, &b))
        shim_resize (s, a, b);
      return;
    }
  if (!shim_ctl_parse_line (line, &type, &a, &b))
    {
      g_debug ("ctl: malformed message '%s'", line);
      return;
    }
  switch (type)
    {
    case 1: shim_resize (s, a, b); break;
    case 2: shim_logs_reopen (&s->logs); break;
    default: g_debug ("ctl: unknown message type %d", type);
    }
}

static void
fifo_read (Shim *s, int fd, char *buf, size_t *len, size_t cap, bool winsz)
{
  for (;;)
    {
      ssize_t n = read (fd, buf + *len, cap - 1 - *len);
      if (n <= 0)
        return;
      *len += (size_t) n;
      buf[*len] = '\0';
      char *start = buf, *nl;
      while ((nl = memchr (start, '\n', (size_t) (buf + *len - start))) != NULL)
        {
          *nl = '\0';
          ctl_line (s, start, winsz);
          start = nl + 1;
        }
      size_t rest = (size_t) (buf + *len - start);
      if (rest == cap - 1)  /* an over-long line: throw it away */
        rest = 0;
      memmove (buf, start, rest);
      *len = rest;
    }
}

static gboolean
ctl_cb (int fd, GIOCondition cond, gpointer data)
{
  Shim *s = data;
  fifo_read (s, fd, s->ctl_buf, &s->ctl_len, sizeof s->ctl_buf, false);
  return G_SOURCE_CONTINUE;
}

static gboolean
winsz_cb (int fd, GIOCondition cond, gpointer data)
{
  Shim *s = data;
  fifo_read (s, fd, s->winsz_buf, &s->winsz_len, sizeof s->winsz_buf, true);
  return G_SOURCE_CONTINUE;
}

static bool
fifo_open (const char *dir, const char *name, int *ret_r, int *ret_w, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (unlink (path) < 0 && errno != ENOENT)
    return berth_fail_errno (error, errno, "remove old %s", path);
  if (mkfifo (path, 0660) < 0)
    return berth_fail_errno (error, errno, "mkfifo %s", path);
  int r = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (r < 0)
    return berth_fail_errno (error, errno, "open %s", path);
  int w = open (path, O_WRONLY | O_CLOEXEC);
  if (w < 0)
    {
      close (r);
      return berth_fail_errno (error, errno, "open %s for writing", path);
    }
  *ret_r = r;
  *ret_w = w;
  return true;
}

bool
shim_ctl_open (Shim *s, GError **error)
{
  if (!fifo_open (s->o->bundle, "ctl", &s->ctl_fd, &s->ctl_wfd, error)
      || !fifo_open (s->o->bundle, "winsz", &s->winsz_fd, &s->winsz_wfd, error))
    return false;
  s->ctl_src = berth_fd_add (s->ctl_fd, G_IO_IN, ctl_cb, s);
  s->winsz_src = berth_fd_add (s->winsz_fd, G_IO_IN, winsz_cb, s);
  return true;
}
