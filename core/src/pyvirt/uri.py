"""Connection URIs: libvirt's ``driver[+transport]://[user@][host][:port]/[path][?params]``.

A URI is parsed once into a frozen value; drivers and transports read its fields instead of
re-parsing strings.  The scheme picks the driver plugin, the transport (``+tls``, ``+unix``,
``+ssh``...) or a host picks the remote driver, as in libvirt.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from pyvirt.errors import ErrorDomain, URIError

DEFAULT_URI_ENV = "PYVIRT_DEFAULT_URI"
FALLBACK_URI = "test:///default"

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9.-]*(\+[A-Za-z][A-Za-z0-9.-]*)?$")


@dataclass(frozen=True)
class URI:
    """A parsed connection URI.  ``str(uri)`` gives back a canonical form."""

    driver: str
    transport: str | None = None
    user: str | None = None
    host: str | None = None
    port: int | None = None
    path: str = ""
    params: tuple[tuple[str, str], ...] = field(default=())

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

    def without_transport(self) -> URI:
        """The URI the server side opens: same driver and path, no host or transport."""
        local_params = tuple((k, v) for k, v in self.params if k not in _REMOTE_ONLY_PARAMS)
        return URI(driver=self.driver, path=self.path, params=local_params)

    def __str__(self) -> str:
        authority = ""
        if self.user:
            authority += quote(self.user, safe="") + "@"
        if self.host:
            authority += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            authority += f":{self.port}"
        text = f"{self.scheme}://{authority}{quote(self.path, safe='/:@=+,~')}"
        if self.params:
            text += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='/')}" for k, v in self.params)
        return text


_REMOTE_ONLY_PARAMS = frozenset({"socket", "pkipath", "no_verify", "keyfile", "command", "name"})


def parse(text: str) -> URI:
    """Parse ``text`` into a :class:`URI`, or raise :class:`URIError` saying what is wrong."""
    if not text or text.strip() != text:
        raise URIError(f"invalid connection URI '{text}': empty or surrounded by spaces", domain=ErrorDomain.URI)
    if "://" not in text:
        raise URIError(
            f"invalid connection URI '{text}': expected 'driver[+transport]://[host]/[path]', "
            "e.g. 'test:///default' or 'qemu:///system'",
            domain=ErrorDomain.URI,
        )
    scheme = text.split("://", 1)[0]
    if not _SCHEME.match(scheme):
        raise URIError(f"invalid connection URI '{text}': bad scheme '{scheme}'", domain=ErrorDomain.URI)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise URIError(f"invalid connection URI '{text}': {exc}", domain=ErrorDomain.URI) from exc
    if parts.fragment:
        raise URIError(f"invalid connection URI '{text}': fragments are not allowed", domain=ErrorDomain.URI)
    driver, _, transport = scheme.lower().partition("+")
    try:
        params = tuple(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)))
    except ValueError as exc:
        raise URIError(f"invalid connection URI '{text}': bad query string", domain=ErrorDomain.URI) from exc
    return URI(
        driver=driver,
        transport=transport or None,
        user=unquote(parts.username) if parts.username else None,
        host=parts.hostname or None,
        port=port,
        path=unquote(parts.path),
        params=params,
    )


def default_uri() -> str:
    """The URI to use when the caller gives none: ``$PYVIRT_DEFAULT_URI``, else the test node."""
    return os.environ.get(DEFAULT_URI_ENV) or FALLBACK_URI
