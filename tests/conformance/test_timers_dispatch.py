"""Timers on DynamoDB Local: written atomically with the caller's change, fired once, retried, parked,
reclaimed after a dead sweep, rescheduled and cancelled; stale timers are no-ops; overlapping sweeps
never run one timer twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.core import clock, due_work, sweep, timers
from chalicelib.core.sweep import SweepReport
from chalicelib.core.table import BaseItem, write_transaction

T0 = datetime(2030, 3, 4, 9, 0, 30, tzinfo=UTC)
WAIT = 30  # seconds: only a bound for a test that hangs, never a stand-in for synchronisation


class _Hold(BaseItem, discriminator="test_hold"):
    """A stand-in for a domain item a timer is about (a seat hold)."""

    state = UnicodeAttribute()


def _hold_pk(name: str) -> str:
    return f"TESTHOLD#{name}"


def run_sweep(**kwargs: Any) -> SweepReport:
    kwargs.setdefault("lookback_minutes", 5)
    kwargs.setdefault("workers", 4)
    return sweep.run(**kwargs)


class Calls:
    """Records handler runs, thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.timers: list[timers.Timer] = []

    def add(self, timer: timers.Timer) -> None:
        with self._lock:
            self.timers.append(timer)

    def ids(self) -> Counter[str]:
        with self._lock:
            return Counter(t.timer_id for t in self.timers)


@pytest.fixture
def handler() -> Iterator[Callable[..., str]]:
    """`handler(fn=None, max_attempts=8)` registers a test handler under a fresh name (unregistered after)."""
    names: list[str] = []

    def register(fn: timers.Handler, *, max_attempts: int = due_work.DEFAULT_MAX_ATTEMPTS) -> str:
        name = f"test.handler{len(names)}"
        timers.register_handler(name, fn, max_attempts=max_attempts)
        names.append(name)
        return name

    yield register
    for name in names:
        timers.unregister_handler(name)


@pytest.fixture(autouse=True)
def frozen() -> None:
    clock.freeze(T0)
    run_sweep()  # the table's first sweep: sets the cursor


def schedule(name: str, due_in: timedelta, **kwargs: Any) -> str:
    with write_transaction() as tx:
        return timers.schedule(tx, handler=name, due_at=clock.now() + due_in, **kwargs)


def raw(timer_id: str) -> dict[str, Any]:
    item = timers.TimerItem.get(timers.timer_pk(timer_id), timers.SK, consistent_read=True)
    return item.attribute_values


def test_a_due_timer_fires_once_with_its_payload_and_leaves_the_index(handler: Callable[..., str]) -> None:
    calls = Calls()
    name = handler(calls.add)
    timer_id = schedule(name, timedelta(minutes=5), subject="bkg_1", payload={"seats": 2})

    assert run_sweep(now=T0 + timedelta(minutes=4, seconds=59)).fired == 0
    clock.advance(5 * 60)
    report = run_sweep()
    assert (report.fired, report.retried, report.failed) == (1, 0, 0)
    assert report.max_timer_lag_seconds == 0
    assert run_sweep().fired == 0 and run_sweep(now=clock.now() + timedelta(minutes=3)).fired == 0

    (fired,) = calls.timers
    assert (fired.timer_id, fired.subject, fired.payload, fired.attempt) == (timer_id, "bkg_1", {"seats": 2}, 1)
    assert fired.due_at == T0 + timedelta(minutes=5)
    stored = raw(timer_id)
    assert stored["status"] == "done" and "GSI3PK" not in stored and "GSI3SK" not in stored
    assert stored["expires_at"] > clock.now()  # kept a while, then the TTL removes it
    assert [t.status for t in timers.for_subject("bkg_1")] == ["done"]


def test_a_timer_already_due_when_scheduled_fires_on_the_next_sweep(handler: Callable[..., str]) -> None:
    calls = Calls()
    timer_id = schedule(handler(calls.add), -timedelta(hours=3))
    report = run_sweep()
    assert report.fired == 1 and report.max_timer_lag_seconds == 3 * 3600
    assert calls.ids() == {timer_id: 1}


