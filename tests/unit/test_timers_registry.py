"""Timer handlers and outbox senders by name; payload limits; the sweep report's counting. No AWS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core import due_work, outbox, timers
from chalicelib.core.due_work import Outcome, Result
from chalicelib.core.sweep import SweepReport


def test_handlers_register_by_name_and_refuse_a_second_function() -> None:
    def first(timer: timers.Timer) -> None: ...

    def second(timer: timers.Timer) -> None: ...

    timers.handler("unit.first", max_attempts=3)(first)
    try:
        assert "unit.first" in timers.registered_handlers()
        timers.register_handler("unit.first", first, max_attempts=3)  # the same function again is fine
        with pytest.raises(ValueError, match="already registered"):
            timers.register_handler("unit.first", second)
    finally:
        timers.unregister_handler("unit.first")
    assert "unit.first" not in timers.registered_handlers()


def test_a_registry_needs_a_name_and_an_attempt() -> None:
    registry: due_work.Registry[object] = due_work.Registry("thing")
    with pytest.raises(ValueError):
        registry.register("", print)
    with pytest.raises(ValueError):
        registry.register("x", print, max_attempts=0)
    with pytest.raises(due_work.UnknownHandler):
        registry.require("missing")


def test_scheduling_an_unknown_handler_or_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="no timer handler"):
        timers.schedule(None, handler="unit.nobody", due_at=datetime(2030, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    timers.register_handler("unit.naive", lambda timer: None)
    try:
        with pytest.raises(ValueError, match="timezone"):
            timers.schedule(None, handler="unit.naive", due_at=datetime(2030, 1, 1))  # type: ignore[arg-type]
    finally:
        timers.unregister_handler("unit.naive")


def test_payloads_must_be_small_json() -> None:
    assert due_work.checked_payload(None) == {}
    assert due_work.checked_payload({"a": [1, "b"]}) == {"a": [1, "b"]}
    with pytest.raises(ValueError, match="JSON"):
        due_work.checked_payload({"at": datetime(2030, 1, 1, tzinfo=UTC)})
    with pytest.raises(ValueError, match="limit"):
        due_work.checked_payload({"blob": "x" * (due_work.MAX_PAYLOAD_BYTES + 1)})


def test_dedupe_keys_give_stable_ids_per_kind() -> None:
    a = outbox.message_id_for("email", "booking-confirmed#bkg_1")
    assert a == outbox.message_id_for("email", "booking-confirmed#bkg_1")
    assert a != outbox.message_id_for("push", "booking-confirmed#bkg_1")
    assert a.startswith("obx_")


def test_the_report_counts_each_outcome_once_and_names_its_metrics() -> None:
    report = SweepReport()
    for result in [
        Result(Outcome.DONE, "timer", lag_seconds=4.0),
        Result(Outcome.DONE, "timer", lag_seconds=9.5),
        Result(Outcome.DONE, "outbox", lag_seconds=100.0),
        Result(Outcome.RETRIED, "outbox"),
        Result(Outcome.FAILED, "timer"),
        Result(Outcome.STALE, "timer"),
    ]:
        report.add(result)
    assert (report.fired, report.sent, report.retried, report.failed, report.stale) == (2, 1, 1, 1, 1)
    assert report.processed == 6
    assert report.max_timer_lag_seconds == 9.5  # outbox delays are not timer lag
    assert report.counts == {"TimersFired": 2, "OutboxSent": 1, "OutboxRetried": 1, "TimersFailed": 1, "TimersStale": 1}
