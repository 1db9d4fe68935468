"""Discovery: GET /v1/sessions and GET /v1/listings, each filter, sorting, paging, and the index
following listings and sessions as they change."""

from __future__ import annotations

import pytest

from tests.api.catalog_helpers import add_sessions, create_listing, make_host, publish
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("frozen_clock")

SHORT = {"title": "Spooky manor", "tags": ["horror"], "languages": ["en"], "content_warnings": []}


@pytest.fixture
def catalog(api, token_for):
    """Two hosts, four published listings of both verticals, one draft; sessions in February."""
    gm, gm_id = make_host(api, token_for)
    studio, studio_id = make_host(api, token_for, {"kinds": ["studio"], "headline": "Warm room"})
    horror = create_listing(api, gm, **SHORT, regional_prices=[{"amount": 1400, "currency": "eur"}])
    campaign = create_listing(
        api,
        gm,
        title="Dragon campaign for new players",
        category="campaign",
        tags=["fantasy", "horror"],
        game_system="dnd_5e",
        tool="roll20",
        languages=["de"],
        experience_level="any",
        price={"amount": 0, "currency": "usd"},
        regional_prices=[],
        content_warnings=[],
    )
    room = create_listing(
        api,
        studio,
        title="Live room tracking",
        category="studio_time",
        tags=["tracking"],
        game_system=None,
        tool="in_person",
        languages=["en"],
        price={"amount": 6000, "currency": "eur"},
        regional_prices=[],
        location={"mode": "in_person", "city": "Berlin", "country": "DE", "lat": 52.52, "lon": 13.405},
        content_warnings=[],
        duration_minutes=120,
    )
    far_room = create_listing(
        api,
        studio,
        title="Lisbon live room",
        category="studio_time",
        tags=["tracking"],
        game_system=None,
        tool="in_person",
        languages=["pt"],
        price={"amount": 3000, "currency": "eur"},
        regional_prices=[],
        location={"mode": "in_person", "city": "Lisbon", "country": "PT", "lat": 38.72, "lon": -9.14},
        content_warnings=[],
        duration_minutes=120,
    )
    draft = create_listing(api, gm, **{**SHORT, "title": "Secret draft"})
    for listing, token in ((horror, gm), (campaign, gm), (room, studio), (far_room, studio)):
        publish(api, token, listing["id"])
    ids = {
        "horror": [
            s["id"]
            for s in add_sessions(
                api, gm, horror["id"], start="2026-02-02T19:00:00", recurrence={"frequency": "weekly", "count": 3}
            )["items"]
        ],
        "campaign": [
            s["id"]
            for s in add_sessions(
                api, gm, campaign["id"], start="2026-02-03T19:00:00", recurrence={"frequency": "weekly", "count": 2}
            )["items"]
        ],
        "room": [s["id"] for s in add_sessions(api, studio, room["id"], start="2026-02-04T10:00:00")["items"]],
        "far_room": [s["id"] for s in add_sessions(api, studio, far_room["id"], start="2026-02-05T10:00:00")["items"]],
        "draft": [s["id"] for s in add_sessions(api, gm, draft["id"], start="2026-02-06T19:00:00")["items"]],
    }
    return {
        "gm": gm,
        "gm_id": gm_id,
        "studio": studio,
        "studio_id": studio_id,
        "ids": ids,
        "listings": {"horror": horror, "campaign": campaign, "room": room, "far_room": far_room, "draft": draft},
    }


def _all(api, path):
    """Every page of a search, with limit 2."""
    items, cursor = [], None
    while True:
        url = f"{path}{'&' if '?' in path else '?'}limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(url)
        assert response.status == 200, response.body
        items += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def _ids(api, query):
    return [i["id"] for i in _all(api, f"/v1/sessions?{query}")]


