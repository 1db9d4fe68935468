"""The outbox on DynamoDB Local: written with the state change, sent once right after the commit,
resent by the sweep when sending failed, deduplicated by key, never sent by two processes at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError

from chalicelib.core import clock, outbox, sweep
from chalicelib.core.sweep import SweepReport
from chalicelib.core.table import BaseItem, write_transaction

T0 = datetime(2030, 3, 4, 9, 0, 30, tzinfo=UTC)
KIND = "test.email"
WAIT = 30  # seconds: only a bound for a test that hangs


class _Booking(BaseItem, discriminator="test_outbox_booking"):
    state = UnicodeAttribute()


def _booking(name: str, state: str) -> _Booking:
    return _Booking(f"TESTBOOKING#{name}", "BOOKING", state=state)


class Sender:
    """The test's sender of KIND: records deliveries; `failures` first calls raise."""

    def __init__(self) -> None:
        self.failures = 0
        self.calls = 0
        self.delivered: list[outbox.Message] = []
        self.hold: threading.Event | None = None
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, message: outbox.Message) -> None:
        with self._lock:
            self.calls += 1
            fail = self.calls <= self.failures
        self.entered.set()
        if self.hold is not None:
            assert self.hold.wait(WAIT)
        if fail:
            raise ConnectionError("email provider unavailable")
        with self._lock:
            self.delivered.append(message)


@pytest.fixture
def sender() -> Iterator[Sender]:
    fake = Sender()
    outbox.register_sender(KIND, fake)
    clock.freeze(T0)
    sweep.run(lookback_minutes=5)  # the table's first sweep: sets the cursor
    yield fake
    outbox.unregister_sender(KIND)


def run_sweep(**kwargs: Any) -> SweepReport:
    return sweep.run(lookback_minutes=5, **kwargs)


def test_a_message_emitted_in_a_committed_transaction_is_sent_once_right_after(sender: Sender) -> None:
    with outbox.transaction() as tx:
        tx.save(_booking("a", "confirmed"))
        message_id = outbox.emit(tx, kind=KIND, subject="bkg_a", payload={"to": "ann@example.test"})
        assert sender.calls == 0  # nothing leaves before the commit

    assert [m.message_id for m in sender.delivered] == [message_id]
    assert sender.delivered[0].payload == {"to": "ann@example.test"}
    assert run_sweep(now=clock.now() + timedelta(minutes=3)).processed == 0
    (recorded,) = outbox.for_subject("bkg_a")
    assert (recorded.status, recorded.sent_at, recorded.attempt) == ("done", T0, 1)


def test_a_message_of_a_transaction_that_failed_is_neither_written_nor_sent(sender: Sender) -> None:
    _booking("b", "confirmed").save()
    with pytest.raises(TransactWriteError) as refused, outbox.transaction() as tx:
        tx.save(_booking("b", "confirmed"), condition=_Booking.PK.does_not_exist())
        outbox.emit(tx, kind=KIND, subject="bkg_b", payload={})
    # PynamoDB sends puts before updates (emit is an update): [booking, message].
    reasons = [r.code if r else None for r in refused.value.cancellation_reasons]
    assert reasons[0] == "ConditionalCheckFailed" and reasons[1] in (None, "None")
    assert outbox.for_subject("bkg_b") == []
    assert run_sweep().processed == 0 and sender.calls == 0


def test_a_message_not_flushed_is_sent_by_the_sweep(sender: Sender) -> None:
    with write_transaction() as tx:  # a plain transaction: nobody flushes (or the process died)
        message_id = outbox.emit(tx, kind=KIND, subject="bkg_c", payload={"n": 1})
    report = run_sweep()
    assert report.sent == 1 and report.fired == 0
    assert [m.message_id for m in sender.delivered] == [message_id]
    assert run_sweep().processed == 0


def test_a_sender_failing_twice_is_retried_until_it_delivers_once(sender: Sender) -> None:
    sender.failures = 2
    with outbox.transaction() as tx:
        message_id = outbox.emit(tx, kind=KIND, subject="bkg_d", payload={})
    assert sender.calls == 1 and sender.delivered == []  # the flush failed; the caller saw nothing

    assert run_sweep().processed == 0  # backing off
    clock.advance(40)
    assert run_sweep().retried == 1
    clock.advance(80)
    report = run_sweep()
    assert report.sent == 1
    clock.advance(3600)
    assert run_sweep().processed == 0
    assert sender.calls == 3 and [m.message_id for m in sender.delivered] == [message_id]
    sent = outbox.get(message_id)
    assert sent is not None and (sent.status, sent.attempt) == ("done", 3)
    assert sent.last_error == "ConnectionError: email provider unavailable"


def test_a_duplicate_emit_with_the_same_dedupe_key_is_sent_once(sender: Sender) -> None:
    key = "booking-confirmed#bkg_e"
    with outbox.transaction() as tx:
        tx.save(_booking("e1", "confirmed"))
        first = outbox.emit(tx, kind=KIND, subject="bkg_e", payload={"v": 1}, dedupe_key=key)
    with outbox.transaction() as tx:  # the second transaction still commits its own change
        tx.save(_booking("e2", "confirmed"))
        second = outbox.emit(tx, kind=KIND, subject="bkg_e", payload={"v": 2}, dedupe_key=key)
    assert first == second
    assert _Booking.get("TESTBOOKING#e2", "BOOKING").state == "confirmed"

    report = run_sweep()
    assert report.sent == 0 and report.stale == 1  # the repeat's index entry, taken out again
    assert run_sweep().processed == 0
    assert [m.payload for m in sender.delivered] == [{"v": 1}]
    assert [m.status for m in outbox.for_subject("bkg_e")] == ["done"]


def test_duplicate_emits_before_sending_make_one_message(sender: Sender) -> None:
    with write_transaction() as tx:
        outbox.emit(tx, kind=KIND, payload={"v": 1}, dedupe_key="k")
    with write_transaction() as tx:
        outbox.emit(tx, kind=KIND, payload={"v": 2}, dedupe_key="k")
    assert run_sweep().sent == 1
    assert [m.payload for m in sender.delivered] == [{"v": 1}]


def test_a_flush_and_a_sweep_racing_send_once(sender: Sender) -> None:
    with write_transaction() as tx:
        message_id = outbox.emit(tx, kind=KIND, payload={})
    outbox.get("warm")  # open the connection before the threads share it
    sender.hold = threading.Event()
    flushed: list[int] = []
    flusher = threading.Thread(target=lambda: flushed.append(outbox.flush([message_id])))
    flusher.start()
    try:
        assert sender.entered.wait(WAIT)  # the flush holds the message, mid-send
        report = run_sweep()
    finally:
        sender.hold.set()
        flusher.join(WAIT)
    assert report.sent == 0 and flushed == [1]
    assert sender.calls == 1 and len(sender.delivered) == 1
