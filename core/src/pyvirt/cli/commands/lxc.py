"""``lxc-enter-namespace``: what only containers offer.

It goes through :mod:`pyvirt_lxc.extras` (the LXC driver's namespaced calls, like libvirt's
``libvirt-lxc``), imported when the command runs, so it works where that driver serves the
connection in this process (``lxc:///embed?root=DIR``).  ``console`` is generic
(:mod:`pyvirt.cli.commands.console`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing
from pyvirt.cli.parser import Args, argv, data, flag

if TYPE_CHECKING:
    from types import ModuleType


def _extras(what: str) -> ModuleType:
    try:
        from pyvirt_lxc import extras
    except ImportError:
        raise CommandError(f"{what} needs the LXC driver: pip install pyvirt-lxc") from None
    return extras


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
