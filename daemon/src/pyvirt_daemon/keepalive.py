"""Keepalive bookkeeping for one client (libvirt's virKeepAlive), without any I/O.

Once a client has asked for keepalive (CONNECT_SUPPORTS_FEATURE PROGRAM_KEEPALIVE), the daemon
checks it every ``interval`` seconds: if nothing arrived from it during the last interval it
sends a PING; after ``count`` PINGs without any packet back the client is dead and dropped, so
a silent peer is gone after about ``interval * (count + 1)`` seconds, as in libvirt.
"""

from __future__ import annotations

import enum


class Action(enum.Enum):
    NOTHING = 0
    PING = 1
    DEAD = 2


class KeepAlive:
    def __init__(self, interval: float, count: int) -> None:
        self.interval = interval
        self.count = count
        self.active = False
        self._last_received = 0.0
        self._left = count

    def start(self, now: float) -> bool:
        """Begin checking; False when keepalive is disabled (interval <= 0) or already on."""
        if self.active or self.interval <= 0:
            return False
        self.active = True
        self.received(now)
        return True

    def received(self, now: float) -> None:
        """Any packet from the client proves it alive."""
        self._last_received = now
        self._left = self.count

    def tick(self, now: float) -> Action:
        """Called every ``interval`` seconds while active."""
        if now - self._last_received < self.interval:
            return Action.NOTHING
        if self._left <= 0:
            return Action.DEAD
        self._left -= 1
        return Action.PING
