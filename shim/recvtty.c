/* `berth-shim recvtty SOCKET`: like runc's contrib/cmd/recvtty, for manual
 * console-socket workflows.  Listens on SOCKET, accepts one connection,
 * receives the pty master (SCM_RIGHTS) and relays it to and from our own
 * stdio until the pty closes. */
#include "shim.h"

#include "console.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>


int
shim_recvtty_main (int argc, char **argv)
{
  if (argc != 2 || argv[1][0] == '-')
    {
      fprintf (stderr, "usage: berth-shim recvtty SOCKET\n");
      return 2;
    }
  const char *path = argv[1];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    {
      fprintf (stderr, "berth-shim recvtty: %s: path too long\n", path);
      return 1;
    }
  strcpy (addr.sun_path, path);
  berth_autofd int ls = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0 || bind (ls, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (ls, 1) < 0)
    {
      fprintf (stderr, "berth-shim recvtty: listen on %s: %s\n", path, g_strerror (errno));
      return 1;
    }
  berth_autofd int conn = accept4 (ls, NULL, NULL, SOCK_CLOEXEC);
  unlink (path);
  if (conn < 0)
    {
      fprintf (stderr, "berth-shim recvtty: accept: %s\n", g_strerror (errno));
      return 1;
    }
  GError *err = NULL;
  berth_autofd int master = berth_recv_fd (conn, NULL, &err);
  if (master < 0)
    {
      fprintf (stderr, "berth-shim recvtty: %s\n", err->message);
      g_error_free (err);
      return 1;
    }
  struct termios saved, raw;
  bool is_tty = tcgetattr (0, &saved) == 0;
  if (is_tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (0, TCSANOW, &raw);
    }
  struct pollfd p[2] = { { .fd = master, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
  for (;;)
    {
      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        if (!berth_relay_chunk (master, 1))
          break;
      if (p[1].revents & (POLLIN | POLLHUP))
        if (!berth_relay_chunk (0, master))
          p[1].fd = -1;  /* our stdin ended: keep relaying output */
    }
  if (is_tty)
    tcsetattr (0, TCSANOW, &saved);
  return 0;
}
