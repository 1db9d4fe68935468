"""Search planning as pure functions: which index partitions a listing's sessions live in, which of
them a search reads, and the filters applied to what it reads. No AWS (see search.py for that).

Index (details in docs/ACCESS_PATTERNS.md, "Catalog"): every upcoming session of a published listing
has one entry per *facet* of its listing: `all`, `cat:<category>`, `sys:<game system>`,
`tool:<tool>`, `host:<user>`, `tag:<tag>`, `lang:<language>`, `word:<title word>`, and for in-person
listings `g3:<geohash>` and `g4:<geohash>`. An entry's partition is the facet plus a time bucket
(a day for `all`, a month for the others); its sort key is `<starts_at>#<session id>`, so a
partition reads in start order. A search reads the partitions of ONE facet (the most selective one
its filters name; a radius search reads the union of the cells covering the circle) and applies
every other filter to the entries it reads: the cost follows the results, not the table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.catalog import geo

ALL = "all"
END = "~"  # sorts after every time-led key
# Static prior of how selective a facet is, used to pick which few candidates to count.
_RANK = {"host": 1, "word": 2, "tag": 3, "g4": 4, "sys": 5, "g3": 6, "tool": 7, "cat": 8, "lang": 9, ALL: 99}
COUNTED_CANDIDATES = 3


@dataclass(frozen=True)
class Facets:
    """A listing's searchable attributes (the same for each of its sessions). Stored on entries."""

    listing_id: str
    host_id: str
    category: str
    game_system: str | None = None
    tool: str | None = None
    tags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # primary subtags: "de" for "de-AT"
    level: str = "any"
    mode: str = "online"
    lat: float | None = None
    lon: float | None = None
    prices: Mapping[str, int] = field(default_factory=dict)  # currency → amount, default and regional
    words: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["prices"] = dict(self.prices)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Facets:
        values: dict[str, Any] = dict(data)
        for name in ("tags", "languages", "words"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


@dataclass(frozen=True)
class Filters:
    """A search, normalised (see search_schemas.SearchQuery for the wire form)."""

    starts_after: datetime  # inclusive; already clamped to now or later
    starts_before: datetime | None = None  # exclusive
    category: str | None = None
    tags: tuple[str, ...] = ()
    game_system: str | None = None
    tool: str | None = None
    language: str | None = None
    level: str | None = None
    currency: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    has_free_seats: bool = False
    mode: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float = 25.0
    host: str | None = None
    words: tuple[str, ...] = ()
    sort: str = "start"  # start | price | rating
    min_rating: float | None = None


@dataclass(frozen=True)
class Candidate:
    """One way to read a search: the partitions of one facet (several for a radius)."""

    kind: str
    keys: tuple[str, ...]

    @property
    def rank(self) -> int:
        return _RANK[self.kind]


def facet_keys(f: Facets) -> list[str]:
    """Every facet a listing's sessions are indexed under."""
    keys = [ALL, f"cat:{f.category}", f"host:{f.host_id}"]
    keys += [f"sys:{f.game_system}"] if f.game_system else []
    keys += [f"tool:{f.tool}"] if f.tool else []
    keys += [f"tag:{t}" for t in f.tags]
    keys += [f"lang:{lang}" for lang in f.languages]
    keys += [f"word:{w}" for w in f.words]
    if f.mode == "in_person" and f.lat is not None and f.lon is not None:
        keys += [f"g{p}:{geo.encode(f.lat, f.lon, p)}" for p in geo.PRECISIONS]
    return list(dict.fromkeys(keys))


def candidates(filters: Filters) -> list[Candidate]:
    """The facets this search could read, most selective first by prior (at least `all`)."""
    found = [Candidate(ALL, (ALL,))]
    simple = [("cat", filters.category), ("sys", filters.game_system), ("tool", filters.tool)]
    simple += [("host", filters.host), ("lang", filters.language)]
    found += [Candidate(kind, (f"{kind}:{value}",)) for kind, value in simple if value]
    found += [Candidate("tag", (f"tag:{t}",)) for t in filters.tags]
    found += [Candidate("word", (f"word:{w}",)) for w in filters.words]
    if filters.near is not None:
        precision = geo.precision_for(filters.radius_km)
        cells = geo.cover(*filters.near, filters.radius_km, precision)
        found.append(Candidate(f"g{precision}", tuple(f"g{precision}:{c}" for c in cells)))
    return sorted(found, key=lambda c: (c.rank, c.keys))


def choose(options: list[Candidate], counts: Mapping[str, int]) -> Candidate:
    """The option with the fewest entries in the window (counts per facet key), prior rank on ties."""
    return min(options, key=lambda c: (sum(counts.get(k, 0) for k in c.keys), c.rank, c.keys))


def price_in(f: Facets, currency: str) -> int | None:
    return f.prices.get(currency)


def facets_match(filters: Filters, f: Facets) -> bool:
    """The listing-level filters: every one the search names must hold."""
    if filters.category and f.category != filters.category:
        return False
    if filters.game_system and f.game_system != filters.game_system:
        return False
    if filters.tool and f.tool != filters.tool:
        return False
    if filters.host and f.host_id != filters.host:
        return False
    if filters.language and filters.language not in f.languages:
        return False
    if filters.level and f.level not in (filters.level, "any"):
        return False
    if not set(filters.tags) <= set(f.tags) or not set(filters.words) <= set(f.words):
        return False
    if filters.currency and (filters.price_min is not None or filters.price_max is not None or filters.sort == "price"):
        amount = price_in(f, filters.currency)
        if amount is None:
            return False
        if filters.price_min is not None and amount < filters.price_min:
            return False
        if filters.price_max is not None and amount > filters.price_max:
            return False
    if filters.mode and f.mode != filters.mode:
        return False
    if filters.near is not None:
        if f.mode != "in_person" or f.lat is None or f.lon is None:
            return False
        if geo.distance_km(filters.near[0], filters.near[1], f.lat, f.lon) > filters.radius_km:
            return False
    return True


def in_window(filters: Filters, starts_at: datetime) -> bool:
    return starts_at >= filters.starts_after and (filters.starts_before is None or starts_at < filters.starts_before)


# Keys. Times are fixed-width UTC text, so they sort like the times.


def time_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def position(starts_at: datetime, session_id: str) -> str:
    """A session's place in start order: the sort key of its entries."""
    return f"{time_key(starts_at)}#{session_id}"


def bucket(facet: str, starts_at: datetime) -> str:
    """`all` is bucketed by day (it holds every session), the other facets by month."""
    fmt = "%Y-%m-%d" if facet == ALL else "%Y-%m"
    return starts_at.astimezone(UTC).strftime(fmt)


def entry_pk(facet: str, bucket_id: str) -> str:
    return f"SIDX#{facet}#{bucket_id}"


def directory_pk(facet: str) -> str:
    return f"SDIR#{facet}"


def listing_index_pk(facet: str, currency: str) -> str:
    return f"LIDX#{facet}#{currency}"


def price_key(amount: int, listing_id: str) -> str:
    return f"{amount:012d}#{listing_id}"


def scope(route: str, params: Mapping[str, object]) -> str:
    """What a cursor is bound to: the route and the filters as the client sent them (a defaulted
    start, "now", moves between pages and is left out; the position in the cursor is past it)."""
    wanted = {k: v for k, v in params.items() if v not in (None, (), []) and k not in ("cursor", "limit", "tz")}
    digest = hashlib.sha256(json.dumps(wanted, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{route}:{digest}"
