/* Opening a container's state, and the start / delete steps. */
#include "container.h"

#include "cgroup.h"
#include "error.h"
#include "hooks.h"
#include "log.h"
#include "proc.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define KILL_WAIT_MS 10000

bool
berth_container_open (const BerthGlobalOptions *g, const char *id, bool lock, BerthContainer *ret, GError **error)
{
  *ret = (BerthContainer) { .root_fd = -1, .dir_fd = -1 };
  if (!berth_id_validate (id, error))
    return false;
  ret->root_fd = berth_state_root_open (g->root, false, NULL);
  if (ret->root_fd < 0)
    return berth_fail_code (error, ENOENT, "container \"%s\" does not exist", id);
  ret->dir_fd = berth_state_dir_open (ret->root_fd, id, error);
  if (ret->dir_fd < 0 || (lock && !berth_state_lock (ret->dir_fd, error)))
    {
      berth_container_close (ret);
      return false;
    }
  g_autoptr (GError) local = NULL;
  ret->state = berth_state_read (ret->dir_fd, &local);
  if (ret->state == NULL && local->code != ENOENT)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      berth_container_close (ret);
      return false;
    }
  return true;
}

void
berth_container_close (BerthContainer *c)
{
  berth_close_fdp (&c->dir_fd);
  berth_close_fdp (&c->root_fd);
  g_clear_pointer (&c->state, berth_container_state_free);
}

BerthStatus
berth_container_status (const BerthContainer *c)
{
  if (c->state == NULL)
    return BERTH_STATUS_CREATING;
  return berth_state_status (c->dir_fd, c->state);
}

BerthSpec *
berth_container_spec (const BerthContainer *c, GError **error)
{
  size_t len = 0;
  g_autofree char *json = berth_read_file_at (c->dir_fd, "config.json", 64 * 1024 * 1024, &len);
  if (json == NULL)
    {
      berth_fail_errno (error, errno, "read the container's config.json");
      return NULL;
    }
  return berth_spec_parse (json, len, c->state->bundle, error);
}

static bool
state_flag (const BerthContainerState *st, const char *name)
{
  return g_hash_table_contains (st->extra, name);
}

bool
berth_container_start (const BerthGlobalOptions *g, const char *id, GError **error)
{
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, id, true, &c, error))
    return false;
  BerthStatus status = berth_container_status (&c);
  if (status != BERTH_STATUS_CREATED)
    return berth_fail (error, "cannot start container \"%s\": it is %s, not created", id, berth_status_name (status));

  berth_autofd int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return berth_fail_errno (error, errno, "socket");
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/start.sock", c.dir_fd);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return berth_fail_errno (error, errno, "start container \"%s\"", id);
  /* The gate message carries the state the startContainer hooks see. */
  g_autofree char *created_json = berth_state_oci_json (c.state, BERTH_STATUS_CREATED);
  if (!sync_send (sock, SYNC_START, created_json, error))
    return false;
  /* The init holds the connection until execve (CLOEXEC): EOF means the
   * process started; "E<message>" means it failed on the way. */
  char buf[4096];
  size_t len = 0;
  for (;;)
    {
      ssize_t n = read (sock, buf + len, sizeof buf - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || len + (size_t) n >= sizeof buf - 1)
        {
          if (n > 0)
            len += (size_t) n;
          break;
        }
      len += (size_t) n;
    }
  buf[len] = '\0';
  unlinkat (c.dir_fd, "start.sock", 0);
  if (len > 0 && buf[0] == 'E')
    return berth_fail (error, "start container \"%s\": %s", id, buf + 1);

  if (state_flag (c.state, "poststart"))
    {
      g_autoptr (BerthSpec) spec = berth_container_spec (&c, error);
      if (spec == NULL)
        return false;
      g_autofree char *json = berth_state_oci_json (c.state, BERTH_STATUS_RUNNING);
      berth_hooks_run (&spec->hooks.poststart, "poststart", json, true, NULL);
    }
  return true;
}

