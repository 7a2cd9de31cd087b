"""Connection URIs: libvirt's ``driver[+transport]://[user@][host][:port]/[path][?params]``.

A URI is parsed once into an immutable value; drivers and transports read its fields instead of
re-parsing strings.  The scheme picks the driver plugin; a transport (``+tls``, ``+unix``,
``+ssh``...) or a host means the remote driver, as in libvirt.

Parsing is hand-written over one regular expression because it sits on every CLI start-up and
``urllib.parse`` (with ``ipaddress``) costs ~2 ms to import; percent-escapes are decoded here.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, NamedTuple

from pyvirt.errors import ErrorDomain, URIError

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_URI_ENV = "PYVIRT_DEFAULT_URI"
FALLBACK_URI = "test:///default"

_URI = re.compile(
    r"^(?P<scheme>[^:/?#]+)://"
    r"(?:(?P<user>[^@/?#]*)@)?(?P<host>\[[^\]/?#]*\]|[^:/?#]*)(?::(?P<port>[^/?#]*))?"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?P<fragment>#.*)?$",
    re.DOTALL,
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9.-]*(\+[A-Za-z][A-Za-z0-9.-]*)?$")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_PLAIN = re.compile(r"^[A-Za-z0-9._~/:@=+,-]*$")


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
    match = _URI.match(text)
    if match is None:
        raise fail("expected 'driver[+transport]://[host]/[path]', e.g. 'test:///default' or 'qemu:///system'")
    scheme = match["scheme"]
    if not _SCHEME.match(scheme):
        raise fail(f"bad scheme '{scheme}'")
    if match["fragment"]:
        raise fail("fragments are not allowed")
    port = None
    if match["port"] is not None:
        if not match["port"].isdigit() or not 0 < int(match["port"]) < 65536:
            raise fail(f"bad port '{match['port']}'")
        port = int(match["port"])
    host = match["host"]
    if host.startswith("["):
        host = host[1:-1]
    driver, _, transport = scheme.lower().partition("+")
    return URI(
        driver=driver,
        transport=transport or None,
        user=_unquote(match["user"]) if match["user"] else None,
        host=_unquote(host) or None,
        port=port,
        path=_unquote(match["path"]),
        params=_parse_query(match["query"], fail) if match["query"] else (),
    )


def default_uri() -> str:
    """The URI to use when the caller gives none: ``$PYVIRT_DEFAULT_URI``, else the test node."""
    return os.environ.get(DEFAULT_URI_ENV) or FALLBACK_URI


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
    raw = _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), text.encode("utf-8"))
    return raw.decode("utf-8", errors="replace")


def _quote(text: str) -> str:
    if _PLAIN.match(text):
        return text
    from urllib.parse import quote  # rare: only names with spaces or non-ASCII characters

    return quote(text, safe="/:@=+,~")