def test_the_timer_is_written_with_the_callers_change_or_not_at_all(handler: Callable[..., str]) -> None:
    name = handler(lambda timer: None)
    existing = _Hold(_hold_pk("a"), "HOLD", state="held")
    existing.save()

    with pytest.raises(TransactWriteError) as refused, write_transaction() as tx:
        tx.save(_Hold(_hold_pk("a"), "HOLD", state="held"), condition=_Hold.PK.does_not_exist())
        timers.schedule(tx, handler=name, due_at=T0, timer_id="hold#a")
    # PynamoDB sends puts in call order (after condition checks and deletes): [hold, timer].
    reasons = [r.code if r else None for r in refused.value.cancellation_reasons]
    assert reasons[0] == "ConditionalCheckFailed" and reasons[1] in (None, "None")
    assert timers.get("hold#a") is None

    with write_transaction() as tx:
        tx.save(_Hold(_hold_pk("b"), "HOLD", state="held"), condition=_Hold.PK.does_not_exist())
        timers.schedule(tx, handler=name, due_at=T0, timer_id="hold#b")
    assert timers.get("hold#b") is not None and _Hold.get(_hold_pk("b"), "HOLD").state == "held"


def test_a_stale_timer_is_a_noop(handler: Callable[..., str]) -> None:
    outcomes: list[str] = []

    def expire_hold(timer: timers.Timer) -> None:
        hold = _Hold.get(_hold_pk(timer.payload["hold"]), "HOLD", consistent_read=True)
        if hold.state != "held":  # paid meanwhile: nothing to expire
            outcomes.append(f"noop:{hold.state}")
            return
        hold.update([_Hold.state.set("expired")], condition=_Hold.state == "held")
        outcomes.append("expired")

    name = handler(expire_hold)
    for hold in ("paid", "unpaid"):
        with write_transaction() as tx:
            tx.save(_Hold(_hold_pk(hold), "HOLD", state="held"))
            timers.schedule(tx, handler=name, due_at=T0 + timedelta(minutes=15), payload={"hold": hold})
    _Hold(_hold_pk("paid"), "HOLD").update([_Hold.state.set("confirmed")])

    clock.advance(16 * 60)
    report = run_sweep()
    assert report.fired == 2 and report.retried == 0
    assert sorted(outcomes) == ["expired", "noop:confirmed"]
    assert _Hold.get(_hold_pk("paid"), "HOLD").state == "confirmed"
    assert _Hold.get(_hold_pk("unpaid"), "HOLD").state == "expired"


def test_a_failing_handler_is_retried_later_and_then_succeeds_once(handler: Callable[..., str]) -> None:
    calls = Calls()

    def flaky(timer: timers.Timer) -> None:
        calls.add(timer)
        if timer.attempt == 1:
            raise RuntimeError("payment provider timed out")

    timer_id = schedule(handler(flaky), timedelta(minutes=1))
    clock.advance(61)
    first = run_sweep()
    assert (first.fired, first.retried) == (0, 1)
    after_failure = timers.get(timer_id)
    assert after_failure is not None and after_failure.status == "pending"
    assert after_failure.last_error == "RuntimeError: payment provider timed out"
    assert run_sweep().processed == 0  # not before its backoff (30 s +-20 %)

    clock.advance(37)
    second = run_sweep()
    assert (second.fired, second.retried) == (1, 0)
    clock.advance(600)
    assert run_sweep().processed == 0
    assert [t.attempt for t in calls.timers] == [1, 2]
    done = timers.get(timer_id)
    assert done is not None and done.status == "done"


