"""Session use cases: create one-off and recurring sessions, read, edit one or all following,
cancel. Every write of a host's times goes through `schedule` (no overlaps); index entries move
as listings' do (search_index: add before the commit, prune after).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.accounts import service as accounts
from chalicelib.catalog import domain, recurrence, schedule, schemas, search_index, service, views
from chalicelib.catalog import events as catalog_events
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog import session_schemas as ss
from chalicelib.catalog.models import (
    SESSION_SK,
    ListingItem,
    SessionItem,
    listing_sessions_pk,
    series_pk,
    session_pk,
)
from chalicelib.core import clock, conditional, ids
from chalicelib.core.auth import Principal
from chalicelib.core.exceptions import Conflict, FieldError, NotFound, ValidationFailed
from chalicelib.core.http import check_version
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.table import write_transaction


def load_session(session_id: str, *, consistent: bool = False) -> SessionItem:
    if not ids.is_id(session_id, "ses"):
        raise NotFound("No such session.")
    try:
        return SessionItem.get(session_pk(session_id), SESSION_SK, consistent_read=consistent)
    except SessionItem.DoesNotExist:
        raise NotFound("No such session.") from None


def _placed(sessions: Sequence[SessionItem]) -> list[search_index.Placed]:
    return [search_index.Placed(s.session_id, s.starts_at) for s in sessions]


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("Some fields are not valid.", errors=[FieldError(field, message)])


def create_sessions(principal: Principal, listing_id: str, body: ss.SessionsIn) -> ss.SessionsCreated:
    listing = service.owned_listing(principal, listing_id)
    if listing.status == domain.ARCHIVED:
        raise Conflict("An archived listing takes no new sessions.", code="listing_archived")
    tz = body.timezone or listing.timezone
    length = timedelta(minutes=body.duration_minutes or int(listing.duration_minutes))
    first = body.start if body.start.tzinfo is None else recurrence.to_local(body.start, tz)
    rule = None
    if body.recurrence is not None:
        r = body.recurrence
        rule = recurrence.Rule(r.frequency, count=r.count, until=r.until, monthly_by=r.monthly_by)
    try:
        starts = [recurrence.to_utc(local, tz) for local in recurrence.local_starts(first.replace(microsecond=0), rule)]
    except recurrence.TooManyOccurrences as exc:
        raise _invalid("recurrence.until", str(exc)) from None
    if starts[0] <= clock.now():
        raise _invalid("start", "must be in the future")
    if len(service.upcoming_placed(listing_id)) + len(starts) > service.MAX_UPCOMING_SESSIONS:
        raise _invalid("recurrence", f"a listing has at most {service.MAX_UPCOMING_SESSIONS} upcoming sessions")
    series_id = ids.new_id("srs") if rule is not None else None
    sessions = [_new_session(listing, start, start + length, tz, body.capacity, series_id) for start in starts]
    facets = service.indexed_facets(listing)
    placed = _placed(sessions)
    search_index.add_sessions(facets, placed)
    writes = [schedule.Write(_slot(s), _inserter(listing, s)) for s in sessions]
    try:
        schedule.write(listing.host_id, listing, writes)
    except Exception:
        search_index.prune_sessions((facets, placed), (None, []))
        raise
    catalog_events.tell([catalog_events.SessionScheduled(listing.listing_id, s.session_id) for s in sessions])
    return ss.SessionsCreated(series_id=series_id, items=[views.session_out(s, listing) for s in sessions])


def _new_session(
    listing: ListingItem, start: object, end: object, tz: str, capacity: int | None, series_id: str | None
) -> SessionItem:
    session_id = ids.new_id("ses")
    session = SessionItem(
        session_pk(session_id),
        SESSION_SK,
        session_id=session_id,
        listing_id=listing.listing_id,
        host_id=listing.host_id,
        series_id=series_id,
        state=domain.SCHEDULED,
        starts_at=start,
        ends_at=end,
        timezone=tz,
        capacity=capacity or int(listing.max_seats),
        seats_booked=0,
        seats_held=0,
    )
    _place(session)
    return session


def _place(session: SessionItem) -> None:
    key = plan.position(session.starts_at, session.session_id)
    session.GSI1PK, session.GSI1SK = listing_sessions_pk(session.listing_id), key
    if session.series_id:
        session.GSI2PK, session.GSI2SK = series_pk(session.series_id), key


def _slot(session: SessionItem) -> domain.Slot:
    return domain.Slot(session.session_id, session.starts_at, session.ends_at)


def _inserter(listing: ListingItem, session: SessionItem) -> Callable[[TransactWrite], None]:
    def apply(tx: TransactWrite) -> None:
        tx.save(session, condition=SessionItem.PK.does_not_exist())
        tx.save(schedule.slot_item(listing.host_id, listing.listing_id, _slot(session)))

    return apply


# Reading


def get_session(principal: Principal | None, session_id: str, viewer_tz: str | None) -> ss.SessionDetail:
    session = load_session(session_id)
    listing = service.load_listing(session.listing_id)
    if not service.can_see(principal, listing):
        raise NotFound("No such session.")
    host = accounts.host_summaries([listing.host_id]).get(listing.host_id)
    return ss.SessionDetail(
        **views.session_out(session, listing, viewer_tz).model_dump(),
        listing=views.listing_card(listing),
        host=schemas.HostSummary.model_validate(host.model_dump()) if host else None,
    )


def list_for_listing(
    principal: Principal | None, listing_id: str, limit: int, cursor: str | None, viewer_tz: str | None
) -> Page:
    """The listing's sessions that have not started, by start; its host also sees cancelled ones."""
    listing = service.visible_listing(principal, listing_id)
    owner = principal is not None and principal.user_id == listing.host_id
    scope = f"listing-sessions:{listing_id}:{'all' if owner else 'scheduled'}"
    found = SessionItem.gsi1.query(
        listing_sessions_pk(listing_id),
        SessionItem.GSI1SK.between(plan.time_key(clock.now()), plan.END),
        filter_condition=None if owner else SessionItem.state == domain.SCHEDULED,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    items = [views.session_out(s, listing, viewer_tz) for s in found if isinstance(s, SessionItem)]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


# Editing


def _owned_session(principal: Principal, session_id: str) -> tuple[SessionItem, ListingItem]:
    session = load_session(session_id, consistent=True)
    listing = service.owned_listing(principal, session.listing_id)
    return session, listing


def _editable(session: SessionItem) -> None:
    if session.state != domain.SCHEDULED:
        raise Conflict("The session is cancelled.", code="session_cancelled")
    if session.starts_at <= clock.now():
        raise Conflict("The session has started; it can no longer change.", code="session_started")


def _following(session: SessionItem) -> list[SessionItem]:
    """This session and the later scheduled sessions of its series, read consistently."""
    if not session.series_id:
        return [session]
    later = SessionItem.gsi2.query(
        series_pk(session.series_id), SessionItem.GSI2SK.between(plan.position(session.starts_at, ""), plan.END)
    )
    keys = [(i.PK, i.SK) for i in later if isinstance(i, SessionItem) and i.session_id != session.session_id]
    fresh = [i for i in SessionItem.batch_get(keys, consistent_read=True) if isinstance(i, SessionItem)]
    scheduled = sorted((s for s in fresh if s.state == domain.SCHEDULED), key=lambda s: s.starts_at)
    return [session, *scheduled]


def update_session(
    principal: Principal, session_id: str, patch: ss.SessionPatch, apply_to: str, expected_version: int | None
) -> ss.SessionsChanged:
    session, listing = _owned_session(principal, session_id)
    check_version(expected_version, int(session.version or 1))
    _editable(session)
    targets = _following(session) if apply_to == "following" else [session]
    shift = timedelta(0)
    if patch.start is not None:
        new_local = patch.start if patch.start.tzinfo is None else recurrence.to_local(patch.start, session.timezone)
        shift = new_local.replace(microsecond=0) - recurrence.to_local(session.starts_at, session.timezone)
    changes: list[tuple[SessionItem, SessionItem]] = []  # (as read, as it will be)
    for target in targets:
        start = recurrence.to_utc(recurrence.to_local(target.starts_at, target.timezone) + shift, target.timezone)
        length = target.ends_at - target.starts_at
        if patch.duration_minutes:
            length = timedelta(minutes=patch.duration_minutes)
        capacity = patch.capacity or int(target.capacity)
        if capacity < int(target.seats_booked or 0) + int(target.seats_held or 0):
            raise Conflict(
                f"Session {target.session_id} has more seats booked or held than {capacity}.",
                code="capacity_below_booked",
            )
        changed = SessionItem.from_raw_data(target.serialize())
        changed.starts_at, changed.ends_at, changed.capacity = start, start + length, capacity
        _place(changed)
        changes.append((target, changed))
    if any(new.starts_at <= clock.now() for _, new in changes):
        raise _invalid("start", "must be in the future")
    facets = service.indexed_facets(listing)
    before, after = _placed([c[0] for c in changes]), _placed([c[1] for c in changes])
    search_index.add_sessions(facets, after, before=(facets, before))
    writes = [schedule.Write(_slot(new), _mover(listing, old, new)) for old, new in changes]
    try:
        schedule.write(listing.host_id, listing, writes)
    except Exception:
        search_index.prune_sessions((facets, after), (facets, before))
        raise
    search_index.prune_sessions((facets, before), (facets, after))
    moved = [new for old, new in changes if (old.starts_at, old.ends_at) != (new.starts_at, new.ends_at)]
    catalog_events.tell(
        [catalog_events.SessionRescheduled(listing.listing_id, s.session_id, ids.new_ulid()) for s in moved]
    )
    return ss.SessionsChanged(items=[views.session_out(new, listing) for _, new in changes])


def _mover(listing: ListingItem, old: SessionItem, new: SessionItem) -> Callable[[TransactWrite], None]:
    def apply(tx: TransactWrite) -> None:
        actions: list[Action] = [
            SessionItem.starts_at.set(new.starts_at),
            SessionItem.ends_at.set(new.ends_at),
            SessionItem.capacity.set(new.capacity),
            SessionItem.GSI1SK.set(new.GSI1SK),
            SessionItem.updated_at.set(clock.now()),
        ]
        if new.GSI2SK:
            actions.append(SessionItem.GSI2SK.set(new.GSI2SK))
        # Seats are compared to what was read: the capacity check above holds only for those values.
        unchanged = (
            (SessionItem.state == domain.SCHEDULED)
            & (SessionItem.seats_booked == int(old.seats_booked or 0))
            & (SessionItem.seats_held == int(old.seats_held or 0))
        )
        tx.update(old, actions=actions, condition=unchanged)
        if new.starts_at != old.starts_at:
            tx.delete(schedule.slot_key(listing.host_id, _slot(old)))
        tx.save(schedule.slot_item(listing.host_id, listing.listing_id, _slot(new)))
        new.version = int(old.version or 1) + 1

    return apply


def _cancel(listing: ListingItem, sessions: Sequence[SessionItem]) -> None:
    """Cancel `sessions` (conditional on the versions read) and free their slots; then drop their entries."""
    now = clock.now()
    for i in range(0, len(sessions), 45):
        try:
            with write_transaction() as tx:
                for s in sessions[i : i + 45]:
                    tx.update(
                        s,
                        actions=[
                            SessionItem.state.set(domain.CANCELLED),
                            SessionItem.cancelled_at.set(now),
                            SessionItem.updated_at.set(now),
                        ],
                        condition=SessionItem.state == domain.SCHEDULED,
                    )
                    tx.delete(schedule.slot_key(listing.host_id, _slot(s)))
        except TransactWriteError as exc:
            if conditional.condition_failed(exc):
                raise Conflict("A session changed meanwhile; reload and retry.", code="concurrent_change") from None
            raise
    for s in sessions:
        s.state, s.cancelled_at = domain.CANCELLED, now
    facets = service.indexed_facets(listing)
    search_index.prune_sessions((facets, _placed(sessions)), (None, []))
    catalog_events.tell([catalog_events.SessionCancelled(listing.listing_id, s.session_id) for s in sessions])


def cancel_session(principal: Principal, session_id: str, expected_version: int | None) -> ss.SessionOut:
    session, listing = _owned_session(principal, session_id)
    check_version(expected_version, int(session.version or 1))
    _editable(session)
    _cancel(listing, [session])
    return views.session_out(session, listing)


def cancel_upcoming_for_archive(listing: ListingItem) -> None:
    """Archiving cancels the listing's sessions that have not started, unless one has seats taken."""
    found = SessionItem.gsi1.query(
        listing_sessions_pk(listing.listing_id),
        SessionItem.GSI1SK.between(plan.time_key(clock.now()), plan.END),
        filter_condition=SessionItem.state == domain.SCHEDULED,
    )
    keys = [(s.PK, s.SK) for s in found if isinstance(s, SessionItem)]
    sessions = [s for s in SessionItem.batch_get(keys, consistent_read=True) if isinstance(s, SessionItem)]
    taken = [s for s in sessions if int(s.seats_booked or 0) + int(s.seats_held or 0) > 0]
    if taken:
        raise Conflict(
            f"Session {taken[0].session_id} has seats booked; cancel it first.",
            code="listing_has_bookings",
            extra={"session_id": taken[0].session_id},
        )
    _cancel(listing, [s for s in sessions if s.state == domain.SCHEDULED])
