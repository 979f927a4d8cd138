/* The one way berth-shim watches an fd in the GLib main loop.  (berth-monitor,
 * which wakes every sampling tick, has its own epoll loop: monitor/loop.h.) */
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

/* For a daemon about to sit idle (the shim once its container runs): the
 * next time the default main context is about to block in poll() for long
 * (no timeout, or one of a second or more) with nothing ready, it first
 * gives back what start-up used and waiting does not need.  Freed heap goes
 * back to the kernel (malloc_trim), and the program's read-only segments
 * (code, constants) are unmapped from this process with MADV_DONTNEED: the
 * pages stay in the page cache, shared, and fault back in when code runs
 * again.  Writable segments (relocated data, .data, .bss) and shared
 * libraries are never touched.  Waiting for the block matters: whatever ran
 * between the unmapping and the block (the rest of this dispatch, the loop's
 * own bookkeeping) would fault its code straight back. */
void berth_release_idle_memory_before_next_wait (void);