def test_every_filter_of_session_search(api, catalog):
    ids = catalog["ids"]
    horror, campaign = ids["horror"], ids["campaign"]
    everything = sorted([*horror, *campaign, *ids["room"], *ids["far_room"]], key=lambda i: _ids(api, "").index(i))
    assert _ids(api, "") == everything and ids["draft"][0] not in everything
    assert _ids(api, "category=campaign") == campaign
    assert _ids(api, "tags=horror") == [horror[0], campaign[0], horror[1], campaign[1], horror[2]]
    assert _ids(api, "tags=Horror,FANTASY") == campaign
    assert _ids(api, "game_system=dnd_5e") == campaign
    assert _ids(api, "tool=in_person") == [*ids["room"], *ids["far_room"]]
    assert _ids(api, "language=de-AT") == campaign
    assert _ids(api, "experience_level=experienced") == campaign  # "any" welcomes every level
    assert _ids(api, "currency=eur&price_min=1000&price_max=5000") == [horror[0], *ids["far_room"], *horror[1:]]
    assert _ids(api, "currency=usd&price_max=0") == campaign
    assert _ids(api, "mode=online&q=manor") == horror
    assert _ids(api, "q=SPOOKY%20Manor") == horror
    assert _ids(api, "q=spooky%20dragon") == []
    assert _ids(api, "near=52.5,13.4&radius_km=10") == ids["room"]
    assert _ids(api, "near=52.5,13.4&radius_km=100&tags=tracking") == ids["room"]
    assert _ids(api, f"host={catalog['studio_id']}") == [*ids["room"], *ids["far_room"]]
    assert _ids(api, "starts_after=2026-02-08T00:00:00Z&starts_before=2026-02-11T00:00:00Z") == [horror[1], campaign[1]]
    assert _ids(api, "category=one_shot&tool=roll20") == []


def test_results_carry_times_seats_price_and_host(api, catalog):
    page = api.get("/v1/sessions?category=studio_time&tz=America/New_York&currency=eur").json
    first = page["items"][0]
    assert first["starts_at"] == "2026-02-04T09:00:00Z" and first["timezone"] == "Europe/Berlin"
    assert first["local_start"] == "2026-02-04T10:00:00+01:00"
    assert first["viewer_start"] == "2026-02-04T04:00:00-05:00"
    assert first["seats_left"] == 5 and first["listing"]["price"] == {"amount": 6000, "currency": "eur"}
    assert first["host"] == {
        "id": catalog["studio_id"],
        "display_name": first["host"]["display_name"],
        "avatar_url": None,
        "headline": "Warm room",
    }
    horror = api.get("/v1/sessions?q=spooky&currency=eur").json["items"][0]
    assert horror["listing"]["price"] == {"amount": 1400, "currency": "eur"}  # its regional price


def test_sort_by_price(api, catalog):
    ids = catalog["ids"]
    assert _ids(api, "sort=price&currency=eur") == [*ids["horror"], *ids["far_room"], *ids["room"]]
    assert _ids(api, "sort=price&currency=usd") == [*ids["campaign"], *ids["horror"]]
    assert _ids(api, "sort=price&currency=eur&tags=tracking&near=50,10&radius_km=100") == []


def test_default_window_is_upcoming(api, catalog, token_for):
    from chalicelib.core import clock

    clock.advance(24 * 24 * 3600)  # 2026-02-03T12:00Z: the first horror session has passed
    ids = catalog["ids"]
    assert _ids(api, "tags=horror")[0] == ids["campaign"][0]
    assert _ids(api, "tags=horror&starts_after=2026-01-01T00:00:00Z")[0] == ids["campaign"][0]


def test_has_free_seats(api, catalog):
    from chalicelib.catalog.models import SESSION_SK, SessionItem, session_pk

    full = catalog["ids"]["horror"][1]
    SessionItem.get(session_pk(full), SESSION_SK).update(actions=[SessionItem.seats_booked.set(5)])
    assert full in _ids(api, "q=spooky")
    assert _ids(api, "q=spooky&has_free_seats=true") == [catalog["ids"]["horror"][0], catalog["ids"]["horror"][2]]


def test_listing_search_shows_each_listing_once(api, catalog):
    listings = catalog["listings"]
    found = _all(api, "/v1/listings")
    assert [i["listing"]["id"] for i in found] == [
        listings[k]["id"] for k in ("horror", "campaign", "room", "far_room")
    ]
    assert found[0]["next_session"]["id"] == catalog["ids"]["horror"][0]
    assert found[0]["host"]["id"] == catalog["gm_id"]
    by_tag = _all(api, "/v1/listings?tags=horror&starts_after=2026-02-03T00:00:00Z")
    assert [i["listing"]["id"] for i in by_tag] == [listings["campaign"]["id"], listings["horror"]["id"]]
    assert by_tag[1]["next_session"]["id"] == catalog["ids"]["horror"][1]
    by_price = _all(api, "/v1/listings?sort=price&currency=eur")
    assert [i["listing"]["id"] for i in by_price] == [listings[k]["id"] for k in ("horror", "far_room", "room")]


