"""Discovery use cases: GET /v1/sessions and GET /v1/listings (see search.py for how they read).

Orders, with nothing lost or repeated across pages:
- sessions by start: (starts_at, session id)
- sessions by price: (price in the currency, listing id, starts_at, session id)
- listings by start: (their first matching session's starts_at, its id)
- listings by price: (price in the currency, listing id)
- sessions and listings by rating: (the listing's rank: average then count, best first; listing id; start)
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.accounts import service as accounts
from chalicelib.catalog import domain, views
from chalicelib.catalog import search_plan as plan
from chalicelib.catalog import search_schemas as sch
from chalicelib.catalog.models import ListingItem, SessionItem, listing_sessions_pk
from chalicelib.catalog.schemas import HostSummary, ListingCard, Rating
from chalicelib.catalog.search import (
    Budget,
    Loaded,
    Spent,
    choose_facet,
    entries,
    parallel,
    query_page,
    session_ok,
    text,
)
from chalicelib.core import clock
from chalicelib.core.pagination import decode_cursor, encode_cursor

LISTINGS_PER_ROUND = 6  # listings whose sessions are read in parallel in the price order


@dataclass(frozen=True)
class Hit:
    position: str
    session: SessionItem
    listing: ListingItem


def to_filters(query: sch.SearchFilters) -> plan.Filters:
    now = clock.now()
    near = tuple(float(x) for x in query.near.split(",")) if query.near else None
    return plan.Filters(
        starts_after=max(query.starts_after or now, now),  # only sessions that have not started
        starts_before=query.starts_before,
        category=query.category,
        tags=tuple(query.tags.split(",")) if query.tags else (),
        game_system=query.game_system,
        tool=query.tool,
        language=domain.primary_language(query.language) if query.language else None,
        level=query.experience_level,
        currency=query.currency,
        price_min=query.price_min,
        price_max=query.price_max,
        has_free_seats=query.has_free_seats,
        mode=query.mode,
        near=(near[0], near[1]) if near else None,
        radius_km=query.radius_km,
        host=query.host,
        words=tuple(domain.words(query.q, limit=None)) if query.q else (),
        sort=query.sort,
        min_rating=query.min_rating,
    )


def _window(filters: plan.Filters) -> tuple[str, str]:
    high = plan.time_key(filters.starts_before) if filters.starts_before else plan.END
    return plan.time_key(filters.starts_after), high


# Sessions in start order


def scan_by_start(
    filters: plan.Filters,
    after: str | None,
    want: int,
    budget: Budget,
    loaded: Loaded,
    prepare: Callable[[list[Hit]], None] | None = None,
    accept: Callable[[Hit], bool] | None = None,
) -> tuple[list[Hit], str | None]:
    """Up to `want` hits after position `after`, and the position to go on from (None: no more)."""
    low, high = _window(filters)
    hits: list[Hit] = []
    pending: list[tuple[str, dict[str, Any] | None]] = []  # examined entries, None when filtered out
    position = after

    def flush() -> bool:
        nonlocal position
        wanted = [e for _, e in pending if e is not None]
        loaded.fetch(budget, (text(e, "session_id") for e in wanted), (text(e, "listing_id") for e in wanted))
        found = {sk: _hit(filters, loaded, sk, e) for sk, e in pending if e is not None}
        if prepare is not None:
            prepare([h for h in found.values() if h is not None])
        for sk, _ in pending:
            position = sk
            hit = found.get(sk)
            if hit is not None and (accept is None or accept(hit)):
                hits.append(hit)
                if len(hits) == want:
                    break
        pending.clear()
        return len(hits) == want

    page = min(200, max(25, 2 * want))
    try:
        chosen, bucket_ids = choose_facet(budget, filters)
        streams = [entries(budget, key, bucket_ids[key], low, high, after, page) for key in chosen.keys]
        stream = streams[0] if len(streams) == 1 else _merge(streams)
        for entry in stream:
            sk = text(entry, "SK")
            facets = plan.Facets.from_json(json.loads(text(entry, "facets")))
            pending.append((sk, entry if plan.facets_match(filters, facets) else None))
            candidates = sum(1 for _, e in pending if e is not None)
            if (candidates >= want - len(hits) + 5 or len(pending) >= 4 * page) and flush():
                return hits, position
        return hits, position if flush() else None
    except Spent:
        for sk, e in pending:  # what was filtered out needs no more reads: move past it
            if e is not None:
                break
            position = sk
        return hits, position


def _merge(streams: list[Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    return heapq.merge(*streams, key=lambda e: text(e, "SK"))


def _hit(filters: plan.Filters, loaded: Loaded, sk: str, entry: dict[str, Any]) -> Hit | None:
    session = loaded.sessions.get(text(entry, "session_id"))
    listing_id = text(entry, "listing_id")
    if session is None or not session_ok(filters, session) or not loaded.listing_ok(filters, listing_id):
        return None
    if plan.position(session.starts_at, session.session_id) != sk:
        return None  # the session moved: its entry at the new time counts
    return Hit(sk, session, loaded.listings[listing_id])


# Sessions and listings in price order


Position = tuple[str, SessionItem | None]  # a session's place in start order; None when it does not match


def _listing_sessions(
    filters: plan.Filters, budget: Budget, listing_id: str, after: str | None, page: int
) -> Iterator[Position]:
    """A listing's sessions in the window after position `after` (one GSI1 Query per page)."""
    low, high = _window(filters)
    resume: dict[str, Any] | None = None
    while True:
        items, resume = query_page(
            budget, listing_sessions_pk(listing_id), max(low, after or ""), high, after=resume, limit=page, index="GSI1"
        )
        for raw in items:
            session = SessionItem.from_raw_data(raw)
            sk = plan.position(session.starts_at, session.session_id)
            if after is None or sk > after:
                yield sk, (session if session_ok(filters, session) else None)
        if resume is None:
            return


