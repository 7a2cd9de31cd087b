"""pyvirsh's credential callback: ask on the terminal, as virsh does.

virsh opens every connection with libvirt's default callback (``virConnectAuthCallbackDefault``),
so a daemon that wants a SASL login, or a test node file with users, makes it prompt.  pyvirsh
offers the same credential kinds and behaves the same way, so a user sees one thing:

* the prompt is printed to standard output as ``"<prompt>: "``;
* names (AUTHNAME, ECHOPROMPT, REALM) are read as a line from standard input; end of input
  counts as an empty answer;
* passwords (PASSPHRASE, NOECHOPROMPT) are read from the terminal with echo off (from standard
  input when there is no terminal);
* an empty answer takes the credential's default, else the empty string;
* EXTERNAL is accepted only for PolicyKit (the user may have authorised outside pyvirt), any
  other kind refuses, which fails the login.
"""

from __future__ import annotations

import os
import sys

from pyvirt.auth import Authenticator, Credential, CredentialType

OFFERED = (
    CredentialType.AUTHNAME,
    CredentialType.ECHOPROMPT,
    CredentialType.REALM,
    CredentialType.PASSPHRASE,
    CredentialType.NOECHOPROMPT,
    CredentialType.EXTERNAL,
)
"""libvirt's default kinds; USERNAME is left out, as libvirt does (it would ask for a name twice)."""

_ECHOED = {CredentialType.USERNAME, CredentialType.AUTHNAME, CredentialType.ECHOPROMPT, CredentialType.REALM}
_SECRET = {CredentialType.PASSPHRASE, CredentialType.NOECHOPROMPT}


def terminal_authenticator() -> Authenticator:
    """The authenticator pyvirsh passes to every open."""
    return Authenticator(OFFERED, answer_on_terminal)


def answer_on_terminal(credentials: list[Credential]) -> None:
    for cred in credentials:
        if cred.type == CredentialType.EXTERNAL:
            if cred.challenge != "PolicyKit":
                raise PermissionError(f"cannot answer an external credential for {cred.challenge!r}")
            continue
        if cred.type not in _ECHOED and cred.type not in _SECRET:
            raise PermissionError(f"cannot answer a {cred.type.name} credential on the terminal")
        answer = _read_line(cred.prompt) if cred.type in _ECHOED else _read_secret(cred.prompt)
        cred.result = answer or cred.default_result or ""


def _show(prompt: str) -> None:
    sys.stdout.write(f"{prompt}: ")
    sys.stdout.flush()


def _read_line(prompt: str) -> str:
    _show(prompt)
    return sys.stdin.readline().removesuffix("\n")


def _read_secret(prompt: str) -> str:
    """A line from the controlling terminal with echo off, then a newline on it (as getpass(3)).

    Echo goes off (dropping type-ahead, as getpass does) *before* the prompt shows, so an
    answer typed as soon as the prompt appears is neither echoed nor lost."""
    import termios

    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return _read_line(prompt)
    try:
        old = termios.tcgetattr(fd)
        quiet = list(old)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            _show(prompt)
            line = _read_until_newline(fd)
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, old)
            os.write(fd, b"\n")
    finally:
        os.close(fd)
    return line


def _read_until_newline(fd: int) -> str:
    data = bytearray()
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", errors="replace").removesuffix("\n")
