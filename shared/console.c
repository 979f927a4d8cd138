#include "console.h"

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <termios.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
berth_pty_open (int *ret_slave_fd, GError **error)
{
  /* /dev/pts is the devpts instance mounted for this container: open its
   * ptmx directly and check it is devpts, never trust a /dev/ptmx symlink. */
  berth_autofd int master = open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    {
      berth_fail_errno (error, errno, "open /dev/pts/ptmx");
      return -1;
    }
  struct statfs sfs;
  if (fstatfs (master, &sfs) < 0 || (sfs.f_type != DEVPTS_SUPER_MAGIC && sfs.f_type != TMPFS_MAGIC))
    {
      berth_fail (error, "/dev/pts/ptmx is not a devpts device");
      return -1;
    }
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    {
      berth_fail_errno (error, errno, "unlock pty");
      return -1;
    }
  /* TIOCGPTPEER: the slave comes from the master fd itself, never from a
   * /dev/pts/N path a container could swap (CVE-2025-52565). */
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    {
      berth_fail_errno (error, errno, "open pty peer");
      return -1;
    }
  *ret_slave_fd = slave;
  return berth_steal_fd (&master);
}

bool
berth_pty_set_size (int fd, unsigned rows, unsigned cols, GError **error)
{
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return berth_fail_errno (error, errno, "set console size");
  return true;
}

bool
berth_send_fd (int sock, int fd, const char *name, GError **error)
{
  const char *payload = name != NULL && *name ? name : "/dev/console";
  struct iovec iov = { .iov_base = (void *) payload, .iov_len = strlen (payload) };
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  memset (&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));
  while (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return berth_fail_errno (error, errno, "send console fd");
  return true;
}

int
berth_recv_fd (int sock, char **ret_name, GError **error)
{
  char name[4096];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;
  while ((n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR)
      {
        berth_fail_errno (error, errno, "receive fd");
        return -1;
      }
  struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS
      || cmsg->cmsg_len != CMSG_LEN (sizeof (int)))
    {
      berth_fail_code (error, EBADMSG, "receive fd: no file descriptor in the message");
      return -1;
    }
  int fd;
  memcpy (&fd, CMSG_DATA (cmsg), sizeof fd);
  if (ret_name)
    {
      name[n > 0 ? n : 0] = '\0';
      *ret_name = g_strdup (name);
    }
  return fd;
}

int
berth_unix_connect (const char *path, GError **error)
{
  berth_autofd int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    {
      berth_fail_errno (error, errno, "socket");
      return -1;
    }
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  berth_autofd int dirfd = -1;
  if (strlen (path) >= sizeof addr.sun_path)
    {
      /* Too long for sun_path: go through an O_PATH fd of the directory. */
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *base = g_path_get_basename (path);
      dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        {
          berth_fail_errno (error, errno, "connect to %s", path);
          return -1;
        }
      snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, base);
    }
  else
    strcpy (addr.sun_path, path);
  while (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    if (errno != EINTR)
      {
        berth_fail_errno (error, errno, "connect to %s", path);
        return -1;
      }
  return berth_steal_fd (&sock);
}

bool
berth_relay_chunk (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  return berth_write_all (to, buf, (size_t) n);
}
