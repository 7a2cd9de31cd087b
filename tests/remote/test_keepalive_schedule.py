"""The keepalive schedule both ends share (:mod:`pyvirt.rpc.keepalive`), on a made-up clock.

libvirt's rule: after ``interval`` seconds of silence a PING, then one per further interval;
``count`` unanswered PINGs and the next step gives the peer up, ``interval * (count + 1)``
seconds after its last packet.  pyvirtd ticks every interval; the clients tick when ``due``
says so; both must see the same verdicts.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pyvirt.rpc.keepalive import Action, KeepAlive


def test_a_silent_peer_gets_count_pings_then_is_dead() -> None:
    ka = KeepAlive(5, 3)
    assert ka.start(100.0)
    steps = [(t, ka.tick(t)) for t in (104.9, 105.0, 110.0, 115.0, 119.9, 120.0)]
    assert steps == [
        (104.9, Action.NOTHING),
        (105.0, Action.PING),
        (110.0, Action.PING),
        (115.0, Action.PING),
        (119.9, Action.NOTHING),
        (120.0, Action.DEAD),
    ]


def test_any_packet_starts_over() -> None:
    ka = KeepAlive(5, 1)
    ka.start(0.0)
    assert ka.tick(5.0) is Action.PING
    ka.received(7.0)
    assert ka.due(7.0) == 5.0
    assert ka.tick(11.0) is Action.NOTHING
    assert ka.tick(12.0) is Action.PING
    assert ka.tick(17.0) is Action.DEAD


def test_count_zero_gives_up_after_one_silent_interval_without_pinging() -> None:
    ka = KeepAlive(2, 0)
    ka.start(0.0)
    assert ka.tick(1.0) is Action.NOTHING
    assert ka.tick(2.0) is Action.DEAD


def test_disabled_or_unstarted_schedules_do_nothing() -> None:
    for ka in (KeepAlive(0, 5), KeepAlive(-1, 5)):
        assert not ka.start(0.0)
        assert ka.due(1e9) is None and ka.tick(1e9) is Action.NOTHING
    waiting = KeepAlive(5, 5)
    assert waiting.due(1e9) is None and waiting.tick(1e9) is Action.NOTHING
    assert waiting.start(0.0) and not waiting.start(1.0)


@given(
    interval=st.integers(1, 10),
    count=st.integers(0, 5),
    packets=st.lists(st.integers(0, 200), max_size=10).map(sorted),
)
def test_the_verdict_comes_interval_times_count_plus_one_after_the_last_packet(
    interval: int, count: int, packets: list[int]
) -> None:
    """A client-style owner (ticking whenever due; here every second, the due times being whole
    seconds) gives the peer up exactly ``interval * (count + 1)`` after its last packet; a
    daemon-style one (a tick every interval, as libvirt's timer) never earlier, and at most one
    interval later."""

    def run(tick_times: list[int]) -> tuple[int, int]:
        ka = KeepAlive(interval, count)
        ka.start(0)
        last = 0
        for t, kind in sorted([(t, "rx") for t in packets] + [(t, "tick") for t in tick_times]):
            if kind == "rx":
                ka.received(t)
                last = t
            elif ka.tick(t) is Action.DEAD:
                return t, last
        raise AssertionError("the silent peer was never given up")

    window = interval * (count + 1)
    horizon = 200 + interval * (count + 3)
    dead_at, last = run(list(range(1, horizon)))
    assert dead_at - last == window
    dead_at, last = run(list(range(interval, horizon, interval)))
    assert window <= dead_at - last < window + interval
