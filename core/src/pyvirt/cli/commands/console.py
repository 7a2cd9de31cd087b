"""``console``: the guest's console through :meth:`pyvirt.Domain.open_console`, for every
driver and over the remote driver alike (virsh's ``console``).

Output is copied by a thread (a stream's ``recv`` blocks) while this thread copies the
terminal's input; Ctrl + ] ends the session, as in virsh.  At the end of piped input the
console's answer is still shown, until it has been quiet for :data:`QUIET` seconds.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
import time

import pyvirt
from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import failing
from pyvirt.cli.parser import Args, data, flag, string

ESCAPE = b"\x1d"
"""Ctrl + ], virsh's console escape."""
QUIET = 0.5


@command(
    "console",
    DOMAIN,
    "connect to the guest console",
    "Connect the virtual serial console for the guest",
    data("domain", "domain name, id or uuid", complete="domain"),
    string("devname", "character device name"),
    flag("force", "force console connection (disconnect already connected sessions)"),
    flag("safe", "only connect if safe console handling is supported"),
)
def console(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing("unable to open the console"):
        stream = dom.open_console(args.get("devname"), force=bool(args.get("force")))
    out = sys.stdout
    out.write(f"Connected to domain '{dom.name}'\nEscape character is ^] (Ctrl + ])\n")
    out.flush()
    stdin = sys.stdin.fileno()
    restore = None
    if os.isatty(stdin):
        import termios
        import tty

        restore = termios.tcgetattr(stdin)
        tty.setraw(stdin)
    try:
        _relay(stream, stdin, out.fileno())
    finally:
        if restore is not None:
            import termios

            termios.tcsetattr(stdin, termios.TCSADRAIN, restore)
        stream.abort()
        out.write("\n")


class _Output(threading.Thread):
    """Copies the console's output to ``stdout`` until end of file or the stream's end."""

    def __init__(self, stream: pyvirt.Stream, stdout: int) -> None:
        super().__init__(name="pyvirsh-console-output", daemon=True)
        self.stream = stream
        self.stdout = stdout
        self.last = time.monotonic()

    def run(self) -> None:
        with contextlib.suppress(pyvirt.PyvirtError, OSError):
            while chunk := self.stream.recv(65536):
                os.write(self.stdout, chunk)
                self.last = time.monotonic()


def _relay(stream: pyvirt.Stream, stdin: int, stdout: int) -> None:
    output = _Output(stream, stdout)
    output.start()
    while output.is_alive():
        if not select.select([stdin], [], [], QUIET)[0]:
            continue
        chunk = os.read(stdin, 65536)
        if ESCAPE in chunk:
            with contextlib.suppress(pyvirt.PyvirtError):
                stream.send(chunk.split(ESCAPE)[0])
            return
        if not chunk:
            break
        try:
            stream.send(chunk)
        except pyvirt.PyvirtError:
            return
    while output.is_alive() and time.monotonic() - output.last < QUIET:
        output.join(QUIET / 5)
