#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* recvtty: a minimal --console-socket receiver for tests (like runc's contrib/cmd/recvtty).
 *
 *   recvtty SOCKET [INPUT]
 *
 * Listens on the unix socket SOCKET, accepts one connection, receives one fd (the pty master) via
 * SCM_RIGHTS, writes INPUT (if given) to the master, then copies everything read from the master to
 * stdout until EOF/EIO (the container's side closed). Prints "recvtty: ..." to stderr on errors and
 * exits 1. Creates SOCKET itself and prints "ready\n" on stderr once listening.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: recvtty SOCKET [INPUT]\n");
		return 2;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "recvtty: socket path too long\n");
		return 1;
	}
	strcpy(addr.sun_path, argv[1]);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return die("socket");
	unlink(argv[1]);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return die("bind");
	if (listen(lfd, 1) < 0)
		return die("listen");
	fprintf(stderr, "ready\n");
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return die("accept");

	char buf[4096];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(cfd, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return die("recvmsg");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "recvtty: no fd received\n");
		return 1;
	}
	int master;
	memcpy(&master, CMSG_DATA(cm), sizeof(int));
	close(cfd);
	close(lfd);
	unlink(argv[1]);

	if (!isatty(master)) {
		fprintf(stderr, "recvtty: received fd is not a terminal\n");
		return 1;
	}
	if (argc == 3) {
		size_t len = strlen(argv[2]);
		if (write(master, argv[2], len) != (ssize_t)len)
			return die("write");
	}
	for (;;) {
		n = read(master, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == EIO))
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return die("read");
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return die("fwrite");
		fflush(stdout);
	}
	return 0;
}
