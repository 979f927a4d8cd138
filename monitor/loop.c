/* berth-monitor's epoll loop (loop.h). */
#include "loop.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define MAX_EVENTS 64

struct MonitorWatch
{
  int fd;                 /* the caller's fd */
  int epoll_fd;           /* fd in the epoll set: fd, or our dup of it when fd was already there */
  MonitorWatchFn fn;
  void *data;
  bool removed;
};

static struct
{
  int epfd;
  bool quit;
  bool dispatching;
  GPtrArray *watches;     /* MonitorWatch*, all live ones */
  GPtrArray *removed;     /* removed during a dispatch: freed after it */
} loop = { .epfd = -1 };

bool
monitor_loop_init (GError **error)
{
  loop.epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (loop.epfd < 0)
    return berth_fail_errno (error, errno, "epoll_create1");
  loop.watches = g_ptr_array_new ();
  loop.removed = g_ptr_array_new_with_free_func (g_free);
  return true;
}

MonitorWatch *
monitor_watch (int fd, uint32_t events, MonitorWatchFn fn, void *data)
{
  MonitorWatch *w = g_new0 (MonitorWatch, 1);
  w->fd = w->epoll_fd = fd;
  w->fn = fn;
  w->data = data;
  struct epoll_event ev = { .events = events, .data.ptr = w };
  if (epoll_ctl (loop.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST)
    {
      /* epoll keeps one entry per fd: a second watch gets its own fd for
       * the same open file. */
      w->epoll_fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
      if (w->epoll_fd >= 0)
        epoll_ctl (loop.epfd, EPOLL_CTL_ADD, w->epoll_fd, &ev);
    }
  g_ptr_array_add (loop.watches, w);
  return w;
}

static void
watch_remove (MonitorWatch *w)
{
  epoll_ctl (loop.epfd, EPOLL_CTL_DEL, w->epoll_fd, NULL);
  if (w->epoll_fd != w->fd)
    berth_close_fdp (&w->epoll_fd);
  w->removed = true;
  g_ptr_array_remove_fast (loop.watches, w);
  if (loop.dispatching)
    g_ptr_array_add (loop.removed, w);
  else
    g_free (w);
}

void
monitor_unwatch (MonitorWatch **w)
{
  if (*w != NULL)
    watch_remove (g_steal_pointer (w));
}

void
monitor_loop_run (void)
{
  struct epoll_event evs[MAX_EVENTS];
  loop.quit = false;
  while (!loop.quit)
    {
      int n = epoll_wait (loop.epfd, evs, MAX_EVENTS, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      loop.dispatching = true;
      for (int i = 0; i < n; i++)
        {
          MonitorWatch *w = evs[i].data.ptr;
          if (!w->removed && !w->fn (w->fd, evs[i].events, w->data) && !w->removed)
            watch_remove (w);
        }
      loop.dispatching = false;
      g_ptr_array_set_size (loop.removed, 0);
    }
}

void
monitor_loop_quit (void)
{
  loop.quit = true;
}

void
monitor_loop_free (void)
{
  while (loop.watches != NULL && loop.watches->len > 0)
    {
      MonitorWatch *w = loop.watches->pdata[0];
      watch_remove (w);
    }
  g_clear_pointer (&loop.watches, g_ptr_array_unref);
  g_clear_pointer (&loop.removed, g_ptr_array_unref);
  berth_close_fdp (&loop.epfd);
}
