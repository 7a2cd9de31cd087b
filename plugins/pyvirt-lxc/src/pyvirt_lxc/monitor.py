"""The container's monitor: a small process that outlives the driver, like libvirt_lxc.

It is forked from the driver, detached into its own session and made a child subreaper, so the
container's init becomes its child even though another process forked it.  It holds the pty
master of the console and relays it to one client at a time over a unix socket (output made
while nobody is attached is kept, up to 64 KiB, for the next client), reaps the container, and
once the container is gone kills any straggler, removes the cgroups and writes the exit status
for whichever driver process looks next.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import socket

from pyvirt.files import write_atomic
from pyvirt_lxc import container, libc
from pyvirt_lxc.cgroups import ContainerCgroup
from pyvirt_lxc.spec import Spec

_BACKLOG = 64 * 1024


def run(
    spec: Spec,
    cgroup: ContainerCgroup,
    report: int,
    go: int,
    links: list[tuple[str, str]],
    console_path: str,
    exit_path: str,
) -> None:
    """Body of the monitor process; never returns."""
    try:
        gc.disable()  # objects inherited from the driver must never be finalised here
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)  # not the driver's (a daemon's) handlers
        # a console client that hung up while output was on its way must cost an EPIPE, not
        # the monitor (the init's reset_signals puts SIGPIPE back to default before its exec)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        master, slave = os.openpty()
        if spec.userns:  # the container's root must be able to open its console
            os.fchown(slave, spec.host_id(spec.uid_map), spec.host_id(spec.gid_map))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(console_path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(console_path)
        os.chmod(console_path, 0o600)
        listener.listen(4)
        os.write(report, f"C {os.getpid()}\n".encode())  # before any step can fail: the driver waits for us
        channels = container.Channels(report, go, os.ttyname(slave), links)
        if not spec.userns:
            libc.unshare(libc.CLONE_NEWPID)  # for our next child only: the init
        parent = os.fork()
        if parent == 0:
            listener.close()
            os.close(master)
            if spec.userns:
                container.namespace_parent(spec, channels)
            container.init(spec, channels)
        os.close(slave)
        os.close(report)
        os.close(go)
        status = _serve(listener, master, wake_r, parent if spec.userns else 0)
        with contextlib.suppress(OSError):
            os.unlink(console_path)
        oom = cgroup.oom_kills()
        with contextlib.suppress(Exception):
            cgroup.kill_all()
            cgroup.remove()
        write_atomic(exit_path, json.dumps({"status": status, "oom_kills": oom}), durable=False)
    finally:
        os._exit(0)


def _serve(listener: socket.socket, master: int, wake: int, helper: int) -> int | None:
    """Relay the console and reap children until none is left; the init's wait status
    (``helper``: the user-namespace step's PID, whose status is not the init's)."""
    sel = selectors.DefaultSelector()
    sel.register(wake, selectors.EVENT_READ, "wake")
    sel.register(listener, selectors.EVENT_READ, "listen")
    sel.register(master, selectors.EVENT_READ, "master")
    client: socket.socket | None = None
    backlog = bytearray()
    status: int | None = None
    while True:
        for key, _ in sel.select():
            what = key.data
            if what == "wake":
                with contextlib.suppress(BlockingIOError):
                    os.read(wake, 4096)
                while True:
                    try:
                        pid, wstatus = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        if client is not None:
                            client.close()
                        return status
                    if pid == 0:
                        break
                    if pid != helper:
                        status = wstatus
            elif what == "listen":
                conn, _ = listener.accept()
                if client is not None:  # the newest client takes the console over
                    sel.unregister(client)
                    client.close()
                client = conn
                sel.register(client, selectors.EVENT_READ, "client")
                if backlog:
                    _send(client, bytes(backlog))
                    backlog.clear()
            elif what == "master":
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(master)
                    continue
                if client is None or not _send(client, data):
                    backlog += data
                    del backlog[:-_BACKLOG]
            elif what == "client" and client is not None:
                try:
                    data = client.recv(65536)
                except OSError:
                    data = b""
                if data:
                    with contextlib.suppress(OSError):
                        os.write(master, data)
                else:
                    sel.unregister(client)
                    client.close()
                    client = None


def _send(client: socket.socket, data: bytes) -> bool:
    try:
        client.sendall(data)
    except OSError:
        return False
    return True
