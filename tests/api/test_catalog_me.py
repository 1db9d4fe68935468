"""Favorites, saved searches, and every catalog route called without a token or by a stranger."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from tests.api.catalog_helpers import LISTING, add_sessions, create_listing, make_host, publish, published_listing
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_favorites(api, token_for):
    host, _, listing = published_listing(api, token_for)
    draft = create_listing(api, host, title="Not yet")
    player = token_for()
    path = f"/v1/me/favorites/{listing['id']}"
    assert api.put(path, token=player).status == 204
    assert api.put(path, token=player).status == 204  # idempotent
    assert_problem(api.put(f"/v1/me/favorites/{draft['id']}", token=player), 404)
    assert_problem(api.put("/v1/me/favorites/lst_nope", token=player), 404)
    page = api.get("/v1/me/favorites", token=player).json
    assert [f["listing"]["id"] for f in page["items"]] == [listing["id"]]
    assert page["items"][0]["favorited_at"] == "2026-01-10T12:00:00Z" and page["next_cursor"] is None
    # Hidden while unpublished, back when republished; another user's list is their own.
    api.post(f"/v1/listings/{listing['id']}/unpublish", token=host)
    assert api.get("/v1/me/favorites", token=player).json["items"] == []
    publish(api, host, listing["id"])
    assert len(api.get("/v1/me/favorites", token=player).json["items"]) == 1
    assert api.get("/v1/me/favorites", token=token_for()).json["items"] == []
    assert api.delete(path, token=player).status == 204
    assert api.delete(path, token=player).status == 204
    assert api.get("/v1/me/favorites", token=player).json["items"] == []


def test_favorites_page(api, token_for):
    host, _ = make_host(api, token_for)
    player = token_for()
    listings = [create_listing(api, host, title=f"Game number {i}") for i in range(3)]
    for listing in listings:
        publish(api, host, listing["id"])
        api.put(f"/v1/me/favorites/{listing['id']}", token=player)
    first = api.get("/v1/me/favorites?limit=2", token=player).json
    second = api.get(f"/v1/me/favorites?limit=2&cursor={first['next_cursor']}", token=player).json
    assert {f["listing"]["id"] for f in first["items"] + second["items"]} == {x["id"] for x in listings}


def test_saved_searches(api, token_for):
    player = token_for()
    body = {"name": "Horror in German", "filters": {"tags": "Horror", "language": "de", "has_free_seats": True}}
    created = api.post("/v1/me/saved-searches", token=player, json_body=body)
    assert created.status == 201, created.body
    saved = created.json
    assert saved["id"].startswith("srch_") and saved["name"] == "Horror in German"
    assert saved["filters"] == {"tags": "horror", "language": "de", "has_free_seats": True}
    # Its query string runs as a search.
    assert dict(parse_qsl(saved["query"])) == {"tags": "horror", "language": "de", "has_free_seats": "true"}
    assert api.get(f"/v1/sessions?{saved['query']}").status == 200
    listed = api.get("/v1/me/saved-searches", token=player).json
    assert [s["id"] for s in listed["items"]] == [saved["id"]]
    assert api.get("/v1/me/saved-searches", token=token_for()).json["items"] == []
    assert_problem(api.delete(f"/v1/me/saved-searches/{saved['id']}", token=token_for()), 404)
    assert api.delete(f"/v1/me/saved-searches/{saved['id']}", token=player).status == 204
    assert_problem(api.delete(f"/v1/me/saved-searches/{saved['id']}", token=player), 404)
    assert_problem(api.delete("/v1/me/saved-searches/nope", token=player), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "filters": {}}, "name"),
        ({"name": "x", "filters": {"category": "nope"}}, "filters.category"),
        (
            {"name": "x", "filters": {"starts_after": "2026-03-01T00:00:00Z", "starts_before": "2026-02-01T00:00:00Z"}},
            "filters.starts_before",
        ),
        ({"name": "x", "filters": {"limit": 5}}, "filters.limit"),
        ({"name": "x"}, "filters"),
    ],
)
def test_saved_search_validation(api, token_for, body, field):
    problem = assert_problem(api.post("/v1/me/saved-searches", token=token_for(), json_body=body), 422)
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]


def test_saved_searches_are_limited(api, token_for):
    from chalicelib.catalog.me_service import MAX_SAVED_SEARCHES

    player = token_for()
    for i in range(MAX_SAVED_SEARCHES):
        assert api.post("/v1/me/saved-searches", token=player, json_body={"name": f"s{i}", "filters": {}}).status == 201
    too_many = api.post("/v1/me/saved-searches", token=player, json_body={"name": "one more", "filters": {}})
    assert_problem(too_many, 409, "too_many_searches")


ROUTES_NEEDING_A_TOKEN = [
    ("POST", "/v1/listings"),
    ("PATCH", "/v1/listings/{lst}"),
    ("POST", "/v1/listings/{lst}/publish"),
    ("POST", "/v1/listings/{lst}/unpublish"),
    ("POST", "/v1/listings/{lst}/archive"),
    ("POST", "/v1/listings/{lst}/images"),
    ("POST", "/v1/listings/{lst}/sessions"),
    ("PATCH", "/v1/sessions/{ses}"),
    ("POST", "/v1/sessions/{ses}/cancel"),
    ("GET", "/v1/me/listings"),
    ("PUT", "/v1/me/favorites/{lst}"),
    ("DELETE", "/v1/me/favorites/{lst}"),
    ("GET", "/v1/me/favorites"),
    ("POST", "/v1/me/saved-searches"),
    ("GET", "/v1/me/saved-searches"),
    ("DELETE", "/v1/me/saved-searches/srch_01J0000000000000000000000"),
]
HOST_ONLY = [(m, p) for m, p in ROUTES_NEEDING_A_TOKEN if p.startswith(("/v1/listings", "/v1/sessions"))]
PUBLIC = [
    "/v1/categories",
    "/v1/sessions",
    "/v1/listings",
    "/v1/listings/{lst}",
    "/v1/listings/{lst}/sessions",
    "/v1/listings/{lst}/calendar.ics",
    "/v1/sessions/{ses}",
    "/v1/users/{usr}/listings",
]


def test_every_catalog_route_called_by_a_stranger(api, token_for):
    host, host_id, listing = published_listing(api, token_for)
    session = add_sessions(api, host, listing["id"])["items"][0]

    def fill(path):
        return path.format(lst=listing["id"], ses=session["id"], usr=host_id)

    for method, path in ROUTES_NEEDING_A_TOKEN:
        assert_problem(api.request(method, fill(path), json_body={}), 401)
    stranger = token_for()
    for method, path in HOST_ONLY:
        body = {"start": "2026-03-01T19:00:00"} if path.endswith("/sessions") else {"content_type": "image/png"}
        if method == "PATCH":
            body = {"capacity": 1} if "sessions" in path else {"title": "Taken over"}
        if path == "/v1/listings":
            body = LISTING
        response = api.request(method, fill(path), token=stranger, json_body=body)
        assert response.status == 403, (method, path, response.body)
    for path in PUBLIC:
        assert api.get(fill(path)).status == 200, path
    assert api.get(f"/v1/listings/{listing['id']}").json["title"] == listing["title"]
