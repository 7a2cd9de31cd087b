"""The ``ssh`` transport: the user's own ``ssh`` binary runs a bridge to the daemon's socket on
the far side, and the protocol travels through the ssh child's stdin and stdout.

This is libvirt's arrangement (``docs/uri.rst``, virNetClientNewSSH), so keys, agents,
``~/.ssh/config`` and known_hosts work as they do for any ssh login.  What runs on the far side
depends on ``proxy=``:

* ``native``: ``pyvirt-ssh-helper URI`` (shipped with pyvirtd), which finds the daemon's socket;
* ``netcat``: ``nc -U SOCKET`` (``netcat=`` names another binary), which also reaches libvirtd;
* ``auto`` (the default): the helper when the far side has it, else netcat.  An explicit
  ``netcat=`` means netcat, since only netcat takes that parameter.

``mode=`` is checked with the other socket rules (:func:`pyvirt.remote.target.check_mode`):
over ssh only the one daemon's socket is reachable, as in libvirt, which refuses ``direct``
here unless ``socket=`` is given.  ``sshauth=`` (like ``known_hosts_verify=``) belongs to
libvirt's libssh transports; over ``+ssh`` libvirt consumes it and the ssh binary
authenticates as the user's ssh configuration says, and so does pyvirt.
"""

from __future__ import annotations

import shlex

from pyvirt.errors import ErrorDomain, URIError
from pyvirt.remote.pipe import ChildTransport
from pyvirt.remote.target import Target, default_socket
from pyvirt.remote.transport import Transport

HELPER = "pyvirt-ssh-helper"
PROXIES = ("auto", "netcat", "native")


def connect_ssh(target: Target) -> Transport:
    # libvirt reports ssh as secure but not encrypted (it counts only its own TLS/SASL layers)
    return ChildTransport(ssh_argv(target), encrypted=False, secure=True, what="ssh")


def ssh_argv(target: Target) -> list[str]:
    """The ssh command line for ``target`` (pure, so its rules are tested without a server)."""
    uri = target.uri
    argv = [uri.param("command") or "ssh"]
    if target.port is not None:
        argv += ["-p", str(target.port)]
    if target.user:
        argv += ["-l", target.user]
    keyfile = uri.param("keyfile")
    if keyfile:
        argv += ["-i", keyfile]
    if target.flag("no_tty"):
        argv += ["-T", "-o", "BatchMode=yes"]
    argv += ["-e", "none"]
    if target.flag("no_verify"):
        argv += ["-o", "StrictHostKeyChecking=no"]
    known_hosts = uri.param("known_hosts")
    if known_hosts:
        argv += ["-o", f"UserKnownHostsFile={known_hosts}"]
    argv += ["--", target.host or "localhost", "sh", "-c", shlex.quote(remote_command(target))]
    return argv


def remote_command(target: Target) -> str:
    """The shell command the far side runs to reach its daemon."""
    uri = target.uri
    proxy = uri.param("proxy") or "auto"
    if proxy not in PROXIES:
        raise URIError(f"unsupported proxy mode '{proxy}' (expected {', '.join(PROXIES)})", domain=ErrorDomain.REMOTE)
    netcat = uri.param("netcat")
    if netcat and proxy == "native":
        raise URIError("'netcat' parameter is not permitted with the native proxy", domain=ErrorDomain.REMOTE)
    socket = uri.param("socket") or default_socket(target.read_only)
    nc_bin = shlex.quote(netcat or "nc")
    # OpenBSD's nc waits for the socket after its stdin ends unless told -q0 (libvirt probes the same way)
    nc = (
        f'if {nc_bin} -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0; else ARG=; fi; '
        f"exec {nc_bin} $ARG -U {shlex.quote(socket)}"
    )
    helper = [HELPER, *(["-r"] if target.read_only else [])]
    if uri.param("socket"):
        helper += ["--socket", socket]
    native = "exec " + " ".join(shlex.quote(word) for word in [*helper, "--", target.open_name])
    if proxy == "netcat" or netcat:
        return nc
    if proxy == "native":
        return native
    return f"if command -v {HELPER} >/dev/null 2>&1; then {native}; else {nc}; fi"