def test_the_index_follows_changes(api, catalog):
    gm, ids, listings = catalog["gm"], catalog["ids"], catalog["listings"]
    horror = listings["horror"]
    # A retagged listing is found by its new tag only.
    api.patch(f"/v1/listings/{horror['id']}", token=gm, json_body={"tags": ["gothic"], "title": "Gothic manor"})
    assert _ids(api, "tags=gothic") == ids["horror"] and _ids(api, "q=spooky") == []
    assert _ids(api, "tags=horror") == ids["campaign"]
    # A moved session is found once, at its new time.
    api.patch(f"/v1/sessions/{ids['horror'][0]}", token=gm, json_body={"start": "2026-02-20T19:00:00"})
    assert _ids(api, "tags=gothic") == [ids["horror"][1], ids["horror"][2], ids["horror"][0]]
    # Cancelled and unpublished sessions disappear; republishing brings them back.
    api.post(f"/v1/sessions/{ids['horror'][1]}/cancel", token=gm)
    assert _ids(api, "tags=gothic") == [ids["horror"][2], ids["horror"][0]]
    api.post(f"/v1/listings/{horror['id']}/unpublish", token=gm)
    assert _ids(api, "tags=gothic") == [] and _ids(api, "sort=price&currency=eur") == [*ids["far_room"], *ids["room"]]
    publish(api, gm, horror["id"])
    assert _ids(api, "tags=gothic") == [ids["horror"][2], ids["horror"][0]]
    # New sessions of a published listing are found at once.
    new = add_sessions(api, gm, horror["id"], start="2026-03-01T19:00:00")["items"][0]["id"]
    assert _ids(api, "tags=gothic")[-1] == new


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("starts_after=2026-03-01T00:00:00Z&starts_before=2026-02-01T00:00:00Z", "starts_before"),
        ("starts_after=2026-03-01T00:00:00", "starts_after"),
        ("category=knitting", "category"),
        ("sort=price", "currency"),
        ("price_min=100", "currency"),
        ("currency=usd&price_min=500&price_max=100", "price_max"),
        ("currency=usd&price_min=-1", "price_min"),
        ("near=somewhere", "near"),
        ("near=95,10", "near"),
        ("near=50,10&mode=online", "near"),
        ("near=50,10&radius_km=500", "radius_km"),
        ("tags=" + ",".join(f"t{i}" for i in range(11)), "tags"),
        ("host=bob", "host"),
        ("language=zz-qq", "language"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("tz=Moon/Base", "tz"),
        ("colour=red", "colour"),
    ],
)
def test_search_validation_names_the_field(api, query, field):
    for path in ("/v1/sessions", "/v1/listings"):
        problem = assert_problem(api.get(f"{path}?{query}"), 422)
        assert field in [e["field"] for e in problem["errors"]], problem["errors"]


def test_a_cursor_belongs_to_its_search(api, catalog):
    first = api.get("/v1/sessions?tags=horror&limit=1").json
    assert first["next_cursor"]
    assert_problem(api.get(f"/v1/sessions?tags=fantasy&limit=1&cursor={first['next_cursor']}"), 400, "invalid_cursor")
    assert_problem(api.get(f"/v1/listings?tags=horror&limit=1&cursor={first['next_cursor']}"), 400, "invalid_cursor")
    assert_problem(api.get("/v1/sessions?cursor=forged.cursor"), 400, "invalid_cursor")
    # The limit and the viewer's zone may change between pages.
    assert api.get(f"/v1/sessions?tags=horror&limit=3&tz=UTC&cursor={first['next_cursor']}").status == 200


def test_search_with_a_token_and_with_a_bad_one(api, catalog, token_for):
    assert api.get("/v1/sessions", token=token_for()).status == 200
    assert_problem(api.get("/v1/sessions", headers={"Authorization": "Bearer junk"}), 401)
