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
def test_the_verdict_is_libvirts_whether_ticked_every_interval_or_when_due(
    interval: int, count: int, packets: list[int]
) -> None:
    """A daemon-style owner (a tick every interval) and a client-style one (a tick whenever
    due) find the peer dead at the same moment: ``interval * (count + 1)`` after the last packet
    heard before the verdict, never earlier."""

    def run(tick_times: list[int]) -> int | None:
        ka = KeepAlive(interval, count)
        ka.start(0)
        last = 0
        events = sorted([(t, "rx") for t in packets] + [(t, "tick") for t in tick_times])
        for t, kind in events:
            if kind == "rx":
                ka.received(t)
                last = t
            elif ka.tick(t) is Action.DEAD:
                assert t - last >= interval * (count + 1)
                return t
        return None

    horizon = 200 + interval * (count + 2)
    every_interval = run(list(range(interval, horizon, interval)))
    every_second = run(list(range(1, horizon)))
    assert every_second is not None and every_interval is not None
    assert every_second <= every_interval < every_second + interval
