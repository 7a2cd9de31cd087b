"""Connection URIs: libvirt's ``driver[+transport]://[user@][host][:port]/[path][?params]``.

A URI is parsed once into an immutable value; drivers and transports read its fields instead of
re-parsing strings.  The scheme picks the driver plugin; a transport (``+tls``, ``+unix``,
``+ssh``...) or a host means the remote driver, as in libvirt.

Parsing is hand-written with string methods because it sits on every CLI start-up:
``urllib.parse`` (with ``ipaddress``) costs ~2 ms to import, and compiling the equivalent regular
expressions ~2 ms more.  The grammar is that regular expression's (``core/tests/test_uri.py``
checks the two agree); percent-escapes are decoded here.
"""

from __future__ import annotations

import os

from pyvirt.errors import ErrorDomain, URIError
from pyvirt.records import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_URI_ENV = "PYVIRT_DEFAULT_URI"
FALLBACK_URI = "test:///default"

_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
_PLAIN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~/:@=+,-"
"""What :func:`_quote` leaves as it is."""


class URI(NamedTuple):
    """A parsed connection URI.  ``str(uri)`` gives back a canonical form."""

    driver: str
    transport: str | None = None
    user: str | None = None
    host: str | None = None
    port: int | None = None
    path: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @property
    def scheme(self) -> str:
        """``driver`` or ``driver+transport`` as written."""
        return f"{self.driver}+{self.transport}" if self.transport else self.driver

    @property
    def is_remote(self) -> bool:
        """True when the URI names a transport or a host: libvirt then uses its remote driver."""
        return self.transport is not None or bool(self.host)

    def param(self, name: str, default: str | None = None) -> str | None:
        """Last value of query parameter ``name`` (libvirt lets later ones win)."""
        for key, value in reversed(self.params):
            if key == name:
                return value
        return default

    def __str__(self) -> str:
        authority = ""
        if self.user:
            authority += _quote(self.user) + "@"
        if self.host:
            authority += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            authority += f":{self.port}"
        text = f"{self.scheme}://{authority}{_quote(self.path)}"
        if self.params:
            text += "?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in self.params)
        return text


def parse(text: str) -> URI:
    """Parse ``text`` into a :class:`URI`, or raise :class:`URIError` saying what is wrong."""

    def fail(reason: str) -> URIError:
        return URIError(f"invalid connection URI '{text}': {reason}", domain=ErrorDomain.URI)

    if not text or text.strip() != text:
        raise fail("empty or surrounded by spaces")
    end = _find_any(text, ":/?#")
    if end == 0 or not text.startswith("://", end):
        raise fail("expected 'driver[+transport]://[host]/[path]', e.g. 'test:///default' or 'qemu:///system'")
    scheme, rest = text[:end], text[end + 3 :]
    if not _valid_scheme(scheme):
        raise fail(f"bad scheme '{scheme}'")
    user = None
    at = _find_any(rest, "@/?#")
    if rest[at : at + 1] == "@":
        user, rest = rest[:at], rest[at + 1 :]
    host_end = _find_any(rest, ":/?#")
    if rest.startswith("["):  # an IPv6 literal, when its bracket closes
        close = _find_any(rest, "]/?#", 1)
        if rest[close : close + 1] == "]":
            host_end = close + 1
    host, rest = rest[:host_end], rest[host_end:]
    port_text = None
    if rest.startswith(":"):
        port_end = _find_any(rest, "/?#")
        port_text, rest = rest[1:port_end], rest[port_end:]
    rest, fragment, _ = rest.partition("#")
    path, _, query = rest.partition("?")
    if fragment:
        raise fail("fragments are not allowed")
    port = None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise fail(f"bad port '{port_text}'")
        port = int(port_text)
    if host.startswith("["):
        host = host[1:-1]
    driver, _, transport = scheme.lower().partition("+")
    return URI(
        driver=driver,
        transport=transport or None,
        user=_unquote(user) if user else None,
        host=_unquote(host) or None,
        port=port,
        path=_unquote(path),
        params=_parse_query(query, fail) if query else (),
    )


def default_uri() -> str:
    """The URI to use when the caller gives none: ``$PYVIRT_DEFAULT_URI``, else the test node."""
    return os.environ.get(DEFAULT_URI_ENV) or FALLBACK_URI


def _find_any(text: str, chars: str, start: int = 0) -> int:
    """Index of the first of ``chars`` in ``text`` from ``start``, or ``len(text)``."""
    end = len(text)
    for char in chars:
        found = text.find(char, start, end)
        if found >= 0:
            end = found
    return end


def _valid_scheme(scheme: str) -> bool:
    """``driver`` or ``driver+transport``: each a letter, then letters, digits, '.' or '-'."""
    parts = scheme.split("+")
    return len(parts) <= 2 and all(
        part and part[0].isascii() and part[0].isalpha() and _SCHEME_CHARS.issuperset(part) for part in parts
    )


def _parse_query(query: str, fail: Callable[[str], URIError]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not key or not sep:
            raise fail(f"bad query parameter '{item}' (expected name=value)")
        # only %XX escapes, as libvirt (xmlURIUnescapeString): a '+' stays a '+', which GnuTLS
        # priority strings (tls_priority=NORMAL:+VERS-TLS1.3) need
        pairs.append((_unquote(key), _unquote(value)))
    return tuple(pairs)


def _unquote(text: str) -> str:
    if "%" not in text:
        return text
    head, *pieces = text.encode("utf-8").split(b"%")
    raw = bytearray(head)
    for piece in pieces:
        if len(piece) >= 2 and _HEX_DIGITS.issuperset(piece[:2]):
            raw.append(int(piece[:2], 16))
            raw += piece[2:]
        else:
            raw += b"%" + piece
    return raw.decode("utf-8", errors="replace")


def _quote(text: str) -> str:
    if not text.strip(_PLAIN_CHARS):
        return text
    from urllib.parse import quote  # rare: only names with spaces or non-ASCII characters

    return quote(text, safe="/:@=+,~")
