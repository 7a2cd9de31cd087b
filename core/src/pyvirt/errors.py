"""One exception hierarchy for everything pyvirt raises.

libvirt users compare ``err.code`` and ``err.domain`` against libvirt's numbers, so every
error keeps them (the values are libvirt's ``virErrorNumber`` / ``virErrorDomain``); Python
users catch a subclass instead.  Error objects reduce to plain data (code, domain, message:
``to_dict``) for ``--json`` output and, later, the wire.
The library never prints: callers decide what to show.
"""

from __future__ import annotations

import enum

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from typing import TypeVar

    _E = TypeVar("_E", bound=enum.IntEnum)


class ErrorCode(enum.IntEnum):
    """libvirt's ``virErrorNumber`` values that pyvirt raises."""

    INTERNAL_ERROR = 1
    NO_MEMORY = 2
    NO_SUPPORT = 3
    UNKNOWN_HOST = 4
    NO_CONNECT = 5
    INVALID_CONN = 6
    INVALID_DOMAIN = 7
    INVALID_ARG = 8
    OPERATION_FAILED = 9
    XML_ERROR = 27
    DOM_EXIST = 28
    OPERATION_DENIED = 29
    OPEN_FAILED = 30
    XML_DETAIL = 35
    INVALID_NETWORK = 36
    NETWORK_EXIST = 37
    SYSTEM_ERROR = 38
    RPC = 39
    NO_DOMAIN = 42
    NO_NETWORK = 43
    INVALID_MAC = 44
    AUTH_FAILED = 45
    NO_STORAGE_POOL = 49
    NO_STORAGE_VOL = 50
    NO_NODE_DEVICE = 53
    OPERATION_INVALID = 55
    NO_INTERFACE = 57
    MULTIPLE_INTERFACES = 59
    CONFIG_UNSUPPORTED = 67
    OPERATION_TIMEOUT = 68
    HOOK_SCRIPT_FAILED = 70
    NO_DOMAIN_SNAPSHOT = 72
    ARGUMENT_UNSUPPORTED = 74
    STORAGE_POOL_BUILT = 76
    OVERFLOW = 82
    OPERATION_UNSUPPORTED = 84
    ACCESS_DENIED = 88
    STORAGE_VOL_EXIST = 90
    XML_INVALID_SCHEMA = 92
    INVALID_DOMAIN_CHECKPOINT = 102
    NO_DOMAIN_CHECKPOINT = 103

    @classmethod
    def _missing_(cls, value: object) -> ErrorCode | None:
        return _number_kept(cls, value)


class ErrorDomain(enum.IntEnum):
    """libvirt's ``virErrorDomain``: which subsystem raised the error."""

    NONE = 0
    XML = 5
    DOM = 6
    RPC = 7
    CONF = 9
    QEMU = 10
    NET = 11
    TEST = 12
    REMOTE = 13
    LXC = 17
    STORAGE = 18
    NETWORK = 19
    DOMAIN = 20
    NODEDEV = 22
    INTERFACE = 26
    DOMAIN_SNAPSHOT = 35
    URI = 45
    DOMAIN_CHECKPOINT = 69

    @classmethod
    def _missing_(cls, value: object) -> ErrorDomain | None:
        return _number_kept(cls, value)


def _number_kept(cls: type[_E], value: object) -> _E | None:
    """A libvirt number pyvirt has no name for (it came over the wire from libvirt): kept as a
    nameless member ``CODE_<n>`` so the number survives, instead of failing the conversion."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    member = int.__new__(cls, value)
    member._name_ = f"CODE_{value}"
    member._value_ = value
    return member


class PyvirtError(Exception):
    """Base of every pyvirt error: a message plus libvirt's code and domain."""

    default_code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        domain: ErrorDomain = ErrorDomain.NONE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.domain = domain

    def to_dict(self) -> dict[str, object]:
        """Plain form used by ``--json`` output and the remote protocol."""
        return {
            "error": type(self).__name__,
            "code": int(self.code),
            "code_name": self.code.name,
            "domain": int(self.domain),
            "domain_name": self.domain.name,
            "message": self.message,
        }


class InternalError(PyvirtError):
    default_code = ErrorCode.INTERNAL_ERROR


class InvalidArgumentError(PyvirtError):
    default_code = ErrorCode.INVALID_ARG


class UnsupportedError(PyvirtError):
    """The driver behind this connection does not implement the operation."""

    default_code = ErrorCode.NO_SUPPORT


class ConnectError(PyvirtError):
    """The URI could not be opened (no driver, driver refused, transport failed)."""

    default_code = ErrorCode.NO_CONNECT


class URIError(ConnectError):
    """The connection URI is malformed."""

    default_code = ErrorCode.INVALID_ARG


class ConnectionLostError(PyvirtError):
    """A remote connection broke (the peer closed it, or keepalive found it dead): every pending
    and later call on that connection raises this at once, never waits."""

    default_code = ErrorCode.SYSTEM_ERROR


class OperationInvalidError(PyvirtError):
    """The operation makes no sense in the object's current state."""

    default_code = ErrorCode.OPERATION_INVALID


class OperationFailedError(PyvirtError):
    default_code = ErrorCode.OPERATION_FAILED


class OperationDeniedError(PyvirtError):
    """Refused by policy: a read-only connection, or a hook plugin's veto."""

    default_code = ErrorCode.OPERATION_DENIED


class XMLError(PyvirtError):
    """A document is malformed, invalid for the schema or semantically wrong.

    ``line`` is the 1-based line of the offending element when it is known.
    """

    default_code = ErrorCode.XML_ERROR

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        code: ErrorCode | None = None,
        domain: ErrorDomain = ErrorDomain.XML,
    ) -> None:
        if line is not None and f"line {line}" not in message:
            message = f"{message} (line {line})"
        super().__init__(message, code=code, domain=domain)
        self.line = line


class NoDomainError(PyvirtError):
    default_code = ErrorCode.NO_DOMAIN


class NoDomainSnapshotError(PyvirtError):
    default_code = ErrorCode.NO_DOMAIN_SNAPSHOT


class NoNetworkError(PyvirtError):
    default_code = ErrorCode.NO_NETWORK


class NoStoragePoolError(PyvirtError):
    default_code = ErrorCode.NO_STORAGE_POOL


class NoStorageVolError(PyvirtError):
    default_code = ErrorCode.NO_STORAGE_VOL


class NoInterfaceError(PyvirtError):
    default_code = ErrorCode.NO_INTERFACE


class NoNodeDeviceError(PyvirtError):
    default_code = ErrorCode.NO_NODE_DEVICE


class NoDomainCheckpointError(PyvirtError):
    default_code = ErrorCode.NO_DOMAIN_CHECKPOINT


class DomainExistsError(OperationFailedError):
    default_code = ErrorCode.DOM_EXIST


class NetworkExistsError(OperationFailedError):
    default_code = ErrorCode.NETWORK_EXIST


class StorageVolExistsError(OperationFailedError):
    default_code = ErrorCode.STORAGE_VOL_EXIST
