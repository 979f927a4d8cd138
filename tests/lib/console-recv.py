#!/usr/bin/env python3
"""console-recv.py SOCKET [INPUT]: a --console-socket receiver for tests.

Listens on the unix socket SOCKET, accepts one connection, receives the pty
master over SCM_RIGHTS (as runc's recvtty does), optionally writes INPUT to
it, then copies everything the terminal prints to stdout until the slave
side is closed (EIO). Prints "fd-name: NAME" (the name sent with the fd) to
stderr. Exits 1 if no fd arrived within 20 s.
"""
import array
import os
import socket
import sys


def main():
    path = sys.argv[1]
    data = sys.argv[2].encode() if len(sys.argv) > 2 else b""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(20)
    conn, _ = srv.accept()
    conn.settimeout(20)
    fds = array.array("i")
    msg, ancdata, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    if not fds:
        print("console-recv: no fd received", file=sys.stderr)
        return 1
    print("fd-name: " + msg.decode(errors="replace"), file=sys.stderr)
    master = fds[0]
    if data:
        os.write(master, data)
    out = sys.stdout.buffer
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed
            break
        if not chunk:
            break
        out.write(chunk)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