static bool
kill_and_wait (const BerthContainer *c, GError **error)
{
  const BerthContainerState *st = c->state;
  berth_autofd int pidfd = berth_pidfd_open_checked (st->pid, st->pid_start_time);
  /* Killing the init of the container's own pid namespace kills all of it,
   * with no fork race: the freeze / signal all / thaw round (two v1 freezer
   * writes of several ms) is only needed when the container shares a pid
   * namespace.  Leftovers in the cgroup are still killed by its removal. */
  if (st->cgroup != NULL && (pidfd < 0 || !berth_proc_is_pid_namespace_init (st->pid)))
    {
      g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (st->cgroup, NULL);
      if (cg != NULL)
        berth_cgroup_kill_all (cg, SIGKILL, NULL);
    }
  if (pidfd < 0)
    return true; /* already gone */
  if (berth_pidfd_send_signal (pidfd, SIGKILL) < 0 && errno != ESRCH)
    return berth_fail_errno (error, errno, "kill container \"%s\"", st->id);
  if (!berth_pidfd_wait_exit (pidfd, KILL_WAIT_MS))
    return berth_fail_code (error, ETIMEDOUT, "container \"%s\" did not exit after SIGKILL", st->id);
  return true;
}

#define SHIM_WAIT_MS 2000

/* A berth-shim supervising the container records its exit in the state dir
 * right after the init dies: let it finish before the dir goes (bounded). */
static void
wait_for_shim (const BerthContainerState *st)
{
  if (st->shim_pid <= 0)
    return;
  berth_autofd int pidfd = berth_pidfd_open_checked (st->shim_pid, 0);
  if (pidfd < 0)
    return;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/comm", (int) st->shim_pid);
  g_autofree char *comm = berth_read_file_at (AT_FDCWD, path, 64, NULL);
  if (comm == NULL || !g_str_has_prefix (comm, "berth-shim"))
    return; /* the pid was reused by something else */
  berth_pidfd_wait_exit (pidfd, SHIM_WAIT_MS);
}

bool
berth_container_delete (const BerthGlobalOptions *g, const char *id, bool force, GError **error)
{
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  g_autoptr (GError) local = NULL;
  if (!berth_container_open (g, id, true, &c, &local))
    {
      /* As runc and crun: --force on a container that is already gone
       * succeeds (containerd's shim deletes with --force after a delete). */
      if (force && g_error_matches (local, BERTH_ERROR, ENOENT))
        return true;
      g_propagate_error (error, g_steal_pointer (&local));
      return false;
    }
  if (c.state == NULL)
    {
      /* A create that died half-way: nothing but the directory is left. */
      if (!force)
        return berth_fail (error, "cannot delete container \"%s\": it is being created (use --force)", id);
      return berth_state_dir_remove (c.root_fd, id, error);
    }
  BerthStatus status = berth_container_status (&c);
  if (status == BERTH_STATUS_RUNNING || status == BERTH_STATUS_PAUSED)
    {
      if (!force)
        return berth_fail (error, "cannot delete container \"%s\" that is not stopped: %s", id, berth_status_name (status));
    }
  if (status != BERTH_STATUS_STOPPED)
    {
      if (status == BERTH_STATUS_PAUSED && c.state->cgroup != NULL)
        {
          g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (c.state->cgroup, NULL);
          if (cg != NULL)
            berth_cgroup_freeze (cg, false, NULL);
        }
      if (!kill_and_wait (&c, error))
        return false;
    }
  wait_for_shim (c.state);
  if (state_flag (c.state, "poststop"))
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (BerthSpec) spec = berth_container_spec (&c, &local);
      g_autofree char *json = berth_state_oci_json (c.state, BERTH_STATUS_STOPPED);
      if (spec != NULL)
        berth_hooks_run (&spec->hooks.poststop, "poststop", json, true, NULL);
      else
        berth_warn ("poststop hooks: %s", local->message);
    }
  if (c.state->cgroup != NULL)
    {
      g_autoptr (BerthCgroup) cg = berth_cgroup_deserialize (c.state->cgroup, error);
      if (cg == NULL || !berth_cgroup_destroy (cg, error))
        return false;
    }
  return berth_state_dir_remove (c.root_fd, id, error);
}
