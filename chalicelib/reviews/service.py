"""Use cases of reviews: write (double-blind), edit, read, reply, report, hide, publish when the
window closes, and the reputation sums kept with every publish (same transaction, no recounts).

Bookings are read through `booking.queries.booking_facts`, sessions through `catalog.seats`; the
window timer is scheduled by the `booking.completed` / `booking.no_show` subscriber (`on_booking_finished`).
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from chalicelib.core import clock, conditional, events, ids, timers
from chalicelib.core.auth import Principal, require_admin
from chalicelib.core.exceptions import BadRequest, NotFound
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.core.settings import get_settings
from chalicelib.reviews import domain, jobs, schemas
from chalicelib.reviews.exceptions import (
    AlreadyReplied,
    AlreadyReported,
    AlreadyReviewed,
    NotYourReview,
    ReviewNotFound,
    ReviewRuleRefused,
)
from chalicelib.reviews.models import (
    RANKED_PK,
    REPORTS_PK,
    REPUTATION_FIELDS,
    REPUTATION_SK,
    REVIEW_SK,
    STATS_KEY,
    ReputationItem,
    ReviewGuardItem,
    ReviewItem,
    ReviewReportItem,
    ReviewStatsItem,
    guard_key,
    listing_reviews_pk,
    reputation_pk,
    review_pk,
    user_reviews_pk,
)

SUBS = domain.SUB_RATINGS


def _booking(booking_id: str) -> Any:
    from chalicelib.booking import service as booking

    return booking.booking_facts(booking_id) if ids.is_id(booking_id, "bkg") else None


def _refuse(rule: domain.NotAllowed) -> ReviewRuleRefused:
    return ReviewRuleRefused(str(rule), code=rule.code)


def load(review_id: str) -> ReviewItem:
    if not ids.is_id(review_id, "rev"):
        raise ReviewNotFound("No such review.")
    try:
        return ReviewItem.get(review_pk(review_id), REVIEW_SK, consistent_read=True)
    except ReviewItem.DoesNotExist:
        raise ReviewNotFound("No such review.") from None


def _ratings(r: ReviewItem) -> dict[str, int | None]:
    values: dict[str, int | None] = {"rating": int(r.rating)}
    for name in SUBS:
        value = getattr(r, name)
        values[name] = int(value) if value is not None else None
    return values


# Reputation: sums and counts, changed with ADD in the transaction of the change that causes them.


def _add_reputation(tx: TransactWrite, r: ReviewItem, delta: dict[str, int]) -> None:
    """Add `delta` to the host's and the listing's sums: read, then set conditional on the version
    read (a concurrent change refuses the transaction, which `_commit` runs again). The listing's item
    also carries its place in the rating order (GSI1 RATEDLST / rank), which search sorts by."""
    if not delta:
        return
    now = clock.now()
    for subject in (r.host_id, r.listing_id):
        pk = reputation_pk(subject)
        try:
            current: ReputationItem | None = ReputationItem.get(pk, REPUTATION_SK, consistent_read=True)
        except ReputationItem.DoesNotExist:
            current = None
        values = {name: int(getattr(current, name) or 0) if current else 0 for name in REPUTATION_FIELDS}
        for name, n in delta.items():
            values[name] += n
        version = int(current.rep_version or 0) if current else 0
        actions: list[Any] = [getattr(ReputationItem, name).set(v) for name, v in values.items()]
        actions += [
            ReputationItem.rep_version.set(version + 1),
            ReputationItem.kind.set(ReputationItem),
            ReputationItem.updated_at.set(now),
            ReputationItem.created_at.set(ReputationItem.created_at | now),
        ]
        if subject == r.listing_id and values["rating_count"] > 0:
            rank = domain.rank_key(values["rating_sum"], values["rating_count"])
            actions += [ReputationItem.GSI1PK.set(RANKED_PK), ReputationItem.GSI1SK.set(f"{rank}#{subject}")]
        elif subject == r.listing_id:
            actions += [ReputationItem.GSI1PK.remove(), ReputationItem.GSI1SK.remove()]
        condition = ReputationItem.PK.does_not_exist() if current is None else ReputationItem.rep_version == version
        tx.update(ReputationItem(pk, REPUTATION_SK), actions=actions, condition=condition)


ATTEMPTS = 12


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0.005, 0.03) * min(attempt + 1, 4))


def _commit(build: Any) -> None:
    """Run `build` in a transaction; again (freshly read) when only a reputation item changed meanwhile."""
    for attempt in range(ATTEMPTS):
        try:
            conditional.run(build)
            return
        except conditional.Refused as refused:
            if attempt == ATTEMPTS - 1 or not all(pk.startswith("REPUTATION#") for pk, _ in refused.keys):
                raise
            _backoff(attempt)


def _count(tx: TransactWrite, field: str) -> None:
    tx.update(
        ReviewStatsItem(STATS_KEY, STATS_KEY),
        actions=[
            getattr(ReviewStatsItem, field).add(1),
            ReviewStatsItem.kind.set(ReviewStatsItem),
            ReviewStatsItem.updated_at.set(clock.now()),
        ],
    )


def _publish(tx: TransactWrite, r: ReviewItem, now: datetime) -> None:
    """Make a pending review public (conditional on it still pending) and count it."""
    tx.update(
        r,
        actions=[ReviewItem.state.set(domain.PUBLISHED), ReviewItem.published_at.set(now), *_index_actions(r, now)],
        condition=ReviewItem.state == domain.PENDING,
    )
    _announce(tx, r)
    if domain.counts_for_reputation(r.side, bool(r.hidden), domain.PUBLISHED):
        _add_reputation(tx, r, domain.rating_delta(None, _ratings(r)))


def _index_keys(r: ReviewItem, published_at: datetime) -> dict[str, str]:
    """The sparse index keys of a published, visible review (none while pending or hidden)."""
    if r.hidden:
        return {}
    stamp = f"{clock.to_wire(published_at)}#{r.review_id}"
    keys = {"GSI2PK": user_reviews_pk(r.subject_id), "GSI2SK": f"{r.side}#{stamp}"}
    if r.side == domain.PLAYER:
        keys.update(GSI1PK=listing_reviews_pk(r.listing_id), GSI1SK=stamp)
    return keys


def _index_actions(r: ReviewItem, published_at: datetime) -> list[Any]:
    return [getattr(ReviewItem, name).set(value) for name, value in _index_keys(r, published_at).items()]


def _announce(tx: TransactWrite, r: ReviewItem) -> None:
    events.publish(
        tx,
        "review.published",
        subject=r.review_id,
        dedupe=r.review_id,
        review_id=r.review_id,
        booking_id=r.booking_id,
        side=r.side,
        author_id=r.author_id,
        subject_id=r.subject_id,
        listing_id=r.listing_id,
        rating=int(r.rating),
    )


def _guards(booking_id: str) -> dict[str, str]:
    """side → review id of the reviews written for this booking (one consistent Query)."""
    pk, _ = guard_key(booking_id, domain.PLAYER)
    found = ReviewGuardItem.query(pk, ReviewGuardItem.SK.startswith("SIDE#"), consistent_read=True)
    return {g.SK.split("#", 1)[1]: g.review_id for g in found if isinstance(g, ReviewGuardItem)}


# Writing


def submit(principal: Principal, booking_id: str, body: schemas.ReviewIn) -> schemas.ReviewOut:
    """Review a completed booking from your side (player or host). Published at once when the other
    side already wrote (both together), otherwise when the window closes."""
    b = _booking(booking_id)
    side = domain.side_of(principal.user_id, player_id=b.player_id, host_id=b.host_id) if b else None
    if b is None or side is None:
        raise NotFound("No such booking.")
    settings = get_settings()
    closes = domain.window_closes_at(b.ends_at, settings.review_window_days)
    try:
        domain.check_may_review(side, b.state)
        domain.check_window_open(clock.now(), closes)
    except domain.NotAllowed as rule:
        raise _refuse(rule) from None
    if side == domain.HOST and (body.preparation is not None or body.value is not None):
        raise BadRequest("Hosts rate players overall, communication and atmosphere only.", code="invalid_sub_rating")
    for attempt in range(ATTEMPTS):
        try:
            return _write(principal, b, side, body, closes)
        except conditional.Refused as refused:
            if refused.on(*guard_key(b.booking_id, side)):
                raise AlreadyReviewed("You already reviewed this booking.") from None
            _backoff(attempt)  # the other side wrote, or the sums changed, meanwhile: read again
    raise AlreadyReviewed("The booking's reviews changed meanwhile; try again.", code="busy")


def _write(principal: Principal, b: Any, side: str, body: schemas.ReviewIn, closes: datetime) -> schemas.ReviewOut:
    now = clock.now()
    other_side = domain.HOST if side == domain.PLAYER else domain.PLAYER
    other_id = _guards(b.booking_id).get(other_side)
    other = load(other_id) if other_id else None
    publish = domain.publish_now(other_side_written=other is not None, now=now, closes_at=closes)
    review_id = ids.new_id("rev")
    settings = get_settings()
    r = ReviewItem(
        review_pk(review_id),
        REVIEW_SK,
        review_id=review_id,
        booking_id=b.booking_id,
        session_id=b.session_id,
        listing_id=b.listing_id,
        host_id=b.host_id,
        player_id=b.player_id,
        side=side,
        author_id=principal.user_id,
        subject_id=b.host_id if side == domain.PLAYER else b.player_id,
        rating=body.rating,
        preparation=body.preparation,
        communication=body.communication,
        atmosphere=body.atmosphere,
        value=body.value,
        text=body.text,
        state=domain.PENDING,
        window_closes_at=closes,
        edit_until=domain.edit_until(now, settings.review_edit_hours),
        created_at=now,
        updated_at=now,
    )

    def build(tx: TransactWrite) -> None:
        gpk, gsk = guard_key(b.booking_id, side)
        tx.save(ReviewGuardItem(gpk, gsk, review_id=review_id), condition=ReviewGuardItem.PK.does_not_exist())
        if publish:
            r.state, r.published_at = domain.PUBLISHED, now
            for name, value in _index_keys(r, now).items():
                setattr(r, name, value)
            _announce(tx, r)
            if domain.counts_for_reputation(side, False, domain.PUBLISHED):
                _add_reputation(tx, r, domain.rating_delta(None, _ratings(r)))
        tx.save(r)
        if other is None:
            tx.condition_check(
                ReviewGuardItem, *guard_key(b.booking_id, other_side), condition=ReviewGuardItem.PK.does_not_exist()
            )
        elif other.state == domain.PENDING:
            _publish(tx, other, now)
        _count(tx, "reviews")
        events.publish(
            tx,
            "review.submitted",
            subject=review_id,
            dedupe=review_id,
            review_id=review_id,
            booking_id=b.booking_id,
            side=side,
            host_id=b.host_id,
            player_id=b.player_id,
        )
        timers.schedule(
            tx,
            handler=jobs.WINDOW_CLOSE,
            due_at=closes,
            subject=b.booking_id,
            payload={"booking_id": b.booking_id},
            timer_id=f"revwin#{b.booking_id}",
        )

    conditional.run(build)
    return review_out(load(review_id))


def edit(principal: Principal, review_id: str, body: schemas.ReviewEdit) -> schemas.ReviewOut:
    """The author changes their review within the edit window; a published one's sums follow."""
    r = load(review_id)
    if r.author_id != principal.user_id:
        if _may_read(principal, r):
            raise NotYourReview("Only its author may edit a review.")
        raise ReviewNotFound("No such review.")
    try:
        domain.check_editable(clock.now(), r.edit_until)
    except domain.NotAllowed as rule:
        raise _refuse(rule) from None
    change = body.model_dump(exclude_unset=True)
    if r.side == domain.HOST and (change.get("preparation") is not None or change.get("value") is not None):
        raise BadRequest("Hosts rate players overall, communication and atmosphere only.", code="invalid_sub_rating")
    if change.get("rating", 0) is None:
        raise BadRequest("The overall rating cannot be removed.", code="rating_required")
    before = _ratings(r)
    after = {**before, **{k: v for k, v in change.items() if k != "text"}}
    actions: list[Any] = [
        getattr(ReviewItem, k).set(v) if v is not None else getattr(ReviewItem, k).remove() for k, v in change.items()
    ]
    now = clock.now()
    actions += [ReviewItem.edited_at.set(now), ReviewItem.updated_at.set(now)]

    def build(tx: TransactWrite) -> None:
        tx.update(r, actions=actions, condition=(ReviewItem.updated_at == r.updated_at) & (ReviewItem.state == r.state))
        if domain.counts_for_reputation(r.side, bool(r.hidden), r.state):
            _add_reputation(tx, r, domain.rating_delta(before, after))

    try:
        _commit(build)
    except conditional.Refused:
        raise ReviewRuleRefused("The review changed meanwhile; read it again.", code="concurrent_change") from None
    return review_out(load(review_id))


