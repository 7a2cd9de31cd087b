"""Keepalive bookkeeping for one peer (libvirt's virKeepAlive), without any I/O.

Both ends keep one: pyvirtd for each client, the remote client (threaded and asyncio) for its
server.  Any packet from the peer proves it alive and starts over; after ``interval`` seconds
with nothing from it a PING is due, then another each further interval; when ``count`` PINGs
in a row got nothing back, the next step finds the peer dead.  A silent peer is thus given up
``interval * (count + 1)`` seconds after its last packet, as in libvirt, and ``count == 0``
gives it up after one silent interval without pinging.  The owner reads :meth:`KeepAlive.due`
to know when to call :meth:`KeepAlive.tick` (a tick before that is harmless: NOTHING).
"""

from __future__ import annotations

import enum


class Action(enum.Enum):
    NOTHING = 0
    PING = 1
    DEAD = 2


class KeepAlive:
    """The schedule for one peer; ``now`` is any monotonic clock the owner uses throughout."""

    __slots__ = ("_last_received", "_sent", "active", "count", "interval")

    def __init__(self, interval: float, count: int) -> None:
        self.interval = interval
        self.count = count
        self.active = False
        self._last_received = 0.0
        self._sent = 0

    def start(self, now: float) -> bool:
        """Begin checking; False when keepalive is disabled (interval <= 0) or already on."""
        if self.active or self.interval <= 0:
            return False
        self.active = True
        self.received(now)
        return True

    def received(self, now: float) -> None:
        """Any packet from the peer proves it alive."""
        self._last_received = now
        self._sent = 0

    def due(self, now: float) -> float | None:
        """Seconds until the next step (0: now), or None while not checking."""
        if not self.active:
            return None
        return max(0.0, self._last_received + self.interval * (self._sent + 1) - now)

    def tick(self, now: float) -> Action:
        """The step due at ``now``: nothing yet, a PING to send, or the peer is dead."""
        if self.due(now) != 0.0:
            return Action.NOTHING
        if self._sent >= self.count:
            return Action.DEAD
        self._sent += 1
        return Action.PING
