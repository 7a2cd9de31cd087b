"""The ``ext`` transport: ``command=`` names a local program whose stdin and stdout carry the
protocol to a daemon, however it gets there (a proxy, a tunnel, a bridge to a unix socket).

libvirt runs ``command`` as a single path; pyvirt splits it like a shell would (``shlex``), so
a bridge with arguments needs no wrapper script.  A path with spaces must then be quoted.
Nothing is known about the far side, so the stream counts as neither encrypted nor secure.
"""

from __future__ import annotations

import shlex

from pyvirt.errors import ErrorDomain, URIError
from pyvirt.remote.pipe import ChildTransport
from pyvirt.remote.target import Target
from pyvirt.remote.transport import Transport


def connect_ext(target: Target) -> Transport:
    return ChildTransport(ext_argv(target), encrypted=False, secure=False, what="ext command")


def ext_argv(target: Target) -> list[str]:
    command = target.uri.param("command")
    try:
        argv = shlex.split(command or "")
    except ValueError as exc:
        raise URIError(f"cannot parse the 'command' parameter {command!r}: {exc}", domain=ErrorDomain.REMOTE) from exc
    if not argv:
        raise URIError("remote_open: for 'ext' transport, command is required", domain=ErrorDomain.REMOTE)
    return argv
