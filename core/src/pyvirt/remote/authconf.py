"""libvirt's client credentials file, ``auth.conf`` (``docs/auth.rst``), as libvirt reads it.

The file is found at ``$LIBVIRT_AUTH_FILE``, else the URI's ``authfile=``, else
``$XDG_CONFIG_HOME/libvirt/auth.conf``, else ``/etc/libvirt/auth.conf``.  It maps a service and
host (``[auth-libvirt-HOST]``, or ``[auth-libvirt-default]``) to a named set of credentials
(``[credentials-NAME]`` with ``authname``, ``username``, ``password``, ``realm``).  For a unix
socket the host is ``localhost``, as in libvirt.  Sharing the file means one set of
credentials serves virsh and pyvirt alike.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

from pyvirt.records import NamedTuple

SERVICE = "libvirt"
SYSTEM_FILE = "/etc/libvirt/auth.conf"


class Credentials(NamedTuple):
    authname: str | None = None
    username: str | None = None
    password: str | None = None
    realm: str | None = None


def find_file(authfile_param: str | None, environ: dict[str, str] | None = None) -> Path | None:
    """The auth.conf libvirt would read, or None when there is none."""
    env = os.environ if environ is None else environ
    explicit = env.get("LIBVIRT_AUTH_FILE") or authfile_param
    if explicit:
        return Path(explicit)
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    for candidate in (Path(config_home) / "libvirt" / "auth.conf", Path(SYSTEM_FILE)):
        if candidate.exists():
            return candidate
    return None


def lookup(path: Path, host: str, service: str = SERVICE) -> Credentials | None:
    """The credentials ``path`` gives for ``service`` on ``host`` (or its default), if any.

    Raises ``OSError`` when the file cannot be read and ``ValueError`` when it is malformed or
    names a credential set it does not define.
    """
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except configparser.Error as exc:
        raise ValueError(f"{path}: not a valid auth.conf: {exc.message}") from None
    for group in (f"auth-{service}-{host}", f"auth-{service}-default"):
        if parser.has_section(group):
            name = parser.get(group, "credentials", fallback=None)
            if not name:
                raise ValueError(f"{path}: [{group}] names no 'credentials'")
            section = f"credentials-{name}"
            if not parser.has_section(section):
                raise ValueError(f"{path}: [{group}] refers to missing [{section}]")
            values = parser[section]
            return Credentials(
                authname=values.get("authname"),
                username=values.get("username"),
                password=values.get("password"),
                realm=values.get("realm"),
            )
    return None