def reply(principal: Principal, review_id: str, body: schemas.ReplyIn) -> schemas.ReviewOut:
    """The reviewed host answers a player's published review, once, publicly."""
    r = load(review_id)
    if not _may_read(principal, r):
        raise ReviewNotFound("No such review.")
    if r.side != domain.PLAYER or principal.user_id != r.host_id:
        raise NotYourReview("Only the reviewed host may reply to a review.")
    if r.state != domain.PUBLISHED:
        raise ReviewRuleRefused("A review is answered once it is published.", code="review_not_published")
    now = clock.now()
    try:
        conditional.run(
            lambda tx: tx.update(
                r,
                actions=[ReviewItem.reply_text.set(body.text), ReviewItem.replied_at.set(now)],
                condition=ReviewItem.reply_text.does_not_exist(),
            )
        )
    except conditional.Refused:
        raise AlreadyReplied("This review already has your reply.") from None
    return review_out(load(review_id))


def report(principal: Principal, review_id: str, body: schemas.ReportIn) -> schemas.ReportOut:
    """Anyone who can see a review may report it, once, for moderation."""
    r = load(review_id)
    if not _may_read(principal, r):
        raise ReviewNotFound("No such review.")
    now = clock.now()

    def build(tx: TransactWrite) -> None:
        tx.save(
            ReviewReportItem(
                review_pk(review_id),
                f"REPORT#{principal.user_id}",
                review_id=review_id,
                reporter_id=principal.user_id,
                reason=body.reason,
                GSI1PK=REPORTS_PK,
                GSI1SK=f"{clock.to_wire(now)}#{review_id}#{principal.user_id}",
            ),
            condition=ReviewReportItem.PK.does_not_exist(),
        )
        tx.update(r, actions=[ReviewItem.report_count.add(1)])
        _count(tx, "reports")

    try:
        conditional.run(build)
    except conditional.Refused:
        raise AlreadyReported("You already reported this review.") from None
    return schemas.ReportOut(review_id=review_id, reported=True)


