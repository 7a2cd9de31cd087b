"""``console`` and ``lxc-enter-namespace``: what only containers offer so far.

Both go through :mod:`pyvirt_lxc.extras` (the LXC driver's namespaced calls, like libvirt's
``libvirt-lxc``), imported when the command runs, so they work where that driver serves the
connection in this process (``lxc:///embed?root=DIR``).
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from typing import TYPE_CHECKING

from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing
from pyvirt.cli.parser import Args, argv, data, flag, string

if TYPE_CHECKING:
    from types import ModuleType

ESCAPE = b"\x1d"
"""Ctrl + ], virsh's console escape."""
QUIET = 0.5


def _extras(what: str) -> ModuleType:
    try:
        from pyvirt_lxc import extras
    except ImportError:
        raise CommandError(f"{what} needs the LXC driver: pip install pyvirt-lxc") from None
    return extras


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
    extras = _extras("console")
    with failing("unable to open the console"):
        sock = extras.open_console(dom)
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
        _relay(sock.fileno(), stdin, out.fileno())
    finally:
        if restore is not None:
            import termios

            termios.tcsetattr(stdin, termios.TCSADRAIN, restore)
        sock.close()
        out.write("\n")


def _relay(sock: int, stdin: int, stdout: int) -> None:
    """Copy both ways until the escape key or the container's end.  At the end of piped input
    the console's answer is still shown, until it has been quiet for :data:`QUIET` seconds."""
    reading = [sock, stdin]
    while True:
        ready = select.select(reading, [], [], None if stdin in reading else QUIET)[0]
        if not ready:
            return
        if sock in ready:
            chunk = os.read(sock, 65536)
            if not chunk:
                return
            os.write(stdout, chunk)
        if stdin in ready:
            chunk = os.read(stdin, 65536)
            if ESCAPE in chunk:
                with contextlib.suppress(OSError):
                    os.write(sock, chunk.split(ESCAPE)[0])
                return
            if chunk:
                os.write(sock, chunk)
            else:
                reading = [sock]


@command(
    "lxc-enter-namespace",
    DOMAIN,
    "LXC Guest Enter Namespace",
    "Run an arbitrary command in a lxc guest namespace; use at your own risk",
    data("domain", "domain name, id or uuid", complete="domain"),
    flag("noseclabel", "Do not change process security label"),
    argv("cmd", "command to run"),
)
def lxc_enter_namespace(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    extras = _extras("lxc-enter-namespace")
    sys.stdout.flush()
    with failing("internal error: cannot enter the container"):
        proc = extras.enter_namespace(dom, args.words("cmd"))
    status = proc.wait()
    if status != 0:
        raise CommandError(f"internal error: Child process (command in the container) unexpected exit status {status}")