def test_a_handler_failing_every_time_is_parked_after_its_attempts(handler: Callable[..., str]) -> None:
    calls = Calls()

    def broken(timer: timers.Timer) -> None:
        calls.add(timer)
        raise ValueError("bug")

    timer_id = schedule(handler(broken, max_attempts=3), timedelta(0))
    reports = []
    for _ in range(5):
        reports.append(run_sweep())
        clock.advance(600)  # past any backoff of the first attempts
    assert [(r.retried, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    assert reports[2].counts["TimersFailed"] == 1
    assert len(calls.timers) == 3
    parked = raw(timer_id)
    assert parked["status"] == "failed" and "GSI3PK" not in parked and "expires_at" not in parked
    assert parked["last_error"] == "ValueError: bug"


def test_a_timer_whose_handler_is_unknown_here_is_retried_not_lost(handler: Callable[..., str]) -> None:
    name = handler(lambda timer: None)
    timer_id = schedule(name, timedelta(0))
    timers.unregister_handler(name)
    assert run_sweep().retried == 1
    left = timers.get(timer_id)
    assert left is not None and left.status == "pending" and "no timer handler" in (left.last_error or "")


def test_reschedule_replaces_and_cancel_removes(handler: Callable[..., str]) -> None:
    calls = Calls()
    name = handler(calls.add)
    schedule(name, timedelta(minutes=5), timer_id="hold#bkg_1", payload={"v": 1})
    schedule(name, timedelta(minutes=30), timer_id="hold#bkg_1", payload={"v": 2})
    schedule(name, timedelta(minutes=5), timer_id="hold#bkg_2")
    with write_transaction() as tx:
        timers.cancel(tx, "hold#bkg_2")

    clock.advance(6 * 60)
    assert run_sweep().fired == 0
    assert timers.get("hold#bkg_2") is None
    clock.advance(25 * 60)
    assert run_sweep().fired == 1
    assert [(t.timer_id, t.payload) for t in calls.timers] == [("hold#bkg_1", {"v": 2})]

    # once done, scheduling the same id again is a new run of it
    schedule(name, timedelta(minutes=1), timer_id="hold#bkg_1", payload={"v": 3})
    clock.advance(61)
    assert run_sweep().fired == 1
    assert [t.payload["v"] for t in calls.timers] == [2, 3]


def test_a_timer_whose_sweep_died_is_run_again_once_its_lease_ends(handler: Callable[..., str]) -> None:
    calls = Calls()
    timer_id = schedule(handler(calls.add), timedelta(0))
    entry = timers.TimerItem(timers.timer_pk(timer_id), timers.SK, item_id=timer_id)
    assert due_work.claim(entry, clock.now()) is not None  # a sweep claims it, then its Lambda dies

    assert run_sweep().processed == 0
    clock.advance(due_work.LEASE.total_seconds() - 1)
    assert run_sweep().processed == 0
    clock.advance(2)
    assert run_sweep().fired == 1
    assert [t.attempt for t in calls.timers] == [2]


def test_two_overlapping_sweeps_never_run_one_timer_twice(handler: Callable[..., str]) -> None:
    started, release = threading.Event(), threading.Event()
    calls = Calls()

    def slow(timer: timers.Timer) -> None:
        calls.add(timer)
        started.set()
        assert release.wait(WAIT)

    timer_id = schedule(handler(slow), timedelta(0))
    reports: list[SweepReport] = []
    first = threading.Thread(target=lambda: reports.append(run_sweep()))
    first.start()
    try:
        assert started.wait(WAIT)  # the first sweep holds the timer, mid-handler
        second = run_sweep()
    finally:
        release.set()
        first.join(WAIT)
    assert second.fired == 0 and reports[0].fired == 1
    assert calls.ids() == {timer_id: 1}


def test_concurrent_sweeps_fire_each_of_many_timers_exactly_once(handler: Callable[..., str]) -> None:
    calls = Calls()
    name = handler(calls.add)
    due = [timedelta(seconds=7 * i) for i in range(60)]  # spread over 7 minutes and every shard
    for offset in due:
        schedule(name, offset)
    clock.advance(8 * 60)
    timers.get("warm")  # open the connection before the threads share it

    gate = threading.Barrier(3)
    reports: list[SweepReport] = []
    lock = threading.Lock()

    def racer() -> None:
        gate.wait(WAIT)
        report = run_sweep(workers=8)
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=racer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(reports) == 3
    assert sum(r.fired for r in reports) == 60
    assert len(calls.ids()) == 60 and set(calls.ids().values()) == {1}
    assert run_sweep().processed == 0


def test_a_sweep_stops_at_max_items_and_the_next_one_continues(handler: Callable[..., str]) -> None:
    calls = Calls()
    name = handler(calls.add)
    for i in range(10):
        schedule(name, timedelta(seconds=i))
    clock.advance(60)
    reports = [run_sweep(max_items=4) for _ in range(3)]
    assert [(r.fired, r.complete) for r in reports] == [(4, False), (4, False), (2, True)]
    assert len(calls.ids()) == 10