def hide(principal: Principal, review_id: str, body: schemas.HideIn) -> schemas.ReviewOut:
    """An admin hides a review: out of every list and every rating, kept for audit."""
    require_admin(principal)
    r = load(review_id)
    if r.hidden:
        return review_out(r)
    now = clock.now()

    def build(tx: TransactWrite) -> None:
        tx.update(
            r,
            actions=[
                ReviewItem.hidden.set(True),
                ReviewItem.hidden_reason.set(body.reason),
                ReviewItem.hidden_by.set(principal.user_id),
                ReviewItem.hidden_at.set(now),
                ReviewItem.GSI1PK.remove(),
                ReviewItem.GSI1SK.remove(),
                ReviewItem.GSI2PK.remove(),
                ReviewItem.GSI2SK.remove(),
            ],
            condition=(ReviewItem.hidden == False) & (ReviewItem.state == r.state),  # noqa: E712 (a condition)
        )
        if domain.counts_for_reputation(r.side, False, r.state):
            _add_reputation(tx, r, domain.rating_delta(_ratings(r), None))
        _count(tx, "hidden")

    with contextlib.suppress(conditional.Refused):  # hidden or published meanwhile: the state below says which
        _commit(build)
    return review_out(load(review_id))


# The window


def close_window(booking_id: str) -> int:
    """The window closed: publish whatever the booking's sides wrote. Idempotent; returns how many."""
    published = 0
    now = clock.now()
    for review_id in _guards(booking_id).values():
        r = load(review_id)
        if r.state != domain.PENDING or now < r.window_closes_at:
            continue
        try:
            _commit(lambda tx, r=r: _publish(tx, r, now))
            published += 1
        except conditional.Refused:
            continue  # published meanwhile
    return published


