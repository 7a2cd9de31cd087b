"""Credentials asked for while a connection opens (libvirt's ``virConnectOpenAuth``).

Some connections need a secret only the user has: a remote daemon that wants a SASL login, a
test-driver node file with an ``<auth>`` section.  libvirt lets the application pass, when it
opens, the credential kinds it can answer and a callback that answers them; the driver asks
while it opens.  pyvirt keeps that contract so that programs written for libvirt's callback
(and pyvirsh's terminal prompts) work unchanged:

    def answer(credentials):
        for cred in credentials:
            if cred.type == CredentialType.AUTHNAME:
                cred.result = "fred"
            elif cred.type == CredentialType.PASSPHRASE:
                cred.result = read_secret()

    conn = pyvirt.open(uri, auth=Authenticator([CredentialType.AUTHNAME, CredentialType.PASSPHRASE], answer))

The callback refuses by raising.  Drivers look in libvirt's ``auth.conf`` (and the URI) first
and ask only for what is still missing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable

from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError, _number_kept

AUTH_DOMAIN = ErrorDomain(46)
"""libvirt's ``VIR_FROM_AUTH``: the error domain of failures while asking for credentials."""


class CredentialType(enum.IntEnum):
    """libvirt's ``virConnectCredentialType`` (``VIR_CRED_*``), with libvirt's numbers."""

    USERNAME = 1
    AUTHNAME = 2
    LANGUAGE = 3
    CNONCE = 4
    PASSPHRASE = 5
    ECHOPROMPT = 6
    NOECHOPROMPT = 7
    REALM = 8
    EXTERNAL = 9

    @classmethod
    def _missing_(cls, value: object) -> CredentialType | None:
        # A number libvirt may add later is kept (it just never matches what a driver asks for),
        # so an application listing it does not fail to open.
        return _number_kept(cls, value)


class Credential:
    """One question to the user; the callback answers it by setting :attr:`result`."""

    __slots__ = ("challenge", "default_result", "prompt", "result", "type")

    def __init__(
        self,
        type: CredentialType,
        prompt: str,
        challenge: str | None = None,
        default_result: str | None = None,
    ) -> None:
        self.type = type
        self.prompt = prompt
        """What to show the user, e.g. ``Enter username for localhost``."""
        self.challenge = challenge
        """Extra context from the asker (libvirt's test driver gives the host name), or None."""
        self.default_result = default_result
        self.result: str | None = None

    def __repr__(self) -> str:
        # Never the result: it may be a password, and reprs end up in logs.
        return f"Credential({self.type.name}, {self.prompt!r}, answered={self.result is not None})"


CredentialCallback = Callable[[list[Credential]], None]
"""Fills ``result`` of the credentials it can answer; raises to refuse."""


class CredentialsRefused(PyvirtError):
    """The application's callback raised; drivers report it with libvirt's own wording."""

    default_code = ErrorCode.AUTH_FAILED


class Authenticator:
    """The credential kinds an application can answer and the callback answering them
    (libvirt's ``virConnectAuth``; the order of ``types`` matters, as libvirt walks it in order)."""

    __slots__ = ("callback", "types")

    def __init__(self, types: Iterable[int], callback: CredentialCallback) -> None:
        self.types = tuple(CredentialType(t) for t in types)
        self.callback = callback

    def supports(self, type: int) -> bool:
        return type in self.types

    def first_of(self, *wanted: int) -> CredentialType | None:
        """The first of this authenticator's types that is one of ``wanted`` (libvirt picks the
        password kind, PASSPHRASE or NOECHOPROMPT, by the application's order)."""
        return next((t for t in self.types if t in wanted), None)

    def collect(self, credentials: list[Credential]) -> None:
        """Ask the callback; its exception becomes :class:`CredentialsRefused` (chained)."""
        try:
            self.callback(credentials)
        except Exception as exc:
            raise CredentialsRefused(f"the credential callback refused: {exc}", domain=AUTH_DOMAIN) from exc

    def __repr__(self) -> str:
        return f"Authenticator([{', '.join(t.name for t in self.types)}])"