def _started(stream: Iterator[Position]) -> Iterator[Position]:
    """Read `stream` up to its first match now (in a worker thread); the rest is read lazily later."""
    head: list[Position] = []
    for item in stream:
        head.append(item)
        if item[1] is not None:
            break
    return itertools.chain(head, stream)


def scan_by_price(
    filters: plan.Filters, after: dict[str, Any] | None, want: int, budget: Budget, loaded: Loaded, *, first_only: bool
) -> tuple[list[Hit], dict[str, Any] | None]:
    """Listings in price order with their matching sessions (all of them, or only the first).

    The cursor is {"l": listing entry key, "s": the session it stopped after, or None when that
    listing is done}."""
    assert filters.currency is not None
    candidate = plan.candidates(filters)[0]  # listing entries have no counts: the prior decides
    stopped_at, within = (after["l"], after.get("s")) if after else (None, None)
    keys = [plan.listing_index_pk(k, filters.currency) for k in candidate.keys]
    streams = [_price_entries(budget, pk, stopped_at or "0") for pk in keys]
    stream = streams[0] if len(streams) == 1 else _merge(streams)
    page = 25 if first_only else min(100, want + 1)
    hits: list[Hit] = []
    position = after
    try:
        while chunk := list(itertools.islice(stream, LISTINGS_PER_ROUND)):
            loaded.fetch(budget, (), (text(e, "listing_id") for e in chunk))
            todo: list[tuple[str, ListingItem, str | None]] = []
            for entry in chunk:
                lsk = text(entry, "SK")
                resume = within if lsk == stopped_at else None
                if lsk == stopped_at and (first_only or within is None):
                    continue  # finished on an earlier page
                if _priced_listing_ok(filters, loaded, entry):
                    todo.append((lsk, loaded.listings[text(entry, "listing_id")], resume))
            sessions = parallel(
                lambda t: _started(_listing_sessions(filters, budget, t[1].listing_id, t[2], page)), todo
            )
            for (lsk, listing, _), found in zip(todo, sessions, strict=True):
                for sk, session in found:
                    if session is None:
                        continue
                    hits.append(Hit(sk, session, listing))
                    position = {"l": lsk, "s": sk}
                    if first_only:
                        break
                    if len(hits) == want:
                        return hits, position
                position = {"l": lsk, "s": None}
                if len(hits) == want:
                    return hits, position
            position = {"l": text(chunk[-1], "SK"), "s": None}
        return hits, None
    except Spent:
        return hits, position


