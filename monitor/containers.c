/* Container discovery and watches: inotify on the state root (container
 * dirs appearing and going) and on each ROOT/ID (state.json written, dir
 * removed); per running container a pidfd (init exit: final sample), and OOM
 * notification without polling: v1/hybrid an eventfd registered on
 * memory.oom_control, v2 inotify IN_MODIFY on memory.events (oom_kill) and
 * cgroup.events (populated 0).  Nothing here keeps a cgroup busy: O_PATH dir
 * fds, an eventfd and inotify watches do not prevent rmdir, and no cwd is
 * ever inside a cgroup. */
#include "monitor.h"

#include "error.h"
#include "json-out.h"
#include "loop.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_MASK (IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_ONLYDIR)
#define ROOT_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_ONLYDIR)

static void
unwatch (Monitor *m, int *wd)
{
  if (*wd < 0)
    return;
  g_hash_table_remove (m->wds, GINT_TO_POINTER (*wd));
  inotify_rm_watch (m->inotify_fd, *wd);
  *wd = -1;
}

/* Stop watching a running container (its init exited or it went away). */
static void
container_unwatch_running (Container *c)
{
  Monitor *m = c->m;
  c->running = false;
  monitor_unwatch (&c->pidfd_watch);
  monitor_unwatch (&c->oom_watch);
  berth_close_fdp (&c->pidfd);
  berth_close_fdp (&c->oom_efd);
  unwatch (m, &c->mem_events_wd);
  unwatch (m, &c->cg_events_wd);
  for (guint i = 0; c->config_wds && i < c->config_wds->len; i++)
    unwatch (m, &g_array_index (c->config_wds, int, i));
  g_clear_pointer (&c->config_wds, g_array_unref);
  c->reader = NULL;
  g_clear_pointer (&c->stats, berth_stats_source_free);
  g_clear_pointer (&c->cgroup, berth_cgroup_free);
}

static void
container_free (Container *c)
{
  container_unwatch_running (c);
  unwatch (c->m, &c->dir_wd);
  g_free (c->id);
  g_free (c);
}

static void
emit_oom (Container *c)
{
  Monitor *m = c->m;
  GString *s = m->scratch;
  g_string_truncate (s, 0);
  g_string_append (s, "{\"type\":\"oom\",\"id\":");
  berth_json_string (s, c->id);
  g_string_append (s, "}\n");
  monitor_broadcast (m, c, s->str, s->len);
}

/* v2: compare the oom_kill counter; true when it grew. */
static bool
oom_counter_grew (Container *c)
{
  if (c->reader == NULL)
    return false;
  int64_t n = berth_stats_reader_oom_kills (c->reader);
  if (n < 0 || n <= c->oom_kills)
    return false;
  c->oom_kills = n;
  return true;
}

/* v1: drain the eventfd; true when it had fired and the cgroup still exists
 * (the eventfd also fires when the cgroup is removed). */
static bool
oom_eventfd_fired (Container *c)
{
  uint64_t n;
  if (c->oom_efd < 0 || read (c->oom_efd, &n, sizeof n) != sizeof n)
    return false;
  return c->reader != NULL && berth_stats_reader_oom_kills (c->reader) >= 0;
}

bool
monitor_container_sample (Container *c, GString *out)
{
  return c->stats != NULL && berth_stats_source_append_line (c->stats, c->id, out, NULL);
}

/* The init exited (or the cgroup emptied, or the container is going): report
 * a pending OOM, take the final sample while the cgroup is still there, end
 * the container's streams. */
static void
container_ended (Container *c)
{
  if (!c->running)
    return;
  Monitor *m = c->m;
  if (oom_eventfd_fired (c) || (c->oom_efd < 0 && oom_counter_grew (c)))
    emit_oom (c);
  g_string_truncate (m->scratch, 0);
  if (monitor_container_sample (c, m->scratch))
    monitor_broadcast (m, c, m->scratch->str, m->scratch->len);
  container_unwatch_running (c);
  monitor_container_ended (m, c);
}

static bool
on_pidfd (int fd, uint32_t events, void *data)
{
  Container *c = data;
  container_ended (c);                 /* removes this watch, then closes the pidfd */
  monitor_unwatch (&c->pidfd_watch);   /* never left firing (level-triggered) */
  return true;
}

static bool
on_oom_eventfd (int fd, uint32_t events, void *data)
{
  Container *c = data;
  if (oom_eventfd_fired (c))
    {
      emit_oom (c);
      return true;
    }
  /* The cgroup is gone (or the eventfd broke): no more OOM events. */
  monitor_unwatch (&c->oom_watch);
  berth_close_fdp (&c->oom_efd);
  return true;
}

