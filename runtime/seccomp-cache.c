/* A cache of compiled seccomp programs keyed by the profile, so the ~18 ms
 * libseccomp needs for a large profile is paid once per profile, kernel and
 * libseccomp version (crun keeps such a cache too). */
#include "seccomp.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <libseccomp.h> /* the system seccomp.h, see libseccomp.h */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define DIGEST_LEN 32 /* SHA-256 */

static void
ck_u64 (GChecksum *ck, uint64_t v)
{
  g_checksum_update (ck, (const guchar *) &v, sizeof v);
}

static void
ck_str (GChecksum *ck, const char *s)
{
  ck_u64 (ck, s == NULL ? UINT64_MAX : strlen (s));
  if (s != NULL)
    g_checksum_update (ck, (const guchar *) s, (gssize) strlen (s));
}

static void
ck_strv (GChecksum *ck, char *const *v)
{
  ck_u64 (ck, v == NULL ? UINT64_MAX : g_strv_length ((char **) v));
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    ck_str (ck, v[i]);
}

/* Every input of the compilation, unambiguously (length-prefixed). */
static char *
cache_key (const BerthSeccomp *s)
{
  g_autoptr (GChecksum) ck = g_checksum_new (G_CHECKSUM_SHA256);
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;
  uname (&u);
  ck_str (ck, "berth-seccomp-cache-v1");
  ck_u64 (ck, v->major), ck_u64 (ck, v->minor), ck_u64 (ck, v->micro);
  ck_str (ck, u.release), ck_str (ck, u.version), ck_str (ck, u.machine);
  ck_str (ck, s->defaultAction);
  ck_u64 (ck, s->has_defaultErrnoRet), ck_u64 (ck, s->defaultErrnoRet);
  ck_strv (ck, s->architectures);
  ck_strv (ck, s->flags);
  ck_u64 (ck, s->n_syscalls);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const BerthSeccompSyscall *sc = &s->syscalls[i];
      ck_str (ck, sc->action);
      ck_strv (ck, sc->names);
      ck_u64 (ck, sc->has_errnoRet), ck_u64 (ck, sc->errnoRet);
      ck_u64 (ck, sc->n_args);
      for (size_t a = 0; a < sc->n_args; a++)
        {
          ck_u64 (ck, sc->args[a].index), ck_u64 (ck, sc->args[a].value), ck_u64 (ck, sc->args[a].valueTwo);
          ck_str (ck, sc->args[a].op);
        }
    }
  return g_strconcat (g_checksum_get_string (ck), ".bpf", NULL);
}

static void
digest (const void *data, size_t len, guint8 out[DIGEST_LEN])
{
  g_autoptr (GChecksum) ck = g_checksum_new (G_CHECKSUM_SHA256);
  gsize n = DIGEST_LEN;
  g_checksum_update (ck, data, (gssize) len);
  g_checksum_get_digest (ck, out, &n);
}

/* The file is the program followed by its SHA-256; anything else (wrong
 * owner, writable by others, truncated, corrupted) is a miss. */
static GBytes *
cache_read (int dirfd, const char *name)
{
  berth_autofd int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ()
      || (st.st_mode & 022) != 0 || st.st_size <= DIGEST_LEN || st.st_size > DIGEST_LEN + 8 * 4096
      || (st.st_size - DIGEST_LEN) % 8 != 0)
    return NULL;
  size_t len = (size_t) st.st_size;
  g_autofree guint8 *buf = g_malloc (len);
  if (pread (fd, buf, len, 0) != (ssize_t) len)
    return NULL;
  guint8 d[DIGEST_LEN];
  digest (buf, len - DIGEST_LEN, d);
  if (memcmp (d, buf + len - DIGEST_LEN, DIGEST_LEN) != 0)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&buf), len - DIGEST_LEN);
}

/* Best effort: a failure to store only costs the next run the compilation. */
static void
cache_write (int dirfd, const char *name, GBytes *program)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (program, &len);
  guint8 d[DIGEST_LEN];
  digest (data, len, d);
  g_autofree char *tmp = g_strdup_printf (".%s.%d.tmp", name, (int) getpid ());
  berth_autofd int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      berth_debug ("seccomp cache: create %s: %s", tmp, g_strerror (errno));
      return;
    }
  if (!berth_write_all (fd, data, len) || !berth_write_all (fd, d, DIGEST_LEN) || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      berth_debug ("seccomp cache: store %s: %s", name, g_strerror (errno));
      unlinkat (dirfd, tmp, 0);
    }
}

GBytes *
berth_seccomp_compile_cached (const BerthSeccomp *seccomp, int cache_dirfd, GError **error)
{
  if (!berth_seccomp_validate (seccomp, error))
    return NULL;
  g_autofree char *name = cache_key (seccomp);
  GBytes *program = cache_read (cache_dirfd, name);
  if (program != NULL)
    return program;
  program = berth_seccomp_compile (seccomp, error);
  if (program != NULL)
    cache_write (cache_dirfd, name, program);
  return program;
}