def _price_entries(budget: Budget, pk: str, start: str) -> Iterator[dict[str, Any]]:
    resume: dict[str, Any] | None = None
    while True:
        items, resume = query_page(budget, pk, start, plan.END, after=resume, limit=50)
        yield from items
        if resume is None:
            return


def _priced_listing_ok(filters: plan.Filters, loaded: Loaded, entry: dict[str, Any]) -> bool:
    listing_id = text(entry, "listing_id")
    if not loaded.listing_ok(filters, listing_id):
        return False
    assert filters.currency is not None
    expected = plan.price_in(loaded.facets[listing_id], filters.currency)
    return expected is not None and plan.price_key(expected, listing_id) == text(entry, "SK")


def scan_by_rating(
    filters: plan.Filters, after: dict[str, Any] | None, want: int, budget: Budget, loaded: Loaded, *, first_only: bool
) -> tuple[list[Hit], dict[str, Any] | None]:
    """Rated listings, best first (the reviews package keeps their order), with their matching
    sessions (all, or only the first). Cursor: {"l": rank key of the listing, "s": session or None}."""
    from chalicelib.reviews import service as reviews

    stopped_at, within = (after["l"], after.get("s")) if after else (None, None)
    page = 25 if first_only else min(100, want + 1)
    hits: list[Hit] = []
    position = after
    resume: dict[str, Any] | None = None
    try:
        while True:
            budget.spend()
            chunk, resume = reviews.rated_listings(stopped_at or "0", LISTINGS_PER_ROUND, resume)
            loaded.fetch(budget, (), (lid for _, lid in chunk))
            todo: list[tuple[str, ListingItem, str | None]] = []
            for rank, lid in chunk:
                if rank == stopped_at and (first_only or within is None):
                    continue  # finished on an earlier page
                if loaded.listing_ok(filters, lid):
                    todo.append((rank, loaded.listings[lid], within if rank == stopped_at else None))
            sessions = parallel(
                lambda t: _started(_listing_sessions(filters, budget, t[1].listing_id, t[2], page)), todo
            )
            for (rank, listing, _), found in zip(todo, sessions, strict=True):
                for sk, session in found:
                    if session is None:
                        continue
                    hits.append(Hit(sk, session, listing))
                    position = {"l": rank, "s": sk}
                    if first_only or len(hits) == want:
                        break
                if len(hits) == want and not first_only:
                    return hits, position
                position = {"l": rank, "s": None}
                if len(hits) == want:
                    return hits, position
            if chunk:
                position = {"l": chunk[-1][0], "s": None}
            if resume is None:
                return hits, None
    except Spent:
        return hits, position


# Listings in start order: each at its first matching session


class FirstSessions:
    """Keeps a listing only at its first matching session, across pages."""

    def __init__(self, filters: plan.Filters, before: str | None, budget: Budget) -> None:
        self.filters, self.before, self.budget = filters, before, budget
        self.seen: set[str] = set()
        self.earlier: set[str] = set()

    def prepare(self, hits: list[Hit]) -> None:
        if self.before is None:
            return
        fresh = list(dict.fromkeys(h.listing.listing_id for h in hits if h.listing.listing_id not in self.seen))
        shown = parallel(self._shown_before, fresh)
        self.earlier |= {lid for lid, yes in zip(fresh, shown, strict=True) if yes}

    def _shown_before(self, listing_id: str) -> bool:
        for sk, session in _listing_sessions(self.filters, self.budget, listing_id, None, 50):
            if self.before is not None and sk > self.before:
                return False
            if session is not None:
                return True
        return False

    def accept(self, hit: Hit) -> bool:
        lid = hit.listing.listing_id
        if lid in self.seen or lid in self.earlier:
            return False
        self.seen.add(lid)
        return True


