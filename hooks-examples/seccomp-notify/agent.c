/* berth-seccomp-agent: a small seccomp user-notification agent for
 * linux.seccomp.listenerPath (the runc protocol: one SOCK_STREAM connection
 * per filter, carrying the container process state JSON and the notify fd
 * as SCM_RIGHTS).
 *
 *   berth-seccomp-agent SOCKET_PATH [LOG_FILE]
 *
 * What it answers (a demonstration of the two classic uses):
 *   mkdir/mkdirat of "/x"        -> success without doing anything (emulated)
 *   mknod/mknodat of "/dev/null" -> success (e.g. an image build that wants it)
 *   anything else                -> SECCOMP_USER_NOTIF_FLAG_CONTINUE (the kernel runs it)
 * Every connection's JSON and every decision is logged, one line each.  It
 * runs until killed (SIGTERM).
 * Single-threaded: poll() over the listening socket and every notify fd. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64

static FILE *logf_;

static int
recv_state (int conn, char *buf, size_t size)
{
  struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
  union { char b[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
  ssize_t n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

/* Read a NUL-terminated path argument from the target's memory. */
static int
read_path (pid_t pid, unsigned long addr, char *out, size_t size)
{
  char mem[64];
  snprintf (mem, sizeof mem, "/proc/%d/mem", (int) pid);
  int fd = open (mem, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = pread (fd, out, size - 1, (off_t) addr);
  close (fd);
  if (n <= 0)
    return -1;
  out[n] = '\0';
  out[strnlen (out, (size_t) n)] = '\0';
  return 0;
}

static void
handle (int nfd)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset (&req, 0, sizeof req);
  if (ioctl (nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return;
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  const char *name = "?";
  unsigned long path_arg = 0;
  int nr = req.data.nr;
  if (nr == SYS_mkdir)
    name = "mkdir", path_arg = req.data.args[0];
  else if (nr == SYS_mkdirat)
    name = "mkdirat", path_arg = req.data.args[1];
  else if (nr == SYS_mknod)
    name = "mknod", path_arg = req.data.args[0];
  else if (nr == SYS_mknodat)
    name = "mknodat", path_arg = req.data.args[1];
  char path[4096] = "";
  if (path_arg != 0 && read_path (req.pid, path_arg, path, sizeof path) == 0
      /* the request must still be alive: the memory we read was the caller's */
      && ioctl (nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) == 0)
    {
      bool is_mkdir = strncmp (name, "mkdir", 5) == 0;
      if ((is_mkdir && strcmp (path, "/x") == 0) || (!is_mkdir && strcmp (path, "/dev/null") == 0))
        {
          resp.flags = 0; /* emulated: success, nothing done */
          resp.val = 0;
          resp.error = 0;
        }
    }
  fprintf (logf_, "%s pid=%d path=%s -> %s\n", name, (int) req.pid, path, resp.flags ? "continue" : "emulated");
  fflush (logf_);
  ioctl (nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s SOCKET_PATH [LOG_FILE]\n", argv[0]);
      return 2;
    }
  logf_ = argc > 2 ? fopen (argv[2], "ae") : stdout;
  if (logf_ == NULL)
    return perror ("log"), 1;
  signal (SIGPIPE, SIG_IGN);
  int lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (argv[1]) >= sizeof addr.sun_path)
    return fprintf (stderr, "socket path too long\n"), 1;
  strcpy (addr.sun_path, argv[1]);
  unlink (argv[1]);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (lfd, 16) < 0)
    return perror ("listen"), 1;
  fprintf (logf_, "listening on %s\n", argv[1]);
  fflush (logf_);
  struct pollfd fds[MAX_FDS];
  int n = 1;
  fds[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
  for (;;)
    {
      if (poll (fds, (nfds_t) n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return perror ("poll"), 1;
        }
      for (int i = n - 1; i >= 1; i--)
        {
          if (fds[i].revents & POLLIN)
            handle (fds[i].fd);
          else if (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL))
            {
              fprintf (logf_, "filter gone (fd %d)\n", fds[i].fd);
              fflush (logf_);
              close (fds[i].fd);
              fds[i] = fds[--n];
            }
        }
      if (fds[0].revents & POLLIN)
        {
          int conn = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
          if (conn < 0)
            continue;
          static char state[65536];
          int nfd = recv_state (conn, state, sizeof state);
          close (conn);
          if (nfd < 0)
            continue;
          fprintf (logf_, "state %s\n", state);
          fflush (logf_);
          if (n < MAX_FDS)
            fds[n++] = (struct pollfd){ .fd = nfd, .events = POLLIN };
          else
            close (nfd);
        }
    }
}
