"""The remote program's dispatch table: procedure number -> handler.

A handler takes the session and the decoded arguments (None for procedures without) and
returns the reply value (None for procedures without); a :class:`~pyvirt.errors.PyvirtError`
it raises becomes the error reply.  Procedures of libvirt's protocol that have no handler here
are answered the way libvirtd answers for a driver lacking the API (see
:func:`unsupported_error`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pyvirt.errors import ErrorDomain, UnsupportedError
from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon.session import Session

Handler = Callable[[Session, Any], Any]
H = TypeVar("H", bound=Handler)

HANDLERS: dict[int, Handler] = {}


def handles(*procedures: int) -> Callable[[H], H]:
    def register(handler: H) -> H:
        for number in procedures:
            if number in HANDLERS:
                raise RuntimeError(f"procedure {number} has two handlers")
            HANDLERS[number] = handler
        return handler

    return register


_ACRONYMS = {
    "XML": "XML",
    "UUID": "UUID",
    "ID": "ID",
    "CPU": "CPU",
    "OS": "OS",
    "NMI": "NMI",
    "PM": "PM",
    "URI": "URI",
    "FS": "FS",
    "IO": "IO",
    "SSH": "SSH",
    "FD": "FD",
    "CPUS": "CPUs",
    "DHCP": "DHCP",
    "NWFILTER": "NWFilter",
    "NWFILTERS": "NWFilters",
    "IOTHREAD": "IOThread",
    "IOTHREADS": "IOThreads",
    "SEV": "SEV",
    "TLS": "TLS",
}
# Which libvirt source file (hence virErrorDomain) holds the public API, by a word of the
# procedure's name; the first match wins, so domain calls about devices stay domain calls.
_ERROR_DOMAINS = (
    ("DOMAIN_SNAPSHOT", ErrorDomain.DOMAIN_SNAPSHOT),
    ("DOMAIN_", ErrorDomain.DOMAIN),
    ("NWFILTER", ErrorDomain(33)),  # VIR_FROM_NWFILTER
    ("NETWORK_", ErrorDomain.NETWORK),
    ("STORAGE_", ErrorDomain.STORAGE),
    ("INTERFACE", ErrorDomain(26)),  # VIR_FROM_INTERFACE
    ("DEVICE", ErrorDomain(22)),  # VIR_FROM_NODEDEV
    ("SECRET", ErrorDomain(30)),  # VIR_FROM_SECRET
)


def api_name(procedure: int) -> str:
    """The public libvirt function a procedure serves (REMOTE_PROC_DOMAIN_GET_XML_DESC ->
    virDomainGetXMLDesc), as libvirt names it in its errors."""
    words = rp.PROCEDURES[procedure].name.removeprefix("REMOTE_PROC_").split("_")
    return "vir" + "".join(_ACRONYMS.get(w, w.capitalize()) for w in words)


def unsupported_error(procedure: int) -> UnsupportedError:
    """The error libvirtd sends when the connection's driver lacks the API."""
    name = rp.PROCEDURES[procedure].name.removeprefix("REMOTE_PROC_")
    domain = next((d for word, d in _ERROR_DOMAINS if word in name), ErrorDomain.NONE)
    return UnsupportedError(
        f"this function is not supported by the connection driver: {api_name(procedure)}", domain=domain
    )


def serves(procedure: int, operation: str) -> Callable[[H], H]:
    """:func:`handles` for a procedure backed by one driver operation: when the connection's
    driver lacks it, the reply is libvirt's own refusal for the API (as for a procedure with no
    handler at all), not the driver interface's wording."""

    def register(handler: H) -> H:
        def call(s: Session, args: Any) -> Any:
            if not type(s.conn.driver).supports(operation):
                raise unsupported_error(procedure)
            return handler(s, args)

        handles(procedure)(call)
        return handler

    return register
