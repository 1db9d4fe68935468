"""Search correctness as a property: for random catalogs and random filter mixes, paging through
GET /v1/sessions and GET /v1/listings with small limits gives exactly a brute-force filter of the
same data, in order, without duplicates. The brute force below is written from the API's promise,
not from the planner's code."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from urllib.parse import urlencode

import boto3
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.api.catalog_helpers import NOW, make_host

PLACES = {"berlin": (52.52, 13.405), "potsdam": (52.39, 13.06), "lisbon": (38.72, -9.14)}
WORDS = ["dragon", "manor", "jazz", "drums", "night"]
TAGS = ["horror", "funk", "heist"]
CATEGORIES = {
    "one_shot": ("dnd_5e", "roll20"),
    "campaign": ("call_of_cthulhu", "discord"),
    "studio_time": (None, "pro_tools"),
}


def _fresh_table() -> None:
    from chalicelib.core.settings import get_settings
    from devstack.table import create_table

    client = boto3.client("dynamodb", region_name=get_settings().aws_region)
    client.delete_table(TableName=get_settings().table_name)
    create_table(client, get_settings().table_name)


listing_specs = st.fixed_dictionaries(
    {
        "host": st.integers(0, 1),
        "category": st.sampled_from(sorted(CATEGORIES)),
        "title": st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True),
        "tags": st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
        "languages": st.lists(st.sampled_from(["en", "de"]), min_size=1, max_size=2, unique=True),
        "level": st.sampled_from(["any", "beginner", "experienced"]),
        "price": st.tuples(st.sampled_from(["usd", "eur"]), st.sampled_from([0, 500, 1500])),
        "regional": st.booleans(),
        "place": st.sampled_from([None, None, "berlin", "potsdam", "lisbon"]),
        "published": st.sampled_from([True, True, True, False]),
        "first_day": st.integers(1, 20),
        "hour": st.integers(8, 20),
        "count": st.integers(1, 4),
        "capacity": st.integers(1, 3),
        "full": st.lists(st.integers(0, 3), max_size=2),
        "cancel": st.lists(st.integers(0, 3), max_size=1),
    }
)

QUERY_VALUES = {
    "category": st.sampled_from(sorted(CATEGORIES)),
    "tags": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True).map(",".join),
    "tool": st.sampled_from(["roll20", "discord", "pro_tools", "in_person"]),
    "game_system": st.sampled_from(["dnd_5e", "call_of_cthulhu"]),
    "language": st.sampled_from(["en", "de"]),
    "experience_level": st.sampled_from(["beginner", "experienced"]),
    "price": st.tuples(st.sampled_from(["usd", "eur"]), st.sampled_from([0, 500]), st.sampled_from([500, 1500])),
    "has_free_seats": st.just("true"),
    "mode": st.sampled_from(["online", "in_person"]),
    "near": st.tuples(st.sampled_from(["berlin", "lisbon"]), st.sampled_from([10, 50, 100])),
    "host": st.integers(0, 1),
    "q": st.sampled_from(WORDS),
    "starts_after": st.integers(0, 25),
    "starts_before": st.integers(5, 40),
    "sort_price": st.sampled_from(["usd", "eur"]),
}


@st.composite
def queries(draw):
    """A mix of zero to three filters (more would mostly find nothing in a small catalog)."""
    keys = draw(st.lists(st.sampled_from(sorted(QUERY_VALUES)), max_size=3, unique=True))
    return {key: draw(QUERY_VALUES[key]) for key in keys}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2, dl = math.radians(a[0]), math.radians(b[0]), math.radians(b[1] - a[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(h))


def _build(api, token_for, specs):
    hosts = [make_host(api, token_for), make_host(api, token_for)]
    listings, sessions = [], []
    for spec in specs:
        token, _ = hosts[spec["host"]]
        system, tool = CATEGORIES[spec["category"]]
        currency, amount = spec["price"]
        other = "eur" if currency == "usd" else "usd"
        body = {
            "title": " ".join(spec["title"]) + " session",
            "category": spec["category"],
            "tags": spec["tags"],
            "game_system": system,
            "tool": "in_person" if spec["place"] else tool,
            "languages": spec["languages"],
            "experience_level": spec["level"],
            "max_seats": 3,
            "price": {"amount": amount, "currency": currency},
            "regional_prices": [{"amount": amount + 100, "currency": other}] if spec["regional"] else [],
            "timezone": "Europe/Berlin",
            "duration_minutes": 60,
        }
        if spec["place"]:
            lat, lon = PLACES[spec["place"]]
            body["location"] = {"mode": "in_person", "city": spec["place"], "lat": lat, "lon": lon}
        listing = api.post("/v1/listings", token=token, json_body=body).json
        if spec["published"]:
            api.post(f"/v1/listings/{listing['id']}/publish", token=token)
        start = (NOW + timedelta(days=spec["first_day"])).replace(hour=spec["hour"], minute=0)
        created = api.post(
            f"/v1/listings/{listing['id']}/sessions",
            token=token,
            json_body={
                "start": start.strftime("%Y-%m-%dT%H:%M:%S"),
                "capacity": spec["capacity"],
                "recurrence": {"frequency": "weekly", "count": spec["count"]},
            },
        )
        if created.status == 409:  # overlaps another listing of the same host: no sessions for this one
            created_items = []
        else:
            assert created.status == 201, created.body
            created_items = created.json["items"]
        for i in spec["full"]:
            if i < len(created_items):
                _fill(created_items[i])
        for i in spec["cancel"]:
            if i < len(created_items):
                assert api.post(f"/v1/sessions/{created_items[i]['id']}/cancel", token=token).status == 200
        stored = api.get(f"/v1/listings/{listing['id']}/sessions?limit=100", token=token).json["items"]
        listings.append({**listing, "published": spec["published"], "place": spec["place"]})
        sessions += [{**s, "listing": listings[-1]} for s in stored]
    return hosts, listings, sessions


def _fill(session):
    from chalicelib.catalog.models import SESSION_SK, SessionItem, session_pk

    stored = SessionItem.get(session_pk(session["id"]), SESSION_SK)
    stored.update(actions=[SessionItem.seats_booked.set(int(stored.capacity))])
    session["seats_booked"] = int(stored.capacity)


def _price(listing, currency):
    prices = {listing["price"]["currency"]: listing["price"]["amount"]}
    prices.update({p["currency"]: p["amount"] for p in listing["regional_prices"]})
    return prices.get(currency)


def _wire(query, hosts):
    """The query as GET parameters, and the same as plain values for the brute force."""
    params, want = {}, dict(query)
    for key in (
        "category",
        "tags",
        "tool",
        "game_system",
        "language",
        "experience_level",
        "has_free_seats",
        "mode",
        "q",
    ):
        if key in query:
            params[key] = query[key]
    if "price" in query:
        currency, low, high = query["price"]
        params.update(currency=currency, price_min=low, price_max=high)
    if "near" in query and query.get("mode") != "online":
        place, radius = query["near"]
        lat, lon = PLACES[place]
        params.update(near=f"{lat},{lon}", radius_km=radius)
    else:
        want.pop("near", None)
    if "host" in query:
        params["host"] = want["host"] = hosts[query["host"]][1]
    after = NOW + timedelta(days=query.get("starts_after", 0))
    before = NOW + timedelta(days=query["starts_before"]) if "starts_before" in query else None
    if before is not None and before <= after:
        before = None
        want.pop("starts_before")
    if "starts_after" in query:
        params["starts_after"] = after.strftime("%Y-%m-%dT%H:%M:%SZ")
    if before is not None:
        params["starts_before"] = before.strftime("%Y-%m-%dT%H:%M:%SZ")
    if "sort_price" in query:
        if "price" in query and query["price"][0] != query["sort_price"]:
            want.pop("sort_price")
        else:
            params.update(sort="price", currency=query["sort_price"])
    return params, want, after, before


def _brute(sessions, want, after, before):
    currency = want["price"][0] if "price" in want else want.get("sort_price")
    out = []
    for s in sessions:
        lst = s["listing"]
        start = datetime.fromisoformat(s["starts_at"].replace("Z", "+00:00"))
        checks = [
            lst["published"],
            s["state"] == "scheduled",
            start >= after,
            before is None or start < before,
            want.get("category", lst["category"]) == lst["category"],
            set(want.get("tags", "").split(",") if "tags" in want else []) <= set(lst["tags"]),
            want.get("tool", lst["tool"]) == lst["tool"],
            want.get("game_system", lst["game_system"]) == lst["game_system"],
            "language" not in want or want["language"] in lst["languages"],
            "experience_level" not in want or lst["experience_level"] in ("any", want["experience_level"]),
            "has_free_seats" not in want or s["capacity"] - s["seats_booked"] - s["seats_held"] > 0,
            "mode" not in want or lst["location"]["mode"] == want["mode"],
            "host" not in want or lst["host_id"] == want["host"],
            "q" not in want or want["q"] in lst["title"].split(),
            currency is None or _price(lst, currency) is not None,
        ]
        if "price" in want and _price(lst, currency) is not None:
            checks.append(want["price"][1] <= _price(lst, currency) <= want["price"][2])
        if "near" in want:
            place, radius = want["near"]
            checks.append(lst["place"] is not None and _km(PLACES[place], PLACES[lst["place"]]) <= radius)
        if all(checks):
            out.append((s, _price(lst, currency) if currency else None))
    if "sort_price" in want:
        out.sort(key=lambda x: (x[1], x[0]["listing"]["id"], x[0]["starts_at"], x[0]["id"]))
    else:
        out.sort(key=lambda x: (x[0]["starts_at"], x[0]["id"]))
    return [s for s, _ in out]


def _pages(api, path, params, limit):
    got, cursor, pages = [], None, 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(f"{path}?{urlencode(query)}")
        assert response.status == 200, (path, query, response.body)
        got += response.json["items"]
        cursor = response.json["next_cursor"]
        pages += 1
        assert pages < 60
        if cursor is None:
            return got


# No shrinking: each example builds a catalog on moto, and ids are random ULIDs, so a shrink would be
# slow and flaky; a failure is reported with the example that found it.
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
@given(data=st.data())
def test_paged_search_equals_a_brute_force_filter(api, token_for, data):
    from chalicelib.core import clock

    _fresh_table()
    clock.freeze(NOW)
    specs = data.draw(st.lists(listing_specs, min_size=2, max_size=5), label="listings")
    hosts, _, sessions = _build(api, token_for, specs)
    for _ in range(4):
        query = data.draw(queries(), label="query")
        limit = data.draw(st.integers(1, 3), label="limit")
        params, want, after, before = _wire(query, hosts)
        expected = _brute(sessions, want, max(after, NOW), before)
        got = _pages(api, "/v1/sessions", params, limit)
        assert [s["id"] for s in got] == [s["id"] for s in expected], params
        firsts: dict[str, str] = {}
        for s in expected:
            firsts.setdefault(s["listing"]["id"], s["id"])
        if "sort_price" not in want:
            expected_listings = list(firsts)
        else:
            expected_listings = sorted(
                firsts,
                key=lambda lid: (
                    _price(next(s["listing"] for s in expected if s["listing"]["id"] == lid), want["sort_price"]),
                    lid,
                ),
            )
        got_listings = _pages(api, "/v1/listings", params, limit)
        assert [r["listing"]["id"] for r in got_listings] == expected_listings, params
        assert [r["next_session"]["id"] for r in got_listings] == [firsts[lid] for lid in expected_listings]