static int
add_watch (Monitor *m, const char *path, uint32_t mask, Container *c)
{
  int wd = inotify_add_watch (m->inotify_fd, path, mask);
  if (wd >= 0)
    g_hash_table_insert (m->wds, GINT_TO_POINTER (wd), c);
  return wd;
}

/* The reader's config files (limits): re-read only after a write to them. */
static int
watch_config_file (int fd, gpointer data)
{
  Container *c = data;
  char path[64];
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  int wd = add_watch (c->m, path, IN_MODIFY, c);
  if (wd >= 0)
    {
      if (c->config_wds == NULL)
        c->config_wds = g_array_new (FALSE, FALSE, sizeof (int));
      g_array_append_val (c->config_wds, wd);
    }
  return wd;
}

/* Read ROOT/ID/state.json; when the init is alive, start watching it. */
static void
container_load (Container *c)
{
  Monitor *m = c->m;
  if (c->running)
    return;
  berth_autofd int dir_fd = berth_state_dir_open (m->root_fd, c->id, NULL);
  if (dir_fd < 0)
    return;
  g_autoptr (BerthContainerState) st = berth_state_read (dir_fd, NULL);
  if (st == NULL || st->pid <= 0)
    return;
  berth_autofd int pidfd = berth_pidfd_open_checked (st->pid, st->pid_start_time);
  if (pidfd < 0)
    return;
  /* No cgroup (rootless without delegation): the /proc subset, no OOM events. */
  g_autoptr (BerthCgroup) cg = st->cgroup ? berth_cgroup_deserialize (st->cgroup, NULL) : NULL;
  if (st->cgroup != NULL && cg == NULL)
    return;
  g_autoptr (BerthStatsSource) stats = berth_stats_source_new (st->pid, cg, NULL);
  if (stats == NULL)
    return;
  c->running = true;
  c->reader = berth_stats_source_reader (stats);
  c->oom_kills = c->reader ? berth_stats_reader_oom_kills (c->reader) : -1;
  if (cg != NULL && berth_cgroup_get_mode (cg) == BERTH_CGROUP_V2)
    {
      const char *dir = berth_cgroup_dir (cg, NULL);
      g_autofree char *me = g_build_filename (dir, "memory.events", NULL);
      g_autofree char *ce = g_build_filename (dir, "cgroup.events", NULL);
      c->mem_events_wd = add_watch (m, me, IN_MODIFY, c);
      c->cg_events_wd = add_watch (m, ce, IN_MODIFY, c);
    }
  else if (cg != NULL)
    {
      bool is_eventfd = false;
      c->oom_efd = berth_cgroup_oom_fd (cg, &is_eventfd, NULL);
      if (c->oom_efd >= 0)
        {
          g_unix_set_fd_nonblocking (c->oom_efd, TRUE, NULL);
          c->oom_watch = monitor_watch (c->oom_efd, EPOLLIN, on_oom_eventfd, c);
        }
    }
  c->cgroup = g_steal_pointer (&cg);
  c->stats = g_steal_pointer (&stats);
  if (c->reader != NULL)
    berth_stats_reader_set_config_watch (c->reader, watch_config_file, c);
  c->pidfd = berth_steal_fd (&pidfd);
  c->pidfd_watch = monitor_watch (c->pidfd, EPOLLIN, on_pidfd, c);
}

static void
container_add (Monitor *m, const char *id)
{
  if (id[0] == '.' || !berth_id_validate (id, NULL) || g_hash_table_contains (m->containers, id))
    return;
  Container *c = g_new0 (Container, 1);
  c->m = m;
  c->id = g_strdup (id);
  c->pidfd = c->oom_efd = -1;
  c->dir_wd = c->mem_events_wd = c->cg_events_wd = -1;
  g_autofree char *dir = g_build_filename (m->root, id, NULL);
  c->dir_wd = add_watch (m, dir, DIR_MASK, c);
  if (c->dir_wd < 0)
    {
      container_free (c);
      return;
    }
  g_hash_table_insert (m->containers, c->id, c);
  container_load (c);
}

static void
container_remove (Monitor *m, const char *id)
{
  Container *c = g_hash_table_lookup (m->containers, id);
  if (c == NULL)
    return;
  container_ended (c);
  monitor_container_ended (m, c);
  g_hash_table_steal (m->containers, id);
  container_free (c);
}

