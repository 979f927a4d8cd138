/* Handing a container started by hand to berth-shim (architecture.md, "Who
 * supervises a container"): a forked child creates the container, so the
 * init is its child, then execs berth-shim in adopt mode (shim/README.md).
 * No extra exec of berth, no re-parenting race. */
#include "container.h"

#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORT_MAX 4096

/* berth-shim next to berth when installed, or in the build tree's shim/. */
static char *
find_shim (GError **error)
{
  g_autofree char *self = berth_self_exe ();
  if (self == NULL)
    {
      berth_fail_errno (error, errno, "find berth-shim: /proc/self/exe");
      return NULL;
    }
  g_autofree char *dir = g_path_get_dirname (self);
  const char *const candidates[] = { "berth-shim", "../shim/berth-shim" };
  for (size_t i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *path = g_build_filename (dir, candidates[i], NULL);
      if (access (path, X_OK) == 0)
        return g_canonicalize_filename (path, NULL);
    }
  berth_fail_code (error, ENOENT, "berth-shim not found next to %s", self);
  return NULL;
}

G_GNUC_NORETURN static void
report_failure (int report_fd, const GError *error)
{
  const char *msg = error ? error->message : "container state missing";
  berth_write_all (report_fd, msg, strlen (msg));
  _exit (1);
}

G_GNUC_NORETURN static void
shim_child (const BerthGlobalOptions *g, const BerthCreateOptions *opts, bool start, const char *shim, int report_fd)
{
  g_autoptr (GError) error = NULL;
  BerthCreateOptions child_opts = *opts;
  child_opts.shim = true;
  if (!berth_container_create (g, &child_opts, NULL, &error))
    report_failure (report_fd, error);
  if (start && !berth_container_start (g, opts->id, &error))
    {
      berth_container_delete (g, opts->id, true, NULL);
      report_failure (report_fd, error);
    }
  g_autofree char *state_dir = g_build_filename (g->root, opts->id, NULL);
  __attribute__ ((cleanup (berth_container_close))) BerthContainer c;
  if (!berth_container_open (g, opts->id, false, &c, &error) || c.state == NULL)
    report_failure (report_fd, error);
  g_autofree char *pid = g_strdup_printf ("%d", (int) c.state->pid);
  char *argv[] = { (char *) shim, (char *) "--adopt-pid", pid, (char *) "--cid", (char *) opts->id,
                   (char *) "--state-dir", state_dir, NULL };
  /* Success is reported before exec: from here on the shim owns the init. */
  berth_write_all (report_fd, "", 1);
  close (report_fd);
  execv (shim, argv);
  /* The container exists but nobody supervises it: it stays runnable and
   * deletable like a runc container; say so loudly. */
  dprintf (STDERR_FILENO, "berth: exec %s: %s (container %s has no supervisor)\n", shim, g_strerror (errno), opts->id);
  _exit (1);
}

bool
berth_container_create_with_shim (const BerthGlobalOptions *g, const BerthCreateOptions *opts, bool start,
                                  GError **error)
{
  g_autoptr (GError) not_found = NULL;
  g_autofree char *shim = find_shim (&not_found);
  if (shim == NULL)
    {
      /* Without berth-shim (e.g. a lone copy of the binary) behave as runc:
       * the container runs unsupervised; its exit is not recorded. */
      berth_warn ("%s: the container's exit status will not be recorded", not_found->message);
      if (!berth_container_create (g, opts, NULL, error))
        return false;
      if (start && !berth_container_start (g, opts->id, error))
        {
          berth_container_delete (g, opts->id, true, NULL);
          return false;
        }
      return true;
    }
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return berth_fail_errno (error, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      int saved = errno;
      close (pipefd[0]);
      close (pipefd[1]);
      return berth_fail_errno (error, saved, "fork");
    }
  if (pid == 0)
    {
      close (pipefd[0]);
      shim_child (g, opts, start, shim, pipefd[1]);
    }
  close (pipefd[1]);
  berth_autofd int report = pipefd[0];
  char buf[REPORT_MAX + 1];
  size_t len = 0;
  ssize_t n;
  while (len < REPORT_MAX && ((n = read (report, buf + len, REPORT_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      len += (size_t) n;
  buf[len] = '\0';
  if (len == 1 && buf[0] == '\0')
    return true; /* the child is (becoming) the shim; it is not ours to reap */
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (len > 0)
    return berth_fail_code (error, EIO, "%s", buf);
  return berth_fail_code (error, EIO, "create container \"%s\": the supervisor process died", opts->id);
}
