/* Terminals: pty allocation inside the container, sending/receiving the pty
 * master over a unix socket with SCM_RIGHTS (runc's --console-socket
 * protocol), raw mode and window size. */
#pragma once
#include <glib.h>
#include <stdbool.h>

/* Open /dev/ptmx (at dirfd-relative path "dev/ptmx" or absolute), unlock it,
 * get the peer with TIOCGPTPEER.  Returns the master fd, *ret_slave_fd set. */
int berth_pty_open (int *ret_slave_fd, GError **error);
bool berth_pty_set_size (int fd, unsigned rows, unsigned cols, GError **error);
/* Send fd with SCM_RIGHTS and a name payload (runc sends the pty path). */
bool berth_send_fd (int sock, int fd, const char *name, GError **error);
/* Receive one fd; the payload, if any, in *ret_name. */
int berth_recv_fd (int sock, char **ret_name, GError **error);
/* Connect to a unix socket path (long paths work through /proc/self/fd). */
int berth_unix_connect (const char *path, GError **error);
/* Copy one read's worth (<= 8 KiB) from `from` to `to`.  false on EOF or a
 * read/write error; EINTR/EAGAIN are not errors. */
bool berth_relay_chunk (int from, int to);
