"""The admin program (libvirt's virt-admin protocol, program 0x06900690) on the admin socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyvirt.errors import PyvirtError, UnsupportedError
from pyvirt.rpc import admin_protocol as ap
from pyvirt_daemon.program import Program

if TYPE_CHECKING:
    from pyvirt_daemon.server import Daemon


def program(daemon: Daemon) -> Program:
    def missing(session: Any, proc: int) -> PyvirtError:
        return UnsupportedError(f"this function is not supported by the connection driver: admin procedure {proc}")

    return Program(ap.ADMIN_PROGRAM, ap.ADMIN_PROTOCOL_VERSION, ap.PROCEDURES, {}, frozenset(), missing)
