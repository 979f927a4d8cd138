/* --sdnotify-socket PATH: listen on <bundle>/notify/notify.sock (DGRAM; podman
 * bind-mounts it into the container as NOTIFY_SOCKET) and forward only
 * READY=1 and WATCHDOG=1 lines to the host's PATH, as conmon does. */
#include "shim.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static bool
sun_set (struct sockaddr_un *addr, const char *path)
{
  memset (addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen (path) >= sizeof addr->sun_path)
    return false;
  strcpy (addr->sun_path, path);
  return true;
}

static gboolean
notify_cb (int fd, GIOCondition cond, gpointer data)
{
  Shim *s = data;
  char buf[4096];
  /* MSG_TRUNC: the datagram's real length.  A longer one is ignored whole,
   * as systemd does: cut at the buffer, "READY=1X..." could read READY=1. */
  ssize_t n = recv (fd, buf, sizeof buf - 1, MSG_DONTWAIT | MSG_TRUNC);
  if (n <= 0)
    return G_SOURCE_CONTINUE;
  if (n > (ssize_t) sizeof buf - 1)
    {
      g_debug ("sdnotify: ignoring a datagram of %zd bytes (more than %zu)", n, sizeof buf - 1);
      return G_SOURCE_CONTINUE;
    }
  buf[n] = '\0';
  GString *out = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (buf, "\n", -1);
  for (char **l = lines; *l; l++)
    if (g_str_equal (*l, "READY=1") || g_str_equal (*l, "WATCHDOG=1"))
      g_string_append_printf (out, "%s\n", *l);
  struct sockaddr_un addr;
  if (out->len > 0 && sun_set (&addr, s->o->sdnotify_socket))
    {
      int c = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (c >= 0)
        {
          if (sendto (c, out->str, out->len, MSG_NOSIGNAL, (struct sockaddr *) &addr, sizeof addr) < 0)
            g_debug ("sdnotify: %s", g_strerror (errno));
          close (c);
        }
    }
  g_string_free (out, TRUE);
  return G_SOURCE_CONTINUE;
}

bool
shim_sdnotify_listen (Shim *s, GError **error)
{
  if (s->o->sdnotify_socket == NULL)
    return true;
  g_autofree char *dir = g_build_filename (s->o->bundle, "notify", NULL);
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return berth_fail_errno (error, errno, "--sdnotify-socket: mkdir %s", dir);
  g_autofree char *path = g_build_filename (dir, "notify.sock", NULL);
  unlink (path);
  struct sockaddr_un addr;
  if (!sun_set (&addr, path))
    return berth_fail (error, "--sdnotify-socket: %s: path too long", path);
  berth_autofd int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return berth_fail_errno (error, errno, "--sdnotify-socket: bind %s", path);
  chmod (path, 0777);
  berth_fd_add (berth_steal_fd (&fd), G_IO_IN, notify_cb, s);
  return true;
}
