"""A host's schedule: no two of their sessions overlap.

Each session has a slot item in the host's partition (PK=HOSTSCHED#<host>, SK=<start>#<ses>), so
the overlap check is one strongly consistent Query over [first start - MAX_DURATION, last end).
Writers of a host's slots are serialised by a guard item in the same partition: each transaction
bumps `rev` on the condition that it still has the value read before the check, so two concurrent
writers cannot both pass a check that the other's write would fail. A write of many sessions is
cut into transactions of CHUNK sessions chained on consecutive `rev` values; when another writer
slips in between, the rest is checked again against the fresh schedule and retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.catalog import domain
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog.models import (
    GUARD_SK,
    LISTING_SK,
    HostSlotItem,
    ListingItem,
    ScheduleGuardItem,
    listing_pk,
    schedule_pk,
)
from chalicelib.core import conditional
from chalicelib.core.exceptions import Conflict
from chalicelib.core.table import write_transaction

MAX_DURATION = timedelta(hours=24)  # sessions are at most this long (schemas.Minutes)
CHUNK = 30  # sessions per transaction: 3 writes each + guard + listing check <= 100 items
ATTEMPTS = 4


@dataclass(frozen=True)
class Write:
    """The writes of one session (its item and its slot), and the slot it will occupy."""

    slot: domain.Slot
    apply: Callable[[TransactWrite], None]


class _GuardMoved(Exception):
    pass


def slot_item(host_id: str, listing_id: str, slot: domain.Slot) -> HostSlotItem:
    return HostSlotItem(
        schedule_pk(host_id),
        plan.position(slot.starts_at, slot.session_id),
        session_id=slot.session_id,
        listing_id=listing_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
    )


def slot_key(host_id: str, slot: domain.Slot) -> HostSlotItem:
    return HostSlotItem(schedule_pk(host_id), plan.position(slot.starts_at, slot.session_id))


def _rev(host_id: str) -> int:
    try:
        return int(ScheduleGuardItem.get(schedule_pk(host_id), GUARD_SK, consistent_read=True).rev or 0)
    except ScheduleGuardItem.DoesNotExist:
        return 0


def busy(host_id: str, slots: Sequence[domain.Slot]) -> list[domain.Slot]:
    """The host's slots that could overlap any of `slots` (one consistent Query, paged)."""
    low = min(s.starts_at for s in slots) - MAX_DURATION
    high = max(s.ends_at for s in slots)
    found = HostSlotItem.query(
        schedule_pk(host_id), HostSlotItem.SK.between(plan.time_key(low), plan.time_key(high)), consistent_read=True
    )
    return [domain.Slot(i.session_id, i.starts_at, i.ends_at) for i in found if isinstance(i, HostSlotItem)]


def _check(host_id: str, writes: Sequence[Write]) -> None:
    clash = domain.first_overlap([w.slot for w in writes], busy(host_id, [w.slot for w in writes]))
    if clash is not None:
        mine, other = clash
        raise Conflict(
            f"The session at {plan.time_key(mine.starts_at)} overlaps your session {other.session_id}.",
            code="session_overlap",
            extra={"conflicting_session_id": other.session_id},
        )


def _commit(host_id: str, listing: ListingItem, chunk: Sequence[Write], rev: int) -> None:
    guard = ScheduleGuardItem(schedule_pk(host_id), GUARD_SK)
    fresh = ScheduleGuardItem.rev.does_not_exist() if rev == 0 else ScheduleGuardItem.rev == rev
    try:
        with write_transaction() as tx:
            tx.update(
                guard,
                actions=[ScheduleGuardItem.rev.set(rev + 1), ScheduleGuardItem.kind.set(ScheduleGuardItem)],
                condition=fresh,
            )
            # Index entries were derived from this version of the listing (and none when archived).
            tx.condition_check(
                ListingItem,
                listing_pk(listing.listing_id),
                LISTING_SK,
                condition=(ListingItem.version == int(listing.version or 1)) & (ListingItem.status != domain.ARCHIVED),
            )
            for write in chunk:
                write.apply(tx)
    except TransactWriteError as exc:
        codes = {r.code for r in exc.cancellation_reasons or [] if r is not None}
        # PynamoDB orders a transaction's items by kind, not as added: ask the table what failed.
        if "TransactionConflict" in codes or _rev(host_id) != rev:
            raise _GuardMoved() from None
        if not conditional.condition_failed(exc):
            raise
        current = ListingItem.get(listing_pk(listing.listing_id), LISTING_SK, consistent_read=True)
        if current.version != listing.version or current.status == domain.ARCHIVED:
            raise Conflict("The listing changed meanwhile; reload and retry.", code="listing_changed") from None
        raise Conflict("A session changed meanwhile; reload and retry.", code="concurrent_change") from None


def write(host_id: str, listing: ListingItem, writes: Sequence[Write]) -> None:
    """Check that `writes` overlap nothing, then commit them, chunk by chunk."""
    remaining = list(writes)
    for _ in range(ATTEMPTS):
        rev = _rev(host_id)
        _check(host_id, remaining)
        try:
            while remaining:
                _commit(host_id, listing, remaining[:CHUNK], rev)
                remaining, rev = remaining[CHUNK:], rev + 1
            return
        except _GuardMoved:
            continue  # another write of this host's schedule came first: check again
    raise Conflict("Your schedule is being changed by another request; retry.", code="schedule_busy")
