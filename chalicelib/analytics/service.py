"""Use cases of analytics: count each event once (the subscriber), read a host's figures by day,
week or month in their timezone (one Query over day items, whatever the number of bookings), the CSV
export, host totals for badges, and the platform overview for admins.

Counting an event is one transaction: the event's mark (conditional: a duplicate refuses it and
changes nothing), its host day (saved whole, conditional on the version read: a concurrent count makes
it read again), the host-total counters (ADD), the platform shard's day, and the facts it establishes
(this player has booked this host; this session has run; this host is active this month).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from typing import Any

import boto3
from pynamodb.expressions.operand import Path
from pynamodb.transactions import TransactWrite

from chalicelib.analytics import domain, schemas
from chalicelib.analytics.models import (
    MARK_SK,
    SHARDS,
    TOTAL_SK,
    CounterItem,
    DayItem,
    EventMarkItem,
    SeenItem,
    active_pk,
    day_sk,
    host_pk,
    mark_pk,
    platform_pk,
)
from chalicelib.analytics.schemas import AdminMetrics as AdminMetrics
from chalicelib.analytics.schemas import AdminMetricsQuery as AdminMetricsQuery
from chalicelib.analytics.schemas import AnalyticsQuery as AnalyticsQuery
from chalicelib.core import clock, conditional, events
from chalicelib.core.auth import Principal, require_admin, require_role
from chalicelib.core.exceptions import FieldError, ValidationFailed
from chalicelib.core.settings import get_settings

MARK_TTL = timedelta(days=60)
ATTEMPTS = 12  # reads and conditional writes of one count, while racing counts change its facts or day
PLATFORM_KEYS = (
    "bookings",
    "seats_sold",
    "disputes",
    "completed",
    "no_shows",
    "cancelled_by_player",
    "cancelled_by_host",
    "cancelled_by_system",
)
RAW_KEYS = frozenset({"PK", "SK", "kind", "created_at", "updated_at", "expires_at"})


@lru_cache(maxsize=1)
def _client() -> Any:
    settings = get_settings()
    return boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint_url)


# Counting


def _booking(booking_id: str) -> Any:
    from chalicelib.booking import service as booking

    return booking.booking_facts(booking_id)


def _capacity(session_id: str) -> int:
    from chalicelib.catalog import service as catalog

    try:
        return catalog.session_for_booking(session_id, consistent=False).capacity
    except catalog.NoSuchSession:
        return 0


def happening_of(event: events.Event) -> domain.Happening | None:
    """The event as analytics counts it, completed from the booking it is about (one GetItem)."""
    if event.kind not in domain.COUNTED_KINDS:
        return None
    p = event.payload
    b = _booking(str(p["booking_id"])) if p.get("booking_id") else None
    host_id = str(p.get("host_id") or (b.host_id if b else ""))
    if not host_id:
        return None
    response = None
    if b is not None and b.mode == "approval" and event.kind in ("booking.confirmed", "booking.declined"):
        response = int((event.occurred_at - b.created_at).total_seconds())
    finished = event.kind in ("booking.completed", "booking.no_show")
    return domain.Happening(
        event_id=event.event_id,
        kind=event.kind,
        host_id=host_id,
        at=event.occurred_at,
        player_id=str(p.get("player_id") or (b.player_id if b else "")) or None,
        session_id=b.session_id if b else None,
        listing_id=b.listing_id if b else None,
        seats=b.seats if b else 0,
        capacity=_capacity(b.session_id) if b and finished else 0,
        amount=int(p.get("amount") or 0),
        currency=str(p["currency"]).lower() if p.get("currency") else None,
        reason=str(p["reason"]) if p.get("reason") else None,
        response_seconds=response,
    )


def on_event(event: events.Event) -> None:
    """Subscriber of every counted event kind (chalicelib/subscriptions.py). At least once: a
    duplicate finds its mark and changes nothing."""
    h = happening_of(event)
    if h is not None:
        record(h)


def _host_timezone(host_id: str) -> str:
    from chalicelib.accounts import service as accounts

    return accounts.timezone_of(host_id)


def _exists(pk: str, sk: str) -> bool:
    try:
        SeenItem.get(pk, sk, consistent_read=True, attributes_to_get=["PK"])
        return True
    except SeenItem.DoesNotExist:
        return False


def _add(tx: TransactWrite, pk: str, sk: str, counts: dict[str, int]) -> None:
    if counts:
        actions: list[Any] = [Path([name]).add(n) for name, n in sorted(counts.items())]
        tx.update(CounterItem(pk, sk), actions=[*actions, CounterItem.kind.set(CounterItem)])


def _platform(counts: dict[str, int]) -> dict[str, int]:
    """The counters of `counts` the platform's days keep too."""
    return {k: v for k, v in counts.items() if k in PLATFORM_KEYS or k.startswith((domain.REVENUE, domain.REFUNDS))}


