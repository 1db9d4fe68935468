"""The sweep: runs due timers and resends due outbox items, catching up on minutes it missed.

`run()` is called by the `@app.schedule` rule every minute in AWS and by the local stack every
second. It reads the due index (GSI3) bucket by bucket — every shard of every minute from the one
after its cursor up to now, in parallel — and processes what is due with `due_work` (claim, perform,
settle), in parallel too. The last minutes go first, then any backlog (after an outage) in chunks,
oldest first, so what is due now never waits behind a catch-up. Its cursor (one item, PK=SWEEP
SK=CURSOR) passes only minutes whose buckets were all drained, and never comes closer than
`SETTLE_MINUTES` to now. A run stops at `max_items` or when `time_budget_seconds` are spent; the
next run continues. Overlapping runs are safe: each item is claimed by exactly one of them.

Local stack (devstack/sweeper.py): short runs in small rounds (`time_budget_seconds=0.2,
chunk_minutes=5`), so a moved clock is served a moment later, and `lookback_minutes=60`, so a fresh
database does not start with a day of empty minutes to read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit
from pynamodb.attributes import UnicodeAttribute

from chalicelib.core import clock, due_index, due_work
from chalicelib.core.due_work import Outcome
from chalicelib.core.observability import logger, metrics
from chalicelib.core.outbox import OutboxItem  # noqa: F401 (registers its kind: the index holds outbox items)
from chalicelib.core.table import BaseItem
from chalicelib.core.timers import TimerItem

CURSOR_PK = "SWEEP"
CURSOR_SK = "CURSOR"
CHUNK_MINUTES = 30  # backlog minutes read per round: 30 x 4 shards = 120 Queries, `workers` at a time
DEFAULT_LOOKBACK_MINUTES = 24 * 60  # first sweep of a table (no cursor yet)
DEFAULT_TIME_BUDGET_SECONDS = 20.0  # the scheduled Lambda times out at 30 s
DEFAULT_MAX_ITEMS = 1000
DEFAULT_WORKERS = 8


class SweepCursorItem(BaseItem, discriminator="sweep_cursor"):
    """PK=SWEEP SK=CURSOR: the last minute whose buckets are all drained."""

    minute = UnicodeAttribute()


@dataclass
class SweepReport:
    fired: int = 0  # timers whose handler ran and succeeded
    sent: int = 0  # outbox messages delivered
    retried: int = 0  # raised; due again after a backoff
    failed: int = 0  # raised on the last attempt: parked
    stale: int = 0  # index entries not claimable: another sweep has them, or done/rescheduled/deleted
    superseded: int = 0  # ran, but the claim was lost meanwhile (lease ended, item rewritten)
    minutes: int = 0  # minutes whose buckets were read
    window_start: str = ""
    cursor: str = ""
    complete: bool = True  # False when max_items, the time budget or an error stopped it early
    max_timer_lag_seconds: float = 0.0  # max over fired timers of (start of the run - due_at)
    elapsed_seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)  # metric name -> count, e.g. "TimersRetried"

    @property
    def processed(self) -> int:
        return self.fired + self.sent + self.retried + self.failed + self.stale + self.superseded

    def add(self, result: due_work.Result) -> None:
        outcome = result.outcome
        if outcome is Outcome.DONE and result.family == TimerItem.family:
            self.fired += 1
            self.max_timer_lag_seconds = max(self.max_timer_lag_seconds, result.lag_seconds or 0.0)
        elif outcome is Outcome.DONE:
            self.sent += 1
        else:
            setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        family = "Timers" if result.family == TimerItem.family else "Outbox"
        verb = {Outcome.DONE: "Fired" if family == "Timers" else "Sent"}.get(outcome, outcome.value.capitalize())
        self.counts[family + verb] += 1


def read_cursor() -> datetime | None:
    try:
        return due_index.parse_minute(SweepCursorItem.get(CURSOR_PK, CURSOR_SK, consistent_read=True).minute)
    except SweepCursorItem.DoesNotExist:
        return None


def write_cursor(minute: datetime) -> None:
    """Overlapping sweeps write it last-wins: an older value only makes the next sweep re-read."""
    SweepCursorItem(CURSOR_PK, CURSOR_SK, minute=due_index.minute_key(minute), updated_at=clock.now()).save()


def _read_bucket(bucket: str, now: datetime, limit: int) -> tuple[list[due_work.DueItem], bool]:
    """Due entries of one bucket, in due order, and whether the bucket was read to its end."""
    due = due_work.DueItem.GSI3SK <= due_index.due_bound(now)  # noqa: SIM300 (an attribute, not a constant)
    entries = [e for e in due_work.DueItem.gsi3.query(bucket, due, limit=limit + 1) if isinstance(e, due_work.DueItem)]
    return entries[:limit], len(entries) <= limit


def _read_due(
    pool: ThreadPoolExecutor, minutes: Sequence[datetime], now: datetime, limit: int
) -> tuple[list[due_work.DueItem], bool]:
    buckets = [bucket for minute in minutes for bucket in due_index.buckets_of(minute)]
    results = list(pool.map(lambda bucket: _read_bucket(bucket, now, limit), buckets))
    entries = sorted((e for found, _ in results for e in found), key=lambda e: e.GSI3SK or "")
    drained = all(complete for _, complete in results) and len(entries) <= limit
    return entries[:limit], drained


class _Pass:
    """One run's reading and processing, bounded by its item and time budgets."""

    def __init__(self, pool: ThreadPoolExecutor, now: datetime, report: SweepReport, max_items: int, budget: float):
        self.pool, self.now, self.report, self.max_items = pool, now, report, max_items
        self.deadline = clock.monotonic() + budget

    def in_time(self) -> bool:
        return clock.monotonic() < self.deadline

    def sweep(self, minutes: Sequence[datetime]) -> bool:
        """Process what is due in these minutes; True when every one of their buckets was drained."""
        room = self.max_items - self.report.processed
        if room <= 0 or not self.in_time():
            return False
        entries, drained = _read_due(self.pool, minutes, self.now, room)
        self.report.minutes += len(minutes)
        results = list(self.pool.map(self._work, entries))
        for result in results:
            if result is not None:
                self.report.add(result)
        return drained and None not in results

    def _work(self, entry: due_work.DueItem) -> due_work.Result | None:
        if not self.in_time():
            return None
        try:
            return due_work.process(entry, self.now)
        except Exception:  # the store's own errors (throttling...): it stays due for the next run
            logger.exception("sweep could not process a due item", extra={"pk": entry.PK})
            return None


