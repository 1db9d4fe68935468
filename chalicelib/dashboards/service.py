"""The dashboards (the player's, the host's, the admins' platform overview): each section from its
owner's service functions, bounded in size (and in DynamoDB calls: see docs/ACCESS_PATTERNS.md).
Nothing here reads another package's models."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from chalicelib.core import clock
from chalicelib.core.auth import Principal, require_admin, require_role
from chalicelib.core.settings import get_settings
from chalicelib.dashboards import schemas

if TYPE_CHECKING:
    from chalicelib.analytics.service import AdminMetrics

UPCOMING, FAVORITES, SESSIONS_PER_FAVORITE, HOST_SESSIONS, PAST = 10, 5, 3, 10, 20


def notifications_unread(user_id: str) -> int:
    from chalicelib.notifications import service as notifications

    return notifications.unread_count(user_id)


def payout_status(principal: Principal) -> dict[str, Any]:
    from chalicelib.payments import service as payments

    return payments.payout_status(principal).model_dump(mode="json")


def _bookings(principal: Principal, **query: Any) -> list[Any]:
    from chalicelib.booking import service as booking

    return list(booking.my_bookings(principal, booking.MyBookingsQuery(**query)).items)


def player(principal: Principal) -> schemas.PlayerDashboard:
    from chalicelib.booking import service as booking
    from chalicelib.catalog import service as catalog
    from chalicelib.chat import service as chat
    from chalicelib.reviews import service as reviews

    upcoming = []
    for b in _bookings(principal, when="upcoming", status="confirmed", limit=UPCOMING):
        chat_id = chat.session_chat_id(b.session_id)
        upcoming.append(
            schemas.UpcomingBooking(
                booking=b.model_dump(mode="json"), chat_url=f"/v1/conversations/{chat_id}/messages" if chat_id else None
            )
        )
    pending = [
        b.model_dump(mode="json")
        for b in _bookings(principal, when="upcoming", status="pending_payment", limit=UPCOMING)
    ]
    entries = [
        e.model_dump(mode="json")
        for e in booking.my_waitlist(principal, UPCOMING, None).items
        if e.state in ("waiting", "offered")
    ]
    favorites = []
    for fav in catalog.favorites(principal, FAVORITES, None).items:
        sessions = catalog.listing_sessions(principal, fav.listing.id, SESSIONS_PER_FAVORITE, None, None)
        favorites.append(
            {**fav.model_dump(mode="json"), "next_sessions": [s.model_dump(mode="json") for s in sessions.items]}
        )
    past = _bookings(principal, when="past", status="completed", limit=PAST)
    done = reviews.reviewed_bookings(principal.user_id, [b.id for b in past]) if past else set()
    window = timedelta(days=get_settings().review_window_days)
    now = clock.now()
    awaiting = []
    for b in past:
        closes = _parse(b.ends_at) + window
        if b.id not in done and now < closes:
            awaiting.append(
                schemas.AwaitingReview(
                    booking=b.model_dump(mode="json"),
                    review_url=f"/v1/bookings/{b.id}/review",
                    window_closes_at=clock.to_wire(closes),
                )
            )
    return schemas.PlayerDashboard(
        upcoming=upcoming,
        pending_payments=pending,
        waitlist=entries,
        favorites=favorites,
        notifications_unread=notifications_unread(principal.user_id),
        awaiting_review=awaiting,
    )


def _parse(wire: str) -> datetime:
    return datetime.fromisoformat(wire.replace("Z", "+00:00"))


def host(principal: Principal) -> schemas.HostDashboard:
    from chalicelib.analytics import service as analytics
    from chalicelib.booking import service as booking
    from chalicelib.catalog import service as catalog
    from chalicelib.reviews import service as reviews

    require_role(principal, "host")
    found = catalog.host_sessions(principal.user_id, HOST_SESSIONS)
    now = clock.now()
    sessions, requests = [], []
    for card in found.items:
        roster = booking.roster(principal, card.id)
        zone = ZoneInfo(card.timezone)
        today = _parse(card.starts_at).astimezone(zone).date() == now.astimezone(zone).date()
        active = [b for b in roster.items if b.state in ("confirmed", "pending_payment", "requested")]
        sessions.append(
            schemas.HostSession(
                session_id=card.id,
                listing_id=card.listing.id,
                listing_title=card.listing.title,
                starts_at=card.starts_at,
                local_start=card.local_start,
                timezone=card.timezone,
                capacity=roster.capacity,
                seats_booked=roster.seats_booked,
                fill_rate=round(roster.seats_booked / roster.capacity, 4) if roster.capacity else 0.0,
                roster=[b.model_dump(mode="json") for b in active],
                today=today,
            )
        )
        requests += [
            schemas.PendingRequest(booking=b.model_dump(mode="json"), expires_at=b.hold_expires_at)
            for b in roster.items
            if b.state == "requested"
        ]
    requests.sort(key=lambda r: r.expires_at or "~")
    reputation = reviews.reputation(principal.user_id)
    last_30 = analytics.host_analytics(principal, analytics.AnalyticsQuery(granularity="month"))
    return schemas.HostDashboard(
        sessions=sessions,
        requests=requests,
        recent_reviews=[r.model_dump(mode="json") for r in reviews.recent_about_host(principal.user_id)],
        rating=reputation.rating.model_dump(mode="json"),
        badges=reputation.badges,
        payout_status=payout_status(principal),
        last_30_days=last_30.totals.model_dump(mode="json"),
    )


def admin(principal: Principal, days: int) -> AdminMetrics:
    """The platform overview: analytics' counters with reviews' and chat's totals."""
    from chalicelib.analytics import service as analytics
    from chalicelib.chat import service as chat
    from chalicelib.reviews import service as reviews

    require_admin(principal)
    return analytics.admin_metrics(
        principal, days, review_stats=reviews.stats(), reported_messages=chat.reported_messages()
    )
