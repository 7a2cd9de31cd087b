"""``lxc-enter-namespace``: what only containers offer.

Like virsh, pyvirsh asks the driver for descriptors on the container's namespaces
(:func:`pyvirt.lxc.open_namespace`: in this process for ``lxc:///embed``, passed over pyvirtd's
unix socket otherwise), then in a forked child joins the container's cgroups (found from the
domain ID, the init's host PID: :func:`pyvirt.lxc.enter_cgroup`, so the command stays under
the container's limits) and its namespaces, and forks again (only a child of a process that
joined a PID namespace is inside it) to exec the command there.
``console`` is generic (:mod:`pyvirt.cli.commands.console`).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

import pyvirt.lxc
from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError
from pyvirt.cli.parser import Args, argv, data, flag
from pyvirt.domain import Domain

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import NoReturn


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
    cmd = args.words("cmd")
    if not cmd:
        raise CommandError("No command to run")
    fds = pyvirt.lxc.open_namespace(dom)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        child = os.fork()
        if child == 0:
            _run_inside(dom, fds, cmd)
    finally:
        for fd in fds:
            os.close(fd)
    _, status = os.waitpid(child, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise CommandError(f"internal error: Child process ({child}) unexpected exit status {code}")


def _run_inside(dom: Domain, fds: Sequence[int], cmd: Sequence[str]) -> NoReturn:
    """In the forked child: join the cgroups, then the namespaces (the cgroup paths are the
    host's), run ``cmd`` (a path, as virsh takes it) in a
    grandchild and exit with its status; never returns to the CLI."""
    try:
        pyvirt.lxc.enter_cgroup(dom, fds)
        pyvirt.lxc.enter_namespace(fds)
        grandchild = os.fork()
        if grandchild == 0:
            for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; commands expect defaults
                signal.signal(sig, signal.SIG_DFL)
            try:
                os.execv(cmd[0], list(cmd))
            except OSError as exc:
                print(f"error: cannot run '{cmd[0]}' in the container: {exc.strerror}", file=sys.stderr)
                os._exit(127)
        _, status = os.waitpid(grandchild, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    except BaseException as exc:  # a forked CLI must never return into its caller's code
        print(f"error: {exc}", file=sys.stderr)
        os._exit(125)