# The routes' use cases


def _hosts(hits: list[Hit]) -> dict[str, HostSummary]:
    found = accounts.host_summaries(h.listing.host_id for h in hits)
    return {k: HostSummary.model_validate(v.model_dump()) for k, v in found.items()}


def _loaded(filters: plan.Filters) -> Loaded:
    """Listings' ratings are read with them only when the search filters by rating."""
    return Loaded(ratings={} if filters.min_rating is not None else None)


def _ratings(hits: list[Hit]) -> dict[str, Rating]:
    from chalicelib.reviews import service as reviews

    found = reviews.ratings_of(h.listing.listing_id for h in hits) if hits else {}
    return {lid: Rating(average=r.average, count=r.count) for lid, r in found.items()}


def _card(listing: ListingItem, currency: str | None, ratings: dict[str, Rating]) -> ListingCard:
    return views.listing_card(listing, currency).model_copy(update={"rating": ratings.get(listing.listing_id)})


def _params(query: sch.SearchQuery) -> dict[str, Any]:
    return query.model_dump(mode="json", exclude_unset=True)


def search_sessions(query: sch.SearchQuery) -> sch.SessionPage:
    filters = to_filters(query)
    scope = plan.scope("sessions", _params(query))
    raw = decode_cursor(query.cursor, scope)
    budget = Budget.per_listing(query.limit) if filters.sort in ("price", "rating") else Budget()
    loaded = _loaded(filters)
    cursor: dict[str, Any] | None
    if filters.sort == "price":
        hits, cursor = scan_by_price(filters, raw, query.limit, budget, loaded, first_only=False)
    elif filters.sort == "rating":
        hits, cursor = scan_by_rating(filters, raw, query.limit, budget, loaded, first_only=False)
    else:
        hits, position = scan_by_start(filters, raw["p"] if raw else None, query.limit, budget, loaded)
        cursor = {"p": position} if position else None
    hosts, ratings = _hosts(hits), _ratings(hits)
    items = [
        sch.SessionCard(
            **views.session_brief(h.session, query.tz).model_dump(),
            listing=_card(h.listing, filters.currency, ratings),
            host=hosts.get(h.listing.host_id),
        )
        for h in hits
    ]
    return sch.SessionPage(items=items, next_cursor=encode_cursor(cursor, scope))


def search_listings(query: sch.SearchQuery) -> sch.ListingPage:
    filters = to_filters(query)
    scope = plan.scope("listings", _params(query))
    raw = decode_cursor(query.cursor, scope)
    budget, loaded = Budget.per_listing(query.limit), _loaded(filters)
    cursor: dict[str, Any] | None
    if filters.sort in ("price", "rating"):
        scan = scan_by_price if filters.sort == "price" else scan_by_rating
        hits, cursor = scan(filters, raw, query.limit, budget, loaded, first_only=True)
        if cursor is not None:
            cursor = {"l": cursor["l"]}
    else:
        before = raw["p"] if raw else None
        firsts = FirstSessions(filters, before, budget)
        hits, position = scan_by_start(filters, before, query.limit, budget, loaded, firsts.prepare, firsts.accept)
        cursor = {"p": position} if position else None
    hosts, ratings = _hosts(hits), _ratings(hits)
    items = [
        sch.ListingResult(
            listing=_card(h.listing, filters.currency, ratings),
            host=hosts.get(h.listing.host_id),
            next_session=views.session_brief(h.session, query.tz),
        )
        for h in hits
    ]
    return sch.ListingPage(items=items, next_cursor=encode_cursor(cursor, scope))