def _shard(event_id: str) -> int:
    return int(hashlib.sha256(event_id.encode()).hexdigest()[:8], 16) % SHARDS


def _day_plus(host_id: str, day: str, more: dict[str, int]) -> DayItem:
    """The host's day with `more` added, to save conditional on the version it was read at."""
    try:
        item = DayItem.get(host_pk(host_id), day_sk(day), consistent_read=True)
    except DayItem.DoesNotExist:
        item = DayItem(host_pk(host_id), day_sk(day), counts={})
    counts = dict(item.counts)
    domain.add(counts, more)
    item.counts = counts
    return item


def _until_written(write: Callable[[], None], mark: str | None = None) -> bool:
    """Run `write` (reads, then one conditional transaction) again while a condition refuses it: a
    fact or a day was written meanwhile, so it reads them again. False when the event `mark` refused
    it: the event was counted already."""
    for attempt in range(ATTEMPTS):
        try:
            write()
            return True
        except conditional.Refused as refused:
            if mark is not None and refused.on(mark, MARK_SK):
                return False
            time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))  # racers spread out (full jitter)
    raise conditional.Refused(set())


def record(h: domain.Happening, tz: str | None = None) -> bool:
    """Count `h` once. Returns False when it was already counted (a duplicate delivery)."""
    zone = tz or _host_timezone(h.host_id)
    return _until_written(lambda: _count(h, zone), mark=mark_pk(h.event_id))


def _count(h: domain.Happening, zone: str) -> None:
    hpk = host_pk(h.host_id)
    player_sk = f"PLAYER#{h.player_id}"
    session_sk = f"SESSION#{h.session_id}"
    repeat = domain.needs_player_fact(h) and _exists(hpk, player_sk)
    first = domain.needs_session_fact(h) and not _exists(hpk, session_sk)
    month = h.at.astimezone(UTC).strftime("%Y-%m")
    newly_active = h.kind == "booking.confirmed" and not _exists(active_pk(month), h.host_id)
    counts = domain.contributions(h, repeat=repeat, first_of_session=first)
    platform = _platform(counts)
    day = _day_plus(h.host_id, domain.day_of(h.at, zone).isoformat(), counts) if counts else None
    utc_day = domain.day_of(h.at, "UTC").isoformat()
    now = clock.now()

    def build(tx: TransactWrite) -> None:
        tx.save(
            EventMarkItem(mark_pk(h.event_id), MARK_SK, event_kind=h.kind, expires_at=now + MARK_TTL),
            condition=EventMarkItem.PK.does_not_exist(),
        )
        if day is not None:
            tx.save(day)  # conditional on its version (VersionedItem)
        _add(tx, hpk, TOTAL_SK, counts)
        if domain.needs_player_fact(h) and not repeat:
            tx.save(SeenItem(hpk, player_sk), condition=SeenItem.PK.does_not_exist())
        if first:
            tx.save(SeenItem(hpk, session_sk), condition=SeenItem.PK.does_not_exist())
        if newly_active:
            tx.save(SeenItem(active_pk(month), h.host_id), condition=SeenItem.PK.does_not_exist())
            platform["active_hosts"] = 1
        _add(tx, platform_pk(_shard(h.event_id)), day_sk(utc_day), platform)

    conditional.run(build)


# Reading


def _numbers(item: dict[str, Any]) -> dict[str, int]:
    return {k: int(v["N"]) for k, v in item.items() if k not in RAW_KEYS and "N" in v}


