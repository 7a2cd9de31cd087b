"""SASL for pyvirtd: SCRAM-SHA-256 against a password file, as libvirt's docs recommend
(``docs/auth.rst``: username/password auth on the unix and TLS listeners).

The password file (config key ``sasl_db``) never holds a password: one line per user,

    USER:SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY

(RFC 5803's encoding of SCRAM's stored secrets, base64 fields; ``#`` starts a comment), which
is enough to verify a SCRAM login but not to make one.  ``python -m pyvirt_daemon.saslpasswd``
writes such lines.  The file is read at every login, so adding or removing a user needs no
reload.

Failed logins say little to the client (as SCRAM intends: an unknown user fails the same way
as a wrong password, at the proof) and everything useful to the log; the password itself never
reaches this process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from typing import NamedTuple

from scramp import ScramException, ScramMechanism

MECHANISM = "SCRAM-SHA-256"
DEFAULT_DB = "/etc/pyvirt/sasl-passwd"
ITERATIONS = 4096
_mechanism = ScramMechanism(MECHANISM)
_LINE = re.compile(
    r"^(?P<user>[^:\s]+):SCRAM-SHA-256\$(?P<iterations>[0-9]+):(?P<salt>[A-Za-z0-9+/=]+)"
    r"\$(?P<stored>[A-Za-z0-9+/=]+):(?P<server>[A-Za-z0-9+/=]+)$"
)


class DatabaseError(Exception):
    """The password file cannot be used; the message names file and line."""


class Secret(NamedTuple):
    """What SCRAM keeps of a password."""

    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int


def secret(password: str, iterations: int = ITERATIONS) -> Secret:
    salt, stored, server, count = _mechanism.make_auth_info(password, iteration_count=iterations)
    return Secret(salt, stored, server, count)


def format_entry(user: str, entry: Secret) -> str:
    """One line of the password file."""
    if not user or ":" in user or user != user.strip() or any(c.isspace() for c in user):
        raise ValueError(f"a SASL user name has no colon or white space: {user!r}")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"{user}:{MECHANISM}${entry.iterations}:{b64(entry.salt)}${b64(entry.stored_key)}:{b64(entry.server_key)}"


def load(path: str) -> dict[str, Secret]:
    """Read the password file; raises :class:`DatabaseError`."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise DatabaseError(f"cannot read the SASL password file {path} (sasl_db): {exc.strerror}") from None
    users: dict[str, Secret] = {}
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = _LINE.match(text)
        if match is None:
            raise DatabaseError(f"{path}:{number}: not a 'USER:SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY' line")
        try:
            entry = Secret(
                base64.b64decode(match["salt"], validate=True),
                base64.b64decode(match["stored"], validate=True),
                base64.b64decode(match["server"], validate=True),
                int(match["iterations"]),
            )
        except binascii.Error:
            raise DatabaseError(f"{path}:{number}: a field is not valid base64") from None
        users[match["user"]] = entry
    return users


class Refused(Exception):
    """A login that failed: ``why`` is for the log, ``user`` as far as it is known."""

    def __init__(self, why: str, user: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.user = user


class ServerSession:
    """One client's SCRAM exchange, driven by AUTH_SASL_START and AUTH_SASL_STEP.

    ``start``/``step`` return ``(complete, data)`` as libvirt's wire carries them; when
    ``complete`` is true :attr:`user` is the authenticated user name.
    """

    def __init__(self, db_path: str) -> None:
        self._db_path = db_path
        self._users: dict[str, Secret] | None = None
        self._server = _mechanism.make_server(self._lookup)
        self._stage = "start"
        self.user: str | None = None

    def _lookup(self, user: str) -> tuple[bytes, bytes, bytes, int]:
        self.user = user
        assert self._users is not None
        entry = self._users.get(user)
        if entry is None:
            entry = _decoy(user)
        return entry.salt, entry.stored_key, entry.server_key, entry.iterations

    def start(self, mechanism: str, data: bytes | None) -> tuple[bool, bytes | None]:
        if self._stage != "start":
            raise Refused("AUTH_SASL_START sent twice")
        if mechanism != MECHANISM:
            raise Refused(f"mechanism {mechanism!r} is not offered (only {MECHANISM})")
        try:
            self._users = load(self._db_path)
        except DatabaseError as exc:
            raise Refused(f"the password database is unusable: {exc}") from None
        self._stage = "client-first"
        if not data:  # no initial response: ask for it with an empty challenge
            return False, b""
        return self._client_first(data)

    def step(self, data: bytes | None) -> tuple[bool, bytes | None]:
        if self._stage == "client-first":
            return self._client_first(data or b"")
        if self._stage == "client-final":
            return self._client_final(data or b"")
        raise Refused(f"AUTH_SASL_STEP unexpected at stage {self._stage}")

    def _client_first(self, data: bytes) -> tuple[bool, bytes | None]:
        try:
            self._server.set_client_first(_text(data))
            reply = self._server.get_server_first()
        except ScramException as exc:
            raise Refused(f"bad SCRAM client-first message: {exc}", self.user) from None
        self._stage = "client-final"
        return False, reply.encode()

    def _client_final(self, data: bytes) -> tuple[bool, bytes | None]:
        self._stage = "done"
        try:
            self._server.set_client_final(_text(data))
        except ScramException as exc:
            why = "wrong password or unknown user" if "invalid-proof" in str(exc) else f"SCRAM failed: {exc}"
            raise Refused(why, self.user) from None
        return True, self._server.get_server_final().encode()


def _decoy(user: str) -> Secret:
    """The secret an unknown user is challenged with: it fails at the proof like a wrong
    password, costs no key derivation (no timing difference), and keeps one salt per name
    for the life of the daemon (a salt changing between attempts would betray the name)."""
    salt = hmac.new(_DECOY_KEY, user.encode("utf-8", "surrogateescape"), hashlib.sha256).digest()
    return Secret(salt, os.urandom(32), os.urandom(32), ITERATIONS)


_DECOY_KEY = os.urandom(32)


def _text(data: bytes) -> str:
    try:
        return data.rstrip(b"\0").decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("SCRAM message is not UTF-8") from None
