/* CRIU (criu(8)), run as a command for checkpoint and restore, and the
 * parts of a checkpoint CRIU leaves to the runtime: the container's mounts
 * whose source lies outside it, and its standard streams (descriptors.json,
 * as runc writes it). */
#pragma once
#include "cgroup.h"
#include "spec.h"
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct
{
  GPtrArray *argv;                /* "criu", the action, options */
  char *action;
  char *log_path;                 /* work dir / ACTION.log, quoted in errors */
  GArray *pass_fds;               /* ints kept open across exec (--inherit-fd) */
} BerthCriu;

/* criu ACTION --images-dir IMAGES --work-dir WORK --log-file ACTION.log -v4.
 * NULL when criu is not in PATH. */
BerthCriu *berth_criu_new (const char *action, const char *images_dir, const char *work_dir, GError **error);
void berth_criu_free (BerthCriu *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerthCriu, berth_criu_free)
/* --opt, or --opt VALUE (value not NULL). */
void berth_criu_add (BerthCriu *c, const char *opt, const char *value);
void berth_criu_addf (BerthCriu *c, const char *opt, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
/* --inherit-fd fd[FD]:KEY, with fd left open for criu. */
void berth_criu_inherit_fd (BerthCriu *c, int fd, const char *key);
/* Run it and wait.  enter: a cgroup criu joins first, and the root under
 * which it places the restored tasks (--cgroup-root), or NULL.  A failure quotes CRIU's last error line and its log. */
bool berth_criu_run (BerthCriu *c, BerthCgroup *enter, GError **error);

/* A mount of the container that CRIU cannot dump by itself: a bind whose
 * source is outside the container (a bind mount of the spec, a masked file,
 * a device bound in a user namespace, a host cgroup directory).  CRIU gets
 * it as --ext-mount-map DESTINATION:DESTINATION on dump and
 * DESTINATION:SOURCE on restore. */
typedef struct
{
  char *destination;              /* inside the container */
  char *source;                   /* on the host, as seen by `checkpoint` */
} BerthExternalMount;
void berth_external_mount_free (BerthExternalMount *m);

/* The external mounts of the running container whose init is pid. */
GPtrArray *berth_criu_external_mounts (pid_t pid, const BerthSpec *spec, GError **error);
/* The same from the container's and the host's mountinfo (BerthMountInfo). */
GPtrArray *berth_criu_external_mounts_of (GPtrArray *container, GPtrArray *host, const BerthSpec *spec, GError **error);
/* Kept beside the images (berth-mounts.json) for restore. */
bool berth_criu_write_external_mounts (const char *images_dir, GPtrArray *mounts, GError **error);
/* The sources restore binds: the restored bundle's own bind sources for
 * its bind mounts, the recorded ones otherwise, which must be a device the
 * container may have or a host cgroup directory (EPERM otherwise).  An
 * image without the file (one runc wrote) gets the bundle's binds only. */
GPtrArray *berth_criu_restore_mounts (const char *images_dir, const BerthSpec *spec, GError **error);

/* descriptors.json: the targets of the init's fds 0-2 ("pipe:[1234]",
 * "/dev/null", ...), a JSON array as runc writes it.  Restore hands its own
 * stdio to the restored pipes (--inherit-fd), as runc does. */
char **berth_criu_read_stdio_links (pid_t pid);
bool berth_criu_write_descriptors (const char *images_dir, char **links, GError **error);
char **berth_criu_read_descriptors (const char *images_dir, GError **error);
