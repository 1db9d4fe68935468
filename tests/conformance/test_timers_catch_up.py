"""Catch-up on DynamoDB Local: timers due in minutes no sweep ran all fire on the next sweep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import clock, due_index, sweep, timers
from chalicelib.core.table import write_transaction

T0 = datetime(2030, 3, 4, 9, 0, 30, tzinfo=UTC)
NAME = "test.catch_up"


@pytest.fixture
def fired() -> Iterator[list[timers.Timer]]:
    calls: list[timers.Timer] = []
    timers.register_handler(NAME, calls.append)
    yield calls
    timers.unregister_handler(NAME)


@pytest.mark.parametrize("chunk_minutes", [sweep.CHUNK_MINUTES, 5], ids=["AWS rounds", "local stack rounds"])
@pytest.mark.parametrize("outage", [timedelta(minutes=10), timedelta(hours=3)], ids=["10min", "3h"])
def test_timers_due_during_an_outage_all_fire_on_the_next_sweep(
    fired: list[timers.Timer], outage: timedelta, chunk_minutes: int
) -> None:
    clock.freeze(T0)
    first = sweep.run(lookback_minutes=5)
    assert first.complete and first.fired == 0
    steps = 12
    due = [T0 + outage * (i + 1) / steps for i in range(steps)]  # the last one exactly at the end
    with write_transaction() as tx:
        for i, at in enumerate(due):
            timers.schedule(tx, handler=NAME, due_at=at, timer_id=f"t{i}")

    clock.advance(outage.total_seconds())  # no sweep ran meanwhile
    report = sweep.run(chunk_minutes=chunk_minutes)
    assert report.complete and report.fired == steps
    assert report.minutes >= outage / due_index.MINUTE
    assert report.max_timer_lag_seconds == pytest.approx((outage - outage / steps).total_seconds(), abs=1)
    assert sorted(t.timer_id for t in fired) == sorted(f"t{i}" for i in range(steps))
    assert sweep.run().processed == 0
    assert sweep.read_cursor() == due_index.minute_of(clock.now()) - due_index.SETTLE_MINUTES * due_index.MINUTE


def test_a_sweep_out_of_time_keeps_its_cursor_and_the_next_one_finishes(fired: list[timers.Timer]) -> None:
    clock.freeze(T0)
    sweep.run(lookback_minutes=5)
    cursor = sweep.read_cursor()
    with write_transaction() as tx:
        timers.schedule(tx, handler=NAME, due_at=T0 + timedelta(minutes=30), timer_id="late")
    clock.advance(40 * 60)

    starved = sweep.run(time_budget_seconds=0)
    assert not starved.complete and starved.fired == 0 and sweep.read_cursor() == cursor
    finished = sweep.run()
    assert finished.complete and finished.fired == 1 and [t.timer_id for t in fired] == ["late"]


def test_what_is_due_now_goes_before_the_backlog(fired: list[timers.Timer]) -> None:
    clock.freeze(T0)
    sweep.run(lookback_minutes=5)
    with write_transaction() as tx:
        timers.schedule(tx, handler=NAME, due_at=T0 + timedelta(minutes=10), timer_id="old")
        timers.schedule(tx, handler=NAME, due_at=T0 + timedelta(hours=3), timer_id="now")
    clock.advance(3 * 3600)

    first = sweep.run(max_items=1)
    assert [t.timer_id for t in fired] == ["now"] and not first.complete
    sweep.run(max_items=1)
    assert [t.timer_id for t in fired] == ["now", "old"]
    assert sweep.run().complete and len(fired) == 2


def test_a_clock_moved_back_still_fires_what_becomes_due(fired: list[timers.Timer]) -> None:
    clock.freeze(T0 + timedelta(hours=1))
    sweep.run(lookback_minutes=5)  # the cursor is now an hour ahead of T0
    clock.freeze(T0)
    with write_transaction() as tx:
        timers.schedule(tx, handler=NAME, due_at=T0 + timedelta(minutes=3), timer_id="after-rewind")
    assert sweep.run().fired == 0
    clock.advance(3 * 60)
    assert sweep.run().fired == 1
