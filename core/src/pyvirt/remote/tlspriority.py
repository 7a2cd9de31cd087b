"""libvirt's ``tls_priority`` (a GnuTLS priority string) applied to a Python :mod:`ssl` context.

libvirt hands the string to GnuTLS as it is.  Python's ssl (OpenSSL) has no such language, and
it cannot choose TLS 1.3 cipher suites at all, so pyvirt maps the forms whose meaning it can
keep exactly and refuses the rest with an error that says why, rather than quietly connecting
with something other than what the administrator asked for:

* a base keyword first: ``NORMAL``, ``PERFORMANCE`` (the same set in GnuTLS, only ordered
  differently) and ``@SYSTEM`` (the system policy: OpenSSL's configured defaults) keep the
  defaults; ``SECURE128`` keeps only 128-bit-or-stronger forward-secret AEAD suites for
  TLS 1.2 (TLS 1.3's suites all are); ``SECURE192``/``SECURE256`` keep only 256-bit ones, which
  is possible only with TLS 1.3 turned off;
* then protocol versions: ``-VERS-TLS1.3``, ``-VERS-TLS1.2``, ``-VERS-ALL`` (or
  ``-VERS-TLS-ALL``), ``+VERS-TLS1.2``, ``+VERS-TLS1.3`` (``!`` works as ``-``); turning off
  TLS 1.0, 1.1 or SSL 3.0 is accepted and changes nothing, since pyvirt never speaks below
  TLS 1.2, and turning them on is refused for the same reason;
* ``%SERVER_PRECEDENCE``: the server's order of cipher suites wins.

Cipher, key-exchange, MAC, group and signature modifiers (``+AES-128-CBC``, ``-RSA``...) are
refused: OpenSSL's names differ and TLS 1.3 suites cannot be chosen.
"""

from __future__ import annotations

import ssl

_VERSIONS = {"TLS1.2": ssl.TLSVersion.TLSv1_2, "TLS1.3": ssl.TLSVersion.TLSv1_3}
_BELOW = {"TLS1.0", "TLS1.1", "SSL3.0"}
_ALL = {"ALL", "TLS-ALL"}
_DEFAULT_BASES = {"NORMAL", "PERFORMANCE", "@SYSTEM"}
_SECURE_128 = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL"
_SECURE_256 = "ECDHE+AES256+AESGCM:ECDHE+CHACHA20:DHE+AES256+AESGCM:DHE+CHACHA20:!aNULL"
_CIPHERS = {"SECURE128": _SECURE_128, "SECURE": _SECURE_128, "SECURE192": _SECURE_256, "SECURE256": _SECURE_256}


class PriorityError(ValueError):
    """A priority string pyvirt cannot honour; the message says which part and why."""


def apply(ctx: ssl.SSLContext, priority: str) -> None:
    """Restrict ``ctx`` as ``priority`` asks, or raise :class:`PriorityError` (``ctx`` is then
    left unchanged)."""
    base, *modifiers = priority.split(":")
    if base not in _DEFAULT_BASES and base not in _CIPHERS:
        known = ", ".join(sorted(_DEFAULT_BASES | set(_CIPHERS)))
        raise PriorityError(f"'{base}' is not a base keyword pyvirt can map (it knows {known})")
    versions = set(_VERSIONS.values())
    server_precedence = False
    for modifier in modifiers:
        if modifier == "%SERVER_PRECEDENCE":
            server_precedence = True
            continue
        sign, name = modifier[:1], modifier[1:]
        if sign not in ("+", "-", "!") or not name.startswith("VERS-"):
            raise PriorityError(
                f"'{modifier}' cannot be mapped to Python's ssl (only -VERS-/+VERS- protocol versions "
                "and %SERVER_PRECEDENCE can)"
            )
        _change_versions(versions, sign == "+", name.removeprefix("VERS-"), modifier)
    if not versions:
        raise PriorityError(f"'{priority}' leaves no TLS version pyvirt speaks (TLS 1.2 and 1.3)")
    ciphers = _CIPHERS.get(base)
    if ciphers == _SECURE_256 and ssl.TLSVersion.TLSv1_3 in versions:
        raise PriorityError(
            f"'{base}' needs TLS 1.3's 128-bit suites turned off, which Python's ssl cannot do; "
            f"add ':-VERS-TLS1.3' or use SECURE128"
        )
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    ctx.minimum_version = min(versions)
    ctx.maximum_version = max(versions)
    if server_precedence:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE


def _change_versions(versions: set[ssl.TLSVersion], enable: bool, name: str, modifier: str) -> None:
    if name in _ALL:
        if enable:
            versions.update(_VERSIONS.values())
        else:
            versions.clear()
    elif name in _VERSIONS:
        (versions.add if enable else versions.discard)(_VERSIONS[name])
    elif name in _BELOW:
        if enable:
            raise PriorityError(f"'{modifier}': pyvirt never speaks TLS below 1.2")
    else:
        raise PriorityError(f"'{modifier}' names no TLS version pyvirt knows")
