"""``libvirtError``, the thread's last error and the error handler, as libvirt-python has them.

libvirt keeps one "last error" per thread and, when a public API fails, hands it to the
registered error handler (``registerErrorHandler``) or, when none is set, prints it to stderr
as ``libvirt: <domain> error : <message>``; libvirt-python then raises ``libvirtError`` whose
``err`` tuple is that error.  pyvirt raises :class:`pyvirt.PyvirtError` with libvirt's codes and
domains already, so :func:`from_pyvirt` only adds the level and the message template libvirt
puts in ``str1``/``str2``.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pyvirt.errors import PyvirtError
from pyvirt_libvirt._errortexts import DOMAIN_NAMES, MESSAGES

ErrorTuple = tuple[int, int, str, int, "str | None", "str | None", "str | None", int, int]
"""(code, domain, message, level, str1, str2, str3, int1, int2): libvirt-python's error list."""

VIR_ERR_ERROR = 2
VIR_ERR_NO_SUPPORT = 3
VIR_ERR_INTERNAL_ERROR = 1
VIR_ERR_INVALID_ARG = 8

_F = TypeVar("_F", bound=Callable[..., Any])
_last: dict[int, ErrorTuple] = {}
"""The last error of each thread that has one (by ``threading.get_ident()``).  A dict rather than
a ``threading.local`` so that resetting it on every API entry costs one emptiness test while no
thread has an error."""
_ident = threading.get_ident
_handler: tuple[Callable[[Any, ErrorTuple], Any], Any] | None = None


class libvirtError(Exception):
    """The error of a failed libvirt call; ``err`` is the thread's last error at that moment."""

    def __init__(self, defmsg: str) -> None:
        err = _last.get(_ident())
        super().__init__(defmsg if err is None else err[2])
        self.err = err

    def get_error_code(self) -> int | None:
        return None if self.err is None else self.err[0]

    def get_error_domain(self) -> int | None:
        return None if self.err is None else self.err[1]

    def get_error_message(self) -> str | None:
        return None if self.err is None else self.err[2]

    def get_error_level(self) -> int | None:
        return None if self.err is None else self.err[3]

    def get_str1(self) -> str | None:
        return None if self.err is None else self.err[4]

    def get_str2(self) -> str | None:
        return None if self.err is None else self.err[5]

    def get_str3(self) -> str | None:
        return None if self.err is None else self.err[6]

    def get_int1(self) -> int | None:
        return None if self.err is None else self.err[7]

    def get_int2(self) -> int | None:
        return None if self.err is None else self.err[8]


def error_tuple(code: int, domain: int, detail: str | None) -> ErrorTuple:
    """libvirt's error for ``code`` with optional ``detail``, worded from virerror.c's table."""
    plain, with_info = MESSAGES.get(code, (None, None))
    template = with_info if detail is not None else plain
    if template is None:
        template = "%s" if detail is not None else "unknown error"
    message = template.replace("%s", detail, 1) if detail is not None else template
    return (code, domain, message, VIR_ERR_ERROR, template, detail, None, -1, -1)


def _tuple_from_message(code: int, domain: int, message: str) -> ErrorTuple:
    """Split a finished message back into libvirt's template and detail (``str1``/``str2``)."""
    plain, with_info = MESSAGES.get(code, (None, None))
    if with_info is not None:
        head, _, tail = with_info.partition("%s")
        if message.startswith(head) and message.endswith(tail) and len(message) >= len(head) + len(tail):
            detail = message[len(head) : len(message) - len(tail)]
            if message != plain:
                return (code, domain, message, VIR_ERR_ERROR, with_info, detail, None, -1, -1)
    return (code, domain, message, VIR_ERR_ERROR, plain if plain == message else message, None, None, -1, -1)


def report(err: ErrorTuple) -> libvirtError:
    """Make ``err`` the thread's last error, hand it to the handler, return the exception."""
    _last[_ident()] = err
    if _handler is None:
        _print_default(err)
    else:
        func, ctx = _handler
        func(ctx, err)
    return libvirtError(err[2])


def from_pyvirt(exc: PyvirtError) -> libvirtError:
    return report(_tuple_from_message(int(exc.code), int(exc.domain), exc.message))


def unsupported(c_name: str, domain: int) -> libvirtError:
    """libvirt's error for an API the driver lacks (``virReportUnsupportedError``)."""
    return report(error_tuple(VIR_ERR_NO_SUPPORT, domain, c_name))


def failure(code: int, domain: int, detail: str | None) -> libvirtError:
    return report(error_tuple(code, domain, detail))


def api(func: _F) -> _F:
    """Run a wrapper as a libvirt API: reset the thread's last error on entry (libvirt does), and
    turn a :class:`~pyvirt.PyvirtError` into libvirt's error (handler called, then raised)."""

    from pyvirt_libvirt._stubs import C_NAMES

    c_name, c_domain = C_NAMES.get(func.__qualname__, (func.__name__, 0))
    if "." not in func.__qualname__:  # a module function: libvirt's, or libvirt_qemu's / libvirt_lxc's
        c_name, c_domain = C_NAMES.get(f"libvirt.{func.__name__}", (c_name, c_domain))
        c_name, c_domain = C_NAMES.get(f"{func.__module__}.{func.__name__}", (c_name, c_domain))

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        if _last:
            _last.pop(_ident(), None)
        try:
            return func(*args, **kwargs)
        except PyvirtError as exc:
            if exc.code == VIR_ERR_NO_SUPPORT:  # a driver without this API: libvirt names the C API
                raise unsupported(c_name, c_domain) from None
            raise from_pyvirt(exc) from None

    return call  # type: ignore[return-value]


def reset() -> None:
    _last.pop(_ident(), None)


def last_error() -> ErrorTuple | None:
    return _last.get(_ident())


def register_handler(func: Callable[[Any, ErrorTuple], Any] | None, ctx: Any) -> int:
    """libvirt-python's ``registerErrorHandler``: None restores the default (print to stderr)."""
    global _handler
    if func is not None and not callable(func):
        raise TypeError("registerErrorHandler: f must be callable or None")
    _handler = None if func is None else (func, ctx)
    return 1


def _print_default(err: ErrorTuple) -> None:
    code, domain, message = err[0], err[1], err[2]
    if code == 0:
        return
    name = DOMAIN_NAMES[domain] if 0 <= domain < len(DOMAIN_NAMES) else "Unknown"
    end = "" if message.endswith("\n") else "\n"
    sys.stderr.write(f"libvirt: {name} error : {message}{end}")
