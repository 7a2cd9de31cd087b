"""``pyvirt-ssh-helper``: what the ``ssh`` transport runs on a pyvirt node (libvirt's
virt-ssh-helper).

It joins its stdin and stdout to the local pyvirtd's unix socket, so the client's protocol
stream, carried by ssh, reaches the daemon as if the client were local (as the ssh user).  One
pyvirtd serves every driver, so the URI only has to be a URI; ``-r`` picks the read-only
socket and ``--socket`` another one (a daemon under its own ``root``).

It runs once per ssh connection, so it imports nothing of pyvirt (that would cost more than the
copying ever does); the socket names are pyvirtd's, which a test keeps in step.
"""

from __future__ import annotations

import argparse
import os
import selectors
import socket
import sys

SOCKET_DIR = "/run/pyvirt"
SOCK_RW = "pyvirt-sock"
SOCK_RO = "pyvirt-sock-ro"
_CHUNK = 1 << 16


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyvirt-ssh-helper", description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--readonly", action="store_true", help="use the read-only socket")
    parser.add_argument("--socket", help="the daemon's socket (default: pyvirtd's in /run/pyvirt)")
    parser.add_argument("uri", help="the URI the client will open")
    args = parser.parse_args(argv)
    if ":" not in args.uri:
        print(f"pyvirt-ssh-helper: {args.uri!r} is not a URI (expected e.g. qemu:///system)", file=sys.stderr)
        return 2
    path = args.socket or os.path.join(SOCKET_DIR, SOCK_RO if args.readonly else SOCK_RW)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as exc:
        print(f"pyvirt-ssh-helper: cannot connect to '{path}': {exc.strerror}", file=sys.stderr)
        return 1
    with sock:
        relay(sys.stdin.buffer.fileno(), sys.stdout.buffer.fileno(), sock)
    return 0


def relay(infd: int, outfd: int, sock: socket.socket) -> None:
    """Copy both ways until the daemon closes; the end of stdin is passed on as a half-close,
    so replies still in flight reach the client."""
    sel = selectors.DefaultSelector()
    sel.register(infd, selectors.EVENT_READ)
    sel.register(sock, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is sock:
                data = sock.recv(_CHUNK)
                if not data:
                    return
                _write_all(outfd, data)
            else:
                data = os.read(infd, _CHUNK)
                if not data:
                    sel.unregister(infd)
                    sock.shutdown(socket.SHUT_WR)
                    continue
                sock.sendall(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


if __name__ == "__main__":
    sys.exit(main())