def _query_days(pk: str, start: date, end: date, **extra: Any) -> Iterator[tuple[date, dict[str, Any]]]:
    """(day, raw item) of the partition's day items `start`..`end`: one Query, paged past 1 MB."""
    request: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":pk": {"S": pk},
            ":lo": {"S": day_sk(start.isoformat())},
            ":hi": {"S": day_sk(end.isoformat())},
        },
        **extra,
    }
    while True:
        page = _client().query(**request)
        for item in page.get("Items", []):
            yield date.fromisoformat(item["SK"]["S"].removeprefix("DAY#")), item
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def day_counters(host_id: str, start: date, end: date) -> dict[date, dict[str, int]]:
    """The host's counters per host-local day, `start`..`end` inclusive: one Query of two attributes
    an item, however many counters a day holds."""
    days = _query_days(
        host_pk(host_id), start, end, ProjectionExpression="SK, #c", ExpressionAttributeNames={"#c": "counts"}
    )
    return {day: counts for day, item in days if (counts := json.loads(item["counts"]["S"]))}


def host_totals(host_id: str) -> dict[str, int]:
    """The host's counters since the start (one GetItem)."""
    found = (
        _client()
        .get_item(TableName=get_settings().table_name, Key={"PK": {"S": host_pk(host_id)}, "SK": {"S": TOTAL_SK}})
        .get("Item")
    )
    return _numbers(found) if found else {}


def _range(query: schemas.AnalyticsQuery, zone: str) -> tuple[date, date]:
    end = query.to or domain.day_of(clock.now(), zone)
    start = query.from_ or end - timedelta(days=29)
    try:
        domain.check_range(start, end)
    except ValueError as exc:
        raise ValidationFailed(f"The period is not valid: {exc}.", errors=[FieldError("from", str(exc))]) from None
    return start, end


def _amounts(c: dict[str, int], prefix: str) -> list[schemas.Amount]:
    return [schemas.Amount(amount=v, currency=k) for k, v in sorted(domain.by_prefix(c, prefix).items())]


def _figures(c: dict[str, int]) -> schemas.Figures:
    g = c.get
    return schemas.Figures(
        bookings=g("bookings", 0),
        seats_sold=g("seats_sold", 0),
        fill_rate=domain.fill_rate(c),
        sessions_run=g("sessions_run", 0),
        completed=g("completed", 0),
        revenue=_amounts(c, domain.REVENUE),
        refunds=_amounts(c, domain.REFUNDS),
        cancellations=schemas.Cancellations(
            by_player=g("cancelled_by_player", 0),
            by_host=g("cancelled_by_host", 0),
            by_system=g("cancelled_by_system", 0),
        ),
        no_shows=g("no_shows", 0),
        declined=g("declined", 0),
        new_players=g("new_players", 0),
        repeat_bookings=g("repeat_bookings", 0),
        waitlist_conversions=g("waitlist_conversions", 0),
    )


def host_analytics(principal: Principal, query: schemas.AnalyticsQuery) -> schemas.AnalyticsOut:
    require_role(principal, "host")
    zone = _host_timezone(principal.user_id)
    start, end = _range(query, zone)
    days = day_counters(principal.user_id, start, end)
    total: dict[str, int] = {}
    for counts in days.values():
        domain.add(total, counts)
    periods = domain.roll_up(days, query.granularity, start, end)
    return schemas.AnalyticsOut(
        host_id=principal.user_id,
        timezone=zone,
        from_=start.isoformat(),
        to=end.isoformat(),
        granularity=query.granularity,
        periods=[schemas.Period(start=d.isoformat(), **_figures(c).model_dump()) for d, c in periods.items()],
        totals=_figures(total),
        top_listings=[
            schemas.TopListing(listing_id=lid, bookings=b, seats_sold=s) for lid, b, s in domain.top_listings(total)
        ],
    )


