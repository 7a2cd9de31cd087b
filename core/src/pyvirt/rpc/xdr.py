"""Runtime pieces shared by the generated XDR codecs (``*_protocol.py``).

Why a hand-written module at all: the generated encoders and decoders inline almost everything,
but they share one exception class, the precompiled 4-byte ``struct`` objects and the padding
table, and they build their error messages here so the generated code stays short.

Error contract: every ``decode_T`` raises :class:`XDRError` (never ``IndexError`` or
``struct.error``) on truncated input, a bool or optional flag other than 0/1, an unknown union
discriminant, or a string/opaque/array longer than its declared maximum; array counts are
checked against the bytes left before anything is allocated. Every ``encode_T`` raises
:class:`XDRError` for values that do not fit the type (wrong Python type, integer out of range,
too long, fixed-size opaque of the wrong length).
"""

from __future__ import annotations

import struct
from collections import _tuplegetter  # type: ignore[attr-defined]  # the C getter namedtuple uses

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: clients load this at start-up
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeAlias, TypeVar
    from typing import cast as _cast

    _T = TypeVar("_T", bound="Record")
    _Tuple = tuple[Any, ...]
else:
    _Tuple = tuple

    def _cast(type_: object, value: object) -> object:
        """``typing.cast`` at run time (the generated union encoders use it): ``value`` unchanged."""
        return value


__all__ = ["Buf", "Record", "XDRError", "_cast", "record"]

Buf: TypeAlias = bytes | bytearray | memoryview
"""What decoders read from: any byte buffer (a memoryview must have format ``B``)."""


class XDRError(ValueError):
    """Bytes that are not a valid encoding of the expected type, or a value that cannot be encoded."""


_U32 = struct.Struct(">I").unpack_from
_U32P = struct.Struct(">I").pack
_ZERO = b"\0\0\0\0"
_ONE = b"\0\0\0\1"
_PAD = (b"", b"\0", b"\0\0", b"\0\0\0")
_ENCODE_ERRORS = (struct.error, TypeError, ValueError, AttributeError, OverflowError)


def _truncated(where: str) -> XDRError:
    return XDRError(f"{where}: truncated or malformed XDR data")


def _too_long(where: str, length: int, limit: int) -> XDRError:
    return XDRError(f"{where}: length {length} exceeds the maximum {limit}")


def _wrong_size(where: str, length: int, size: int) -> XDRError:
    return XDRError(f"{where}: length {length}, must be exactly {size}")


def _bad_bool(where: str, value: int) -> XDRError:
    return XDRError(f"{where}: bool must be 0 or 1, not {value}")


def _bad_flag(where: str, value: int) -> XDRError:
    return XDRError(f"{where}: optional-data flag must be 0 or 1, not {value}")


def _bad_union(where: str, value: int) -> XDRError:
    return XDRError(f"{where}: no union arm for discriminant {value}")


_tuple_new = tuple.__new__


class Record(_Tuple):
    """Base of the generated struct classes: a tuple with named fields, like a ``NamedTuple``.

    Why not ``typing.NamedTuple``: building ~700 of those costs ~130 ms at import (each one
    compiles its ``__new__`` from source); these classes carry a precompiled ``__new__`` and get
    C-level field getters from :func:`record`, so importing the whole protocol stays cheap.
    They offer the NamedTuple API callers use: positional and keyword construction, attribute
    access, unpacking, ``_fields``, ``_replace``, ``_asdict``, ``match`` patterns, equality, repr,
    pickling and copying.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True))
        return f"{type(self).__name__}({inner})"

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def _replace(self: _T, **changes: Any) -> _T:
        values = [changes.pop(name, value) for name, value in zip(self._fields, self, strict=True)]
        if changes:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(changes)}")
        return _tuple_new(type(self), values)

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)


def record(cls: type[_T]) -> type[_T]:
    """Give a generated struct class its ``_fields`` (from its annotations) and field getters."""
    # Not inspect.get_annotations: importing inspect costs more than the whole protocol module.
    cls._fields = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063
    setattr(cls, "__match_args__", cls._fields)  # noqa: B010  (mypy forbids assigning __match_args__)
    for index, name in enumerate(cls._fields):
        setattr(cls, name, _tuplegetter(index, f"field {index}: {name}"))
    return cls