Container *
monitor_container_get (Monitor *m, const char *id)
{
  Container *c = g_hash_table_lookup (m->containers, id);
  if (c == NULL)
    {
      /* Created just now: its inotify event may not have been read yet. */
      container_add (m, id);
      return g_hash_table_lookup (m->containers, id);
    }
  if (!c->running)
    container_load (c);       /* state.json may have been written just now */
  return c;
}

static void
on_cgroup_file (Container *c, int wd)
{
  if (wd != c->mem_events_wd && wd != c->cg_events_wd)
    {
      berth_stats_reader_config_changed (c->reader, wd);
      return;
    }
  if (wd == c->mem_events_wd)
    {
      if (oom_counter_grew (c))
        emit_oom (c);
      return;
    }
  /* cgroup.events: "populated 0" = every process is gone. */
  g_autofree char *path = g_build_filename (berth_cgroup_dir (c->cgroup, NULL), "cgroup.events", NULL);
  g_autofree char *text = berth_read_file_at (AT_FDCWD, path, 4096, NULL);
  if (text == NULL || strstr (text, "populated 0") != NULL)
    container_ended (c);
}

static bool
on_inotify (int fd, uint32_t events, void *data)
{
  Monitor *m = data;
  char buf[16384] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  ssize_t n = read (fd, buf, sizeof buf);
  if (n <= 0)
    return true;
  for (char *p = buf; p < buf + n;)
    {
      const struct inotify_event *ev = (const struct inotify_event *) p;
      p += sizeof *ev + ev->len;
      const char *name = ev->len ? ev->name : "";
      if (ev->wd == m->root_wd)
        {
          if (ev->mask & (IN_DELETE_SELF | IN_IGNORED))
            {
              m->root_wd = -1;
              monitor_loop_quit ();
              return false;
            }
          if (!(ev->mask & IN_ISDIR))
            continue;
          if (ev->mask & (IN_CREATE | IN_MOVED_TO))
            container_add (m, name);
          else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
            container_remove (m, name);
          continue;
        }
      Container *c = g_hash_table_lookup (m->wds, GINT_TO_POINTER (ev->wd));
      if (c == NULL)
        continue;
      if (ev->mask & IN_IGNORED)
        {
          /* The watched inode went (dir removed, cgroup removed). */
          g_hash_table_remove (m->wds, GINT_TO_POINTER (ev->wd));
          if (ev->wd == c->dir_wd)
            {
              c->dir_wd = -1;
              container_remove (m, c->id);
            }
          else if (ev->wd == c->mem_events_wd)
            c->mem_events_wd = -1;
          else if (ev->wd == c->cg_events_wd)
            c->cg_events_wd = -1;
          else
            for (guint i = 0; c->config_wds && i < c->config_wds->len; i++)
              if (g_array_index (c->config_wds, int, i) == ev->wd)
                g_array_index (c->config_wds, int, i) = -1;
          continue;
        }
      if (ev->wd == c->dir_wd)
        {
          if (strcmp (name, "state.json") == 0)
            container_load (c);
        }
      else if (c->running)
        on_cgroup_file (c, ev->wd);
    }
  return true;
}

bool
monitor_containers_start (Monitor *m, GError **error)
{
  m->containers = g_hash_table_new (g_str_hash, g_str_equal);
  m->wds = g_hash_table_new (g_direct_hash, g_direct_equal);
  m->inotify_fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (m->inotify_fd < 0)
    return berth_fail_errno (error, errno, "inotify_init1");
  m->root_wd = inotify_add_watch (m->inotify_fd, m->root, ROOT_MASK);
  if (m->root_wd < 0)
    return berth_fail_errno (error, errno, "inotify watch on %s", m->root);
  monitor_watch (m->inotify_fd, EPOLLIN, on_inotify, m);
  /* Containers already there (the watch is in place first: nothing is missed). */
  DIR *d = fdopendir (dup (m->root_fd));
  if (d == NULL)
    return berth_fail_errno (error, errno, "read %s", m->root);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
      container_add (m, de->d_name);
  closedir (d);
  return true;
}

void
monitor_containers_stop (Monitor *m)
{
  if (m->containers == NULL)
    return;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, m->containers);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      g_hash_table_iter_steal (&it);
      container_free (v);
    }
  g_clear_pointer (&m->containers, g_hash_table_unref);
  g_clear_pointer (&m->wds, g_hash_table_unref);
  berth_close_fdp (&m->inotify_fd);
}