def host_analytics_csv(principal: Principal, query: schemas.AnalyticsQuery) -> str:
    """The same figures, one row per period, money per currency in its own columns."""
    out = host_analytics(principal, query)
    currencies = sorted({a.currency for p in out.periods for a in (*p.revenue, *p.refunds)})
    head = [
        "period_start",
        "bookings",
        "seats_sold",
        "fill_rate",
        "sessions_run",
        "completed",
        *[f"revenue_{c}" for c in currencies],
        *[f"refunds_{c}" for c in currencies],
        "cancelled_by_player",
        "cancelled_by_host",
        "cancelled_by_system",
        "no_shows",
        "declined",
        "new_players",
        "repeat_bookings",
        "waitlist_conversions",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(head)
    for p in out.periods:
        revenue = {a.currency: a.amount for a in p.revenue}
        refunds = {a.currency: a.amount for a in p.refunds}
        writer.writerow(
            [
                p.start,
                p.bookings,
                p.seats_sold,
                "" if p.fill_rate is None else p.fill_rate,
                p.sessions_run,
                p.completed,
                *[revenue.get(c, 0) for c in currencies],
                *[refunds.get(c, 0) for c in currencies],
                p.cancellations.by_player,
                p.cancellations.by_host,
                p.cancellations.by_system,
                p.no_shows,
                p.declined,
                p.new_players,
                p.repeat_bookings,
                p.waitlist_conversions,
            ]
        )
    return buffer.getvalue()


def platform_days(start: date, end: date) -> dict[str, int]:
    """Platform counters summed over UTC days `start`..`end`: one Query per shard (8)."""
    total: dict[str, int] = {}
    for shard in range(SHARDS):
        for _, item in _query_days(platform_pk(shard), start, end):
            domain.add(total, _numbers(item))
    return total


def admin_metrics(
    principal: Principal, days: int, *, review_stats: dict[str, int], reported_messages: int
) -> schemas.AdminMetrics:
    """The platform overview from analytics' counters, with the totals the packages above keep
    (reviews' `stats()`, chat's reported messages), which the dashboards hand in."""
    require_admin(principal)
    end = clock.now().date()
    start = end - timedelta(days=days - 1)
    c = platform_days(start, end)
    month_start = end.replace(day=1)
    active = platform_days(month_start, end).get("active_hosts", 0)
    return schemas.AdminMetrics(
        from_=start.isoformat(),
        to=end.isoformat(),
        bookings=c.get("bookings", 0),
        seats_sold=c.get("seats_sold", 0),
        revenue=_amounts(c, domain.REVENUE),
        refunds=_amounts(c, domain.REFUNDS),
        cancellations=schemas.Cancellations(
            by_player=c.get("cancelled_by_player", 0),
            by_host=c.get("cancelled_by_host", 0),
            by_system=c.get("cancelled_by_system", 0),
        ),
        disputes=c.get("disputes", 0),
        active_hosts_this_month=active,
        reviews_written=review_stats["reviews"],
        reported_reviews=review_stats["reports"],
        hidden_reviews=review_stats["hidden"],
        reported_messages=reported_messages,
    )


def record_history(host_id: str, happenings: Iterable[domain.Happening], tz: str, batch_id: str) -> bool:
    """Count a batch of past events of one host at once (the local stack's demo history): recounted in
    memory, then one transaction per day (its counters and the totals; the platform's day). Once per
    `batch_id`; returns False when the batch was already counted."""
    mark = mark_pk(f"history#{host_id}#{batch_id}")
    if _exists(mark, MARK_SK):
        return False
    for day, counts in sorted(domain.recount(happenings, tz).items()):
        _until_written(partial(_count_day, host_id, day, counts, f"{batch_id}#{day}"))
    EventMarkItem(mark, MARK_SK, event_kind="history", expires_at=clock.now() + MARK_TTL).save()
    return True


def _count_day(host_id: str, day: date, counts: dict[str, int], shard_key: str) -> None:
    """Add a whole day's counters: the host's day, its totals and the platform's day."""
    item = _day_plus(host_id, day.isoformat(), counts)
    platform = _platform(counts)

    def build(tx: TransactWrite) -> None:
        tx.save(item)
        _add(tx, host_pk(host_id), TOTAL_SK, counts)
        _add(tx, platform_pk(_shard(shard_key)), day_sk(day.isoformat()), platform)

    conditional.run(build)


def at_noon(day: date, tz: str) -> datetime:
    """Noon of a host-local day, as an aware UTC time (seed and bench)."""
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tz)).astimezone(UTC)
