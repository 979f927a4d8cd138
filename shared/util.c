#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

void
berth_close_fdp (int *fdp)
{
  if (fdp != NULL && *fdp >= 0)
    {
      int saved = errno;
      close (*fdp);
      errno = saved;
      *fdp = -1;
    }
}

bool
berth_parse_int64 (const char *s, int64_t min, int64_t max, int64_t *ret_value)
{
  if (s == NULL || *s == '\0')
    return false;
  errno = 0;
  char *end = NULL;
  long long v = strtoll (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    return false;
  *ret_value = v;
  return true;
}

bool
berth_parse_uint64 (const char *s, uint64_t max, uint64_t *ret_value)
{
  if (s == NULL || *s < '0' || *s > '9')
    return false;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > max)
    return false;
  *ret_value = v;
  return true;
}

bool
berth_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return false;
        }
      p += n;
      len -= (size_t) n;
    }
  return true;
}

char *
berth_read_file_at (int dirfd, const char *path, size_t max_len, size_t *ret_len)
{
  berth_autofd int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return NULL;
  size_t cap = 4096, len = 0;
  g_autofree char *buf = g_malloc (cap + 1);
  for (;;)
    {
      if (len == cap)
        {
          if (cap >= max_len)
            {
              errno = EFBIG;
              return NULL;
            }
          cap = MIN (cap * 2, max_len);
          buf = g_realloc (buf, cap + 1);
        }
      ssize_t n = read (fd, buf + len, cap - len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return NULL;
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  buf[len] = '\0';
  if (ret_len)
    *ret_len = len;
  return g_steal_pointer (&buf);
}

char *
berth_passwd_parse_name (const char *text, uid_t uid)
{
  for (const char *line = text; line && *line;)
    {
      const char *eol = strchr (line, '\n');
      size_t len = eol ? (size_t) (eol - line) : strlen (line);
      /* name:password:uid:gid:gecos:home:shell; # starts a comment (as nss_files) */
      const char *c1 = memchr (line, ':', len);
      const char *c2 = c1 ? memchr (c1 + 1, ':', len - (size_t) (c1 + 1 - line)) : NULL;
      const char *c3 = c2 ? memchr (c2 + 1, ':', len - (size_t) (c2 + 1 - line)) : NULL;
      if (c3 && c1 > line && *line != '#' && c3 - c2 - 1 > 0 && c3 - c2 - 1 < 16)
        {
          char num[16];
          memcpy (num, c2 + 1, (size_t) (c3 - c2 - 1));
          num[c3 - c2 - 1] = '\0';
          uint64_t v;
          if (berth_parse_uint64 (num, UINT32_MAX, &v) && v == uid)
            return g_strndup (line, (gsize) (c1 - line));
        }
      line = eol ? eol + 1 : NULL;
    }
  return NULL;
}

char *
berth_passwd_user_name (uid_t uid)
{
  g_autofree char *text = berth_read_file_at (AT_FDCWD, "/etc/passwd", 64 << 20, NULL);
  return text ? berth_passwd_parse_name (text, uid) : NULL;
}

bool
berth_write_file_at (int dirfd, const char *path, const char *str)
{
  berth_autofd int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return false;
  return berth_write_all (fd, str, strlen (str));
}

void
berth_close_fds_from (int first_fd)
{
  if (syscall (SYS_close_range, (unsigned) first_fd, ~0U, 0) == 0)
    return;
  for (int fd = first_fd; fd < 65536; fd++)
    close (fd);
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void
berth_fds_prepare_exec (int n_preserved)
{
  int first = 3 + (n_preserved > 0 ? n_preserved : 0);
  for (int fd = 3; fd < first; fd++)
    fcntl (fd, F_SETFD, 0);
  if (syscall (SYS_close_range, (unsigned) first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  DIR *dir = opendir ("/proc/self/fd");
  if (dir == NULL)
    {
      for (int fd = first; fd < 65536; fd++)
        fcntl (fd, F_SETFD, FD_CLOEXEC);
      return;
    }
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      int64_t fd;
      if (berth_parse_int64 (de->d_name, first, INT32_MAX, &fd) && fd != dirfd (dir))
        fcntl ((int) fd, F_SETFD, FD_CLOEXEC);
    }
  closedir (dir);
}

char *
berth_self_exe (void)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    return NULL;
  self[n] = '\0';
  return g_strdup (self);
}
