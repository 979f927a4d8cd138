/* Small helpers every Berth file may use: the fd cleanup attribute, safe
 * integer parsing, EINTR-safe I/O. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

void berth_close_fdp (int *fdp);
/* An int fd closed when it goes out of scope: `berth_autofd int fd = open (...)`.
 * Move ownership out with g_steal_fd()-style `ret = fd; fd = -1;`. */
#define berth_autofd __attribute__ ((cleanup (berth_close_fdp)))

static inline int
berth_steal_fd (int *fdp)
{
  int fd = *fdp;
  *fdp = -1;
  return fd;
}

/* Parse a whole decimal string into a value in [min,max]. false on anything else. */
bool berth_parse_int64 (const char *s, int64_t min, int64_t max, int64_t *ret_value);
bool berth_parse_uint64 (const char *s, uint64_t max, uint64_t *ret_value);

/* write() all of buf, retrying EINTR and short writes; false with errno set. */
bool berth_write_all (int fd, const void *buf, size_t len);
/* Read a whole (small) file at dirfd/path into a NUL-terminated buffer of at
 * most max_len bytes. NULL with errno set on failure (EFBIG when too big). */
char *berth_read_file_at (int dirfd, const char *path, size_t max_len, size_t *ret_len);
/* Write str to dirfd/path (O_WRONLY|O_CLOEXEC, no create). false with errno. */
bool berth_write_file_at (int dirfd, const char *path, const char *str);

/* The name of uid in the host's /etc/passwd, as runc's user.LookupUid finds it
 * (no NSS: the programs are static and never load NSS modules). NULL when
 * there is no such line or no readable file. */
char *berth_passwd_user_name (uid_t uid);
/* This program's absolute path (/proc/self/exe); NULL with errno set. */
char *berth_self_exe (void);
/* The same, from the text of a passwd file (tests). */
char *berth_passwd_parse_name (const char *text, uid_t uid);

/* Close every fd >= first_fd (close_range, with a loop as fallback). */
void berth_close_fds_from (int first_fd);

/* Before execve: fds 3..3+n_preserved-1 stay open across exec, every other
 * fd >= 3 is marked close-on-exec (close_range CLOSE_RANGE_CLOEXEC, or fcntl
 * per open fd on old kernels).  Marking instead of closing keeps fds the
 * caller still needs until exec (report fd, exec trampoline).  Call it before
 * a seccomp filter loads: profiles may not allow close_range. */
void berth_fds_prepare_exec (int n_preserved);
