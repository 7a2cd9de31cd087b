"""One QEMU's QMP monitor, used synchronously from any thread through the driver loop.

``qemu.qmp`` owns the protocol (greeting, capabilities negotiation, reader and writer tasks,
command ids); this module only turns its coroutines into blocking calls with timeouts, maps
its errors to pyvirt's, and hands every asynchronous event to a callback.  The callback runs
on the loop thread, so it must not call back into the monitor synchronously.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from qemu.qmp import QMPClient, QMPError
from qemu.qmp.qmp_client import ExecuteError

from pyvirt.errors import ErrorDomain, OperationFailedError
from pyvirt_qemu import loop

EventHandler = Callable[[str, Mapping[str, Any]], None]

COMMAND_TIMEOUT = 30.0
"""Long enough for a slow save or a loaded machine; a stuck QEMU fails the call, not the driver."""


class MonitorError(OperationFailedError):
    """QMP refused a command or the monitor is gone; the message is QEMU's own."""

    def __init__(self, message: str) -> None:
        super().__init__(message, domain=ErrorDomain.QEMU)


class Monitor:
    """The QMP connection to one running QEMU."""

    def __init__(self, name: str, on_event: EventHandler) -> None:
        self._client = QMPClient(name)
        self._on_event = on_event
        self._pump: asyncio.Task[None] | None = None

    def connect(self, path: str, timeout: float) -> None:
        """Connect to the QMP socket at ``path`` and negotiate; events flow from now on."""
        try:
            loop.run(self._connect(path, timeout), timeout + 1)
        except (QMPError, OSError, TimeoutError) as exc:
            raise MonitorError(f"cannot connect to the QEMU monitor at '{path}': {exc or type(exc).__name__}") from exc

    async def _connect(self, path: str, timeout: float) -> None:
        await asyncio.wait_for(self._client.connect(path), timeout)
        self._pump = asyncio.get_running_loop().create_task(self._forward_events())

    async def _forward_events(self) -> None:
        async for event in self._client.events:
            data = event.get("data", {})
            self._on_event(str(event["event"]), data if isinstance(data, Mapping) else {})

    def execute(
        self, command: str, arguments: Mapping[str, object] | None = None, timeout: float = COMMAND_TIMEOUT
    ) -> Any:
        """Run one QMP command and return its ``return`` value."""
        try:
            return loop.run(self._client.execute(command, dict(arguments) if arguments else None), timeout)
        except ExecuteError as exc:
            raise MonitorError(f"internal error: unable to execute QEMU command '{command}': {exc}") from exc
        except (QMPError, OSError, TimeoutError) as exc:
            raise MonitorError(f"QEMU monitor failed during '{command}': {exc or type(exc).__name__}") from exc

    def settle(self, timeout: float = COMMAND_TIMEOUT) -> None:
        """Return once every event QEMU sent before the last reply is handed to the handler.

        QEMU writes the events a command causes (``savevm``'s STOP and RESUME) before its
        reply, and the client queues them before it reads the reply; the forwarding task takes
        each event off that queue and hands it on in one step, so an empty queue means all
        of them have gone (:meth:`QemuDriver.settle_events` then waits for their handling)."""
        loop.run(self._forwarded(), timeout)

    async def _forwarded(self) -> None:
        while not self._client.events.empty():
            await asyncio.sleep(0)

    def send(self, command: str, arguments: Mapping[str, object] | None = None) -> None:
        """Issue a command without waiting for its reply (``quit``: the reply may never come)."""
        asyncio.run_coroutine_threadsafe(self._quietly(command, arguments), loop.loop())

    async def _quietly(self, command: str, arguments: Mapping[str, object] | None) -> None:
        try:
            await self._client.execute(command, dict(arguments) if arguments else None)
        except (QMPError, OSError):
            pass  # the process is going away; its exit, not this reply, tells the outcome

    def close(self) -> None:
        """Disconnect; never raises (the peer may be gone already)."""
        try:
            loop.run(self._disconnect(), 5)
        except Exception:
            pass

    async def _disconnect(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
        try:
            await self._client.disconnect()
        except (QMPError, OSError):
            pass