def on_booking_finished(event: events.Event) -> None:
    """Subscriber of booking.completed and booking.no_show: schedule the review window's end.
    Idempotent: the timer has a fixed id, so a repeated event rewrites the same timer."""
    booking_id = str(event.payload["booking_id"])
    b = _booking(booking_id)
    if b is None:
        return
    closes = domain.window_closes_at(b.ends_at, get_settings().review_window_days)
    conditional.run(
        lambda tx: timers.schedule(
            tx,
            handler=jobs.WINDOW_CLOSE,
            due_at=closes,
            subject=booking_id,
            payload={"booking_id": booking_id},
            timer_id=f"revwin#{booking_id}",
        )
    )


# Reading


def _may_read(principal: Principal | None, r: ReviewItem) -> bool:
    if principal is not None and (principal.is_admin or principal.user_id == r.author_id):
        return True
    if r.state != domain.PUBLISHED or r.hidden:
        return False
    return r.side == domain.PLAYER or (principal is not None and principal.is_host)


def get(principal: Principal | None, review_id: str) -> schemas.ReviewOut:
    r = load(review_id)
    if not _may_read(principal, r):
        raise ReviewNotFound("No such review.")
    return review_out(r)


def listing_reviews(listing_id: str, limit: int, cursor: str | None) -> Page:
    """A listing's published player reviews, newest first: one Query on GSI1."""
    if not ids.is_id(listing_id, "lst"):
        raise NotFound("No such listing.")
    scope = f"listing-reviews:{listing_id}"
    found = ReviewItem.gsi1.query(
        listing_reviews_pk(listing_id),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    items = [review_out(r) for r in found if isinstance(r, ReviewItem)]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


def user_reviews(principal: Principal | None, user_id: str, query: schemas.UserReviewsQuery) -> Page:
    """Published reviews about a user: as a host (public) or as a player (hosts and admins only)."""
    if not ids.is_id(user_id, "usr"):
        raise NotFound("No such user.")
    if query.about == "player" and (principal is None or not (principal.is_host or principal.is_admin)):
        raise NotYourReview("Reviews of players are for hosts only.", code="hosts_only")
    side = domain.PLAYER if query.about == "host" else domain.HOST
    scope = f"user-reviews:{user_id}:{side}"
    found = ReviewItem.gsi2.query(
        user_reviews_pk(user_id),
        ReviewItem.GSI2SK.startswith(f"{side}#"),
        scan_index_forward=False,
        limit=query.limit,
        last_evaluated_key=decode_cursor(query.cursor, scope),
    )
    items = [review_out(r) for r in found if isinstance(r, ReviewItem)]
    return Page(items, encode_cursor(found.last_evaluated_key, scope))


def recent_about_host(host_id: str, limit: int = 5) -> list[schemas.ReviewOut]:
    found = ReviewItem.gsi2.query(
        user_reviews_pk(host_id),
        ReviewItem.GSI2SK.startswith(f"{domain.PLAYER}#"),
        scan_index_forward=False,
        limit=limit,
    )
    return [review_out(r) for r in found if isinstance(r, ReviewItem)]


def reviewed_bookings(user_id: str, booking_ids: Iterable[str]) -> set[str]:
    """Which of these bookings `user_id` (their player) already reviewed: one BatchGetItem per 100."""
    keys = [guard_key(b, domain.PLAYER) for b in dict.fromkeys(booking_ids)]
    return {g.PK.split("#", 1)[1] for g in ReviewGuardItem.batch_get(keys) if isinstance(g, ReviewGuardItem)}


def _rating(item: ReputationItem | None) -> schemas.Rating:
    if item is None:
        return schemas.Rating(average=None, count=0, sub_averages={name: None for name in SUBS})
    totals = domain.RatingTotals(int(item.rating_sum or 0), int(item.rating_count or 0))
    subs = {}
    for name in SUBS:
        n = int(getattr(item, f"n_{name}") or 0)
        subs[name] = round(int(getattr(item, f"sum_{name}") or 0) / n, 2) if n else None
    return schemas.Rating(average=totals.average, count=totals.rating_count, sub_averages=subs)


def ratings_of(subject_ids: Iterable[str]) -> dict[str, schemas.Rating]:
    """Ratings of hosts or listings by id (one BatchGetItem per 100); those without reviews get count 0."""
    wanted = list(dict.fromkeys(subject_ids))
    found = {
        i.PK.split("#", 1)[1]: i
        for i in ReputationItem.batch_get([(reputation_pk(s), REPUTATION_SK) for s in wanted])
        if isinstance(i, ReputationItem)
    }
    return {s: _rating(found.get(s)) for s in wanted}


def rated_listings(
    start: str, limit: int, resume: dict[str, Any] | None
) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
    """Rated listings best first, from rank key `start` (inclusive): [(rank key, listing id)] and where
    to resume. One Query on GSI1 (RATEDLST), for search's rating order."""
    found = ReputationItem.gsi1.query(RANKED_PK, start <= ReputationItem.GSI1SK, limit=limit, last_evaluated_key=resume)
    page = [(str(i.GSI1SK), str(i.GSI1SK).rsplit("#", 1)[1]) for i in found if isinstance(i, ReputationItem)]
    return page, found.last_evaluated_key


def rating_of(subject_id: str) -> schemas.Rating:
    return ratings_of([subject_id])[subject_id]


def reputation(user_id: str) -> schemas.ReputationOut:
    """A user's rating as a host, and the badges their facts earn (analytics keeps the facts)."""
    from chalicelib.analytics import service as analytics

    if not ids.is_id(user_id, "usr"):
        raise NotFound("No such user.")
    rating = rating_of(user_id)
    f = analytics.host_totals(user_id)
    facts = domain.HostFacts(
        sessions_run=f.get("sessions_run", 0),
        bookings=f.get("bookings", 0),
        repeat_bookings=f.get("repeat_bookings", 0),
        host_cancellations=f.get("cancelled_by_host", 0),
        requests_answered=f.get("requests_answered", 0),
        response_seconds_total=f.get("response_seconds", 0),
        rating_count=rating.count,
        rating_average=rating.average,
    )
    return schemas.ReputationOut(subject_id=user_id, rating=rating, badges=domain.badges(facts))


def stats() -> dict[str, int]:
    """Platform totals for the admin overview: reviews written, reports, hidden (one GetItem)."""
    try:
        item = ReviewStatsItem.get(STATS_KEY, STATS_KEY)
    except ReviewStatsItem.DoesNotExist:
        return {"reviews": 0, "reports": 0, "hidden": 0}
    return {"reviews": int(item.reviews or 0), "reports": int(item.reports or 0), "hidden": int(item.hidden or 0)}


def review_out(r: ReviewItem) -> schemas.ReviewOut:
    return schemas.ReviewOut(
        id=r.review_id,
        booking_id=r.booking_id,
        listing_id=r.listing_id,
        session_id=r.session_id,
        side=r.side,  # type: ignore[arg-type]
        author_id=r.author_id,
        subject_id=r.subject_id,
        rating=int(r.rating),
        sub_ratings=schemas.SubRatings(
            **{n: (int(getattr(r, n)) if getattr(r, n) is not None else None) for n in SUBS}
        ),
        text=r.text,
        state=r.state,  # type: ignore[arg-type]
        published_at=clock.to_wire(r.published_at) if r.published_at else None,
        editable_until=clock.to_wire(r.edit_until),
        reply=schemas.Reply(text=r.reply_text, replied_at=clock.to_wire(r.replied_at))
        if r.reply_text and r.replied_at
        else None,
        hidden=bool(r.hidden),
        hidden_reason=r.hidden_reason,
        created_at=clock.to_wire(r.created_at),
    )
