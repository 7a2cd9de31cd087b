"""Scheduler parameters and screenshots, as libvirt 9.0's test driver answers them.

libvirt's test driver reports the ``fair`` scheduler with one parameter, ``weight`` (UINT),
always 50: a set is checked (field and type, as virTypedParamsValidate does) and then has no
effect.  pyvirt keeps that, so a program sees the same values on both.  Neither call takes a
scope other than CURRENT (its flags must be 0); a read with a scope is refused naming the
STRING_OKAY bit too, as libvirt's API adds it.

A screenshot is a PNG that pyvirt draws itself (libvirt sends an image file it ships), with
the MIME type ``image/png``; libvirt's test driver does not even look the domain up for it,
pyvirt does (a missing domain is an error).
"""

from __future__ import annotations

import _thread  # threading's locks without importing threading (pyvirsh start-up)

from pyvirt.errors import ErrorCode, ErrorDomain, InvalidArgumentError, OperationInvalidError, PyvirtError
from pyvirt.stream import DriverStream
from pyvirt.types import ModifyScope

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # typed parameters load on first use (pyvirt.types.sched): only these calls need them
    from pyvirt.types import TypedParam
    from pyvirt_test.state import DomainObj, NodeState

_TYPE_NAMES = ("int", "uint", "llong", "ullong", "double", "boolean", "string")
"""How libvirt names each TypedParamType (its values 1 to 7) in errors."""


def weight() -> TypedParam:
    """The one scheduler parameter libvirt's test driver reports."""
    from pyvirt.types import TypedParam, TypedParamType

    return TypedParam("weight", TypedParamType.UINT, 50)


class SchedulerCalls:
    """Scheduler and screenshot calls of :class:`~pyvirt_test.driver.TestConnection`."""

    _state: NodeState

    if TYPE_CHECKING:

        def _dom(self, uuid: str) -> DomainObj: ...  # from DomainCalls

    def domain_get_scheduler_type(self, uuid: str) -> tuple[str, int]:
        with self._state.lock:
            self._dom(uuid)
        return "fair", 1

    def domain_get_scheduler_parameters(self, uuid: str, scope: ModifyScope) -> list[TypedParam]:
        _no_flags(scope, "testDomainGetSchedulerParametersFlags", read=True)
        with self._state.lock:
            self._dom(uuid)
        return [weight()]

    def domain_set_scheduler_parameters(self, uuid: str, params: list[TypedParam], scope: ModifyScope) -> None:
        _no_flags(scope, "testDomainSetSchedulerParametersFlags", read=False)
        _validate(params)
        with self._state.lock:
            self._dom(uuid)

    def domain_screenshot(self, uuid: str, screen: int) -> tuple[DriverStream, str]:
        with self._state.lock:
            self._dom(uuid)
        return _ImageStream(screenshot_png()), "image/png"


_STRING_OKAY = 4
"""VIR_TYPED_PARAM_STRING_OKAY: libvirt's public API adds it to every flags-taking read of typed
parameters, so its test driver refuses it with the caller's bits (``--live``: 0x5)."""


def _no_flags(scope: ModifyScope, function: str, *, read: bool) -> None:
    if scope:
        bits = int(scope) | (_STRING_OKAY if read else 0)
        raise InvalidArgumentError(f"unsupported flags (0x{bits:x}) in function {function}", domain=ErrorDomain.TEST)


def _validate(params: list[TypedParam]) -> None:
    """virTypedParamsValidate's checks against the one known field, in its order and words."""
    from pyvirt.types import TypedParamType

    known = weight()
    seen: set[str] = set()
    for param in sorted(params, key=lambda p: p.field):
        if param.field in seen:
            raise InvalidArgumentError(f"invalid argument: parameter '{param.field}' occurs multiple times")
        seen.add(param.field)
        if param.field != known.field:
            raise PyvirtError(
                f"argument unsupported: parameter '{param.field}' not supported",
                code=ErrorCode.ARGUMENT_UNSUPPORTED,
                domain=ErrorDomain.NONE,
            )
        if param.type != known.type:
            raise InvalidArgumentError(
                f"invalid argument: invalid type '{_TYPE_NAMES[TypedParamType(param.type) - 1]}' for parameter "
                f"'{param.field}', expected '{_TYPE_NAMES[known.type - 1]}'"
            )


_PNG: bytes | None = None


def screenshot_png() -> bytes:
    """A 640x480 grayscale PNG (a gradient), drawn once per process with zlib alone."""
    global _PNG
    if _PNG is None:
        import struct
        import zlib

        width, height = 640, 480
        rows = b"".join(b"\0" + bytes((x + y) % 256 for x in range(width)) for y in range(height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
        _PNG = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return _PNG


class _ImageStream:
    """A read-only stream over bytes in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._open = True
        self._lock = _thread.allocate_lock()

    def recv(self, size: int) -> bytes:
        with self._lock:
            if not self._open:
                raise OperationInvalidError("stream is not open")
            chunk = self._data[self._pos : self._pos + size]
            self._pos += len(chunk)
            return chunk

    def send(self, data: bytes) -> None:
        raise OperationInvalidError("operation invalid: a screenshot stream cannot be written")

    def finish(self) -> None:
        with self._lock:
            if not self._open:
                raise OperationInvalidError("stream is not open")
            self._open = False

    def abort(self) -> None:
        self._open = False