def run(
    now: datetime | None = None,
    *,
    max_items: int = DEFAULT_MAX_ITEMS,
    time_budget_seconds: float = DEFAULT_TIME_BUDGET_SECONDS,
    lookback_minutes: int = DEFAULT_LOOKBACK_MINUTES,
    workers: int = DEFAULT_WORKERS,
    chunk_minutes: int = CHUNK_MINUTES,
) -> SweepReport:
    """Run what is due at `now` (default: the clock's now); safe to call often and concurrently.

    The last minutes go first, then any backlog oldest first, so what is due now never waits behind
    a catch-up; the cursor only passes minutes whose buckets were all drained.
    """
    started = clock.monotonic()
    now = now or clock.now()
    previous = read_cursor()
    window = due_index.sweep_window(previous, now, lookback_minutes=lookback_minutes)
    recent, backlog = due_index.split_window(window, now)
    report = SweepReport(window_start=due_index.minute_key(window[0]))
    drained_through: datetime | None = None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep") as pool:
        sweeping = _Pass(pool, now, report, max_items, time_budget_seconds)
        recent_drained = sweeping.sweep(recent)
        for minutes in due_index.chunks(backlog, chunk_minutes):
            if not sweeping.sweep(minutes):
                break
            drained_through = minutes[-1]
        else:
            if recent_drained:
                drained_through = window[-1]
    report.complete = drained_through == window[-1]
    cursor = due_index.next_cursor(window, drained_through, now)
    report.cursor = due_index.minute_key(cursor)
    if previous is None or cursor != previous:
        write_cursor(cursor)
    report.elapsed_seconds = round(clock.monotonic() - started, 3)
    _publish(report)
    return report


def _publish(report: SweepReport) -> None:
    for name, value in sorted(report.counts.items()):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    if report.fired:
        metrics.add_metric(name="TimerLag", unit=MetricUnit.Seconds, value=report.max_timer_lag_seconds)
    if report.processed or not report.complete:
        logger.info("sweep done", extra={"sweep": {k: v for k, v in vars(report).items() if k != "counts"}})
    if metrics.metric_set:
        metrics.flush_metrics()
