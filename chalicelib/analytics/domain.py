"""Pure arithmetic of analytics: what one event adds to the counters, which day (in the host's
timezone) it counts on, how days roll up into weeks and months, and the recount the counters must
always equal. No I/O: the service reads the facts (first booking of this player? first finished
booking of this session?) and passes them in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

GRANULARITIES = ("day", "week", "month")
MAX_DAYS = 366

COUNTED_KINDS = (
    "booking.confirmed",
    "booking.declined",
    "booking.cancelled",
    "booking.completed",
    "booking.no_show",
    "waitlist.claimed",
    "payment.charged",
    "payment.refunded",
    "dispute.opened",
)
PLAIN = (
    "bookings",
    "seats_sold",
    "new_players",
    "repeat_bookings",
    "requests_answered",
    "response_seconds",
    "declined",
    "cancelled_by_player",
    "cancelled_by_host",
    "cancelled_by_system",
    "seats_cancelled",
    "completed",
    "seats_completed",
    "no_shows",
    "sessions_run",
    "capacity_run",
    "waitlist_conversions",
    "disputes",
)
REVENUE, REFUNDS, LISTING = "revenue#", "refunds#", "lst#"  # + currency / + listing id
SEAT = 1_000_000  # a listing's day counter packs seats * SEAT + bookings in one number (fewer attributes to read)

PLAYER_REASONS = frozenset({"player_cancelled"})
SYSTEM_REASONS = frozenset({"min_players_not_reached", "payment_unavailable", "payment_canceled", "hold_expired"})


@dataclass(frozen=True)
class Happening:
    """One event as analytics counts it."""

    event_id: str
    kind: str
    host_id: str
    at: datetime  # when it happened, aware
    player_id: str | None = None
    session_id: str | None = None
    listing_id: str | None = None
    seats: int = 0
    capacity: int = 0
    amount: int = 0
    currency: str | None = None
    reason: str | None = None
    response_seconds: int | None = None  # a request answered (confirmed or declined): how long it waited


def day_of(at: datetime, tz: str) -> date:
    """The day `at` falls on in the host's timezone."""
    return at.astimezone(ZoneInfo(tz)).date()


def period_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks: Monday
    if granularity == "month":
        return day.replace(day=1)
    return day


def needs_player_fact(h: Happening) -> bool:
    return h.kind == "booking.confirmed" and h.player_id is not None


def needs_session_fact(h: Happening) -> bool:
    return h.kind in ("booking.completed", "booking.no_show") and h.session_id is not None


def canceller(reason: str | None) -> str:
    if reason in PLAYER_REASONS:
        return "player"
    if reason in SYSTEM_REASONS:
        return "system"
    return "host"


def contributions(h: Happening, *, repeat: bool = False, first_of_session: bool = False) -> dict[str, int]:
    """What `h` adds to its day's counters. `repeat`: the player booked this host before;
    `first_of_session`: the first finished booking of its session (the session counts as run)."""
    c: dict[str, int] = {}
    if h.kind == "booking.confirmed":
        c.update(bookings=1, seats_sold=h.seats)
        c["repeat_bookings" if repeat else "new_players"] = 1
        if h.listing_id:
            c[f"{LISTING}{h.listing_id}"] = h.seats * SEAT + 1
    elif h.kind == "booking.declined":
        c["declined"] = 1
    elif h.kind == "booking.cancelled":
        c.update({f"cancelled_by_{canceller(h.reason)}": 1, "seats_cancelled": h.seats})
    elif h.kind == "booking.completed":
        c.update(completed=1, seats_completed=h.seats)
    elif h.kind == "booking.no_show":
        c["no_shows"] = 1
    elif h.kind == "waitlist.claimed":
        c["waitlist_conversions"] = 1
    elif h.kind == "payment.charged" and h.currency:
        c[f"{REVENUE}{h.currency}"] = h.amount
    elif h.kind == "payment.refunded" and h.currency:
        c[f"{REFUNDS}{h.currency}"] = h.amount
    elif h.kind == "dispute.opened":
        c["disputes"] = 1
    if h.kind in ("booking.confirmed", "booking.declined") and h.response_seconds is not None:
        c.update(requests_answered=1, response_seconds=max(0, h.response_seconds))
    if first_of_session and h.kind in ("booking.completed", "booking.no_show"):
        c.update(sessions_run=1, capacity_run=h.capacity)
    return {k: v for k, v in c.items() if v}


def recount(happenings: Iterable[Happening], tz: str) -> dict[date, dict[str, int]]:
    """The counters from scratch: each distinct event once, in order, with the same facts the
    subscriber reads (a player's first booking with the host, a session's first finished booking)."""
    seen_events: set[str] = set()
    players: set[tuple[str, str]] = set()
    sessions: set[tuple[str, str]] = set()
    days: dict[date, dict[str, int]] = defaultdict(dict)
    for h in happenings:
        if h.event_id in seen_events or h.kind not in COUNTED_KINDS:
            continue
        seen_events.add(h.event_id)
        repeat = first = False
        if needs_player_fact(h):
            repeat = (h.host_id, str(h.player_id)) in players
            players.add((h.host_id, str(h.player_id)))
        if needs_session_fact(h):
            first = (h.host_id, str(h.session_id)) not in sessions
            sessions.add((h.host_id, str(h.session_id)))
        add(days[day_of(h.at, tz)], contributions(h, repeat=repeat, first_of_session=first))
    return {d: c for d, c in days.items() if c}


def add(into: dict[str, int], more: Mapping[str, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


def periods_between(start: date, end: date, granularity: str) -> list[date]:
    """Every period touching `start`..`end`, in order (a chart's axis: empty periods included)."""
    found: list[date] = []
    day = start
    while day <= end:
        first = period_start(day, granularity)
        if not found or found[-1] != first:
            found.append(first)
        day += timedelta(days=1)
    return found


def roll_up(
    days: Mapping[date, Mapping[str, int]], granularity: str, start: date | None = None, end: date | None = None
) -> dict[date, dict[str, int]]:
    """Day counters summed per period; with `start` and `end`, every period of the range is present."""
    periods: dict[date, dict[str, int]] = {}
    if start is not None and end is not None:
        periods = {p: {} for p in periods_between(start, end, granularity)}
    for day in sorted(days):
        add(periods.setdefault(period_start(day, granularity), {}), days[day])
    return periods


def fill_rate(c: Mapping[str, int]) -> float | None:
    """Seats of completed bookings over the capacity of the sessions run, 0..1 (None: no session ran)."""
    capacity = c.get("capacity_run", 0)
    return round(min(1.0, c.get("seats_completed", 0) / capacity), 4) if capacity else None


def by_prefix(c: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in c.items() if k.startswith(prefix)}


def top_listings(c: Mapping[str, int], n: int = 5) -> list[tuple[str, int, int]]:
    """(listing id, bookings, seats), most seats first."""
    found = [(lid, packed % SEAT, packed // SEAT) for lid, packed in by_prefix(c, LISTING).items()]
    return sorted(found, key=lambda t: (-t[2], -t[1], t[0]))[:n]


def check_range(start: date, end: date) -> None:
    if end < start:
        raise ValueError("`to` is before `from`")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days per request")
