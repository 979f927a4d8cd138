/* The one way Berth's daemons (berth-shim, berth-monitor) watch an fd in the
 * GLib main loop. */
#pragma once
#include <glib.h>
#include <glib-unix.h>

/* g_unix_fd_add, but the source is not blocked while it is dispatched: GLib
 * blocks a source by removing and re-adding its fd, which costs an eventfd
 * write, a read and one more poll() per dispatch.  Neither daemon iterates the
 * loop from a callback, so nothing can recurse. */
static inline guint
berth_fd_add (int fd, GIOCondition cond, GUnixFDSourceFunc func, gpointer data)
{
  GSource *src = g_unix_fd_source_new (fd, cond);
  g_source_set_callback (src, G_SOURCE_FUNC (func), data, NULL);
  g_source_set_can_recurse (src, TRUE);
  guint id = g_source_attach (src, NULL);
  g_source_unref (src);
  return id;
}
