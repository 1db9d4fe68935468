"""Listings: taxonomy, create/read/edit with versions, states, images, host pages, validation."""

from __future__ import annotations

import pytest

from tests.api.catalog_helpers import LISTING, create_listing, make_host, publish
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_taxonomy_covers_both_verticals(api):
    response = api.get("/v1/categories")
    assert response.status == 200
    body = response.json
    verticals = {c["vertical"] for c in body["categories"]}
    assert verticals == {"rpg", "music"}
    assert {"one_shot", "campaign", "studio_time", "mixing"} <= {c["id"] for c in body["categories"]}
    assert "dnd_5e" in {g["id"] for g in body["game_systems"]}
    assert {"roll20", "in_person", "ableton_live"} <= {t["id"] for t in body["tools"]}
    assert "x_card" in {t["id"] for t in body["safety_tools"]}


def test_host_creates_a_draft_listing(api, token_for):
    token, user_id = make_host(api, token_for)
    listing = create_listing(api, token)
    assert listing["id"].startswith("lst_") and listing["host_id"] == user_id
    assert listing["status"] == "draft" and listing["version"] == 1
    assert listing["tags"] == ["horror", "investigation"]
    assert listing["vertical"] == "rpg"
    assert listing["price"] == {"amount": 1500, "currency": "usd"}
    assert listing["regional_prices"] == [{"amount": 1400, "currency": "eur"}]
    assert listing["cancellation_policy"]["tiers"] == [
        {"hours_before_start": 120, "refund_percent": 100},
        {"hours_before_start": 24, "refund_percent": 50},
    ]
    # A draft is visible to its host only.
    assert api.get(f"/v1/listings/{listing['id']}", token=token).status == 200
    assert_problem(api.get(f"/v1/listings/{listing['id']}"), 404)
    assert_problem(api.get(f"/v1/listings/{listing['id']}", token=token_for()), 404)


def test_listing_timezone_defaults_to_the_hosts(api, token_for):
    token, _ = make_host(api, token_for)
    api.patch("/v1/me", token=token, json_body={"timezone": "America/Chicago"})
    listing = create_listing(api, token, timezone=None)
    assert listing["timezone"] == "America/Chicago"


def test_free_studio_listing_in_person(api, token_for):
    token, _ = make_host(api, token_for)
    listing = create_listing(
        api,
        token,
        title="Tracking day in a warm live room",
        category="studio_time",
        game_system=None,
        tool="pro_tools",
        tags=["live room"],
        price={"amount": 0, "currency": "jpy"},
        regional_prices=[],
        location={"mode": "in_person", "city": "Berlin", "country": "DE", "lat": 52.52, "lon": 13.405},
        format="private",
        booking_mode="approval",
    )
    assert listing["price"] == {"amount": 0, "currency": "jpy"}
    assert listing["location"]["city"] == "Berlin" and listing["vertical"] == "music"


def test_player_cannot_create_a_listing(api, token_for):
    assert_problem(api.post("/v1/listings", token=token_for(), json_body=LISTING), 403, "host_only")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": {"amount": -1, "currency": "usd"}}, "price.amount"),
        ({"price": {"amount": 10.5, "currency": "usd"}}, "price.amount"),
        ({"price": {"amount": 100, "currency": "xyz"}}, "price.currency"),
        ({"max_seats": 0}, "max_seats"),
        ({"max_seats": 1001}, "max_seats"),
        ({"tags": [f"tag{i}" for i in range(11)]}, "tags"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"category": "basket_weaving"}, "category"),
        ({"game_system": "monopoly"}, "game_system"),
        ({"languages": ["xx-nope"]}, "languages.0"),
        ({"title": "ab"}, "title"),
        ({"description": "x" * 5001}, "description"),
        ({"safety_tools": ["vibes"]}, "safety_tools.0"),
        ({"location": {"mode": "in_person", "city": "Berlin"}}, "location"),
        ({"cancellation_policy": {"preset": "custom"}}, "cancellation_policy"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_listing_validation_names_the_field(api, token_for, change, field):
    token, _ = make_host(api, token_for)
    problem = assert_problem(api.post("/v1/listings", token=token, json_body={**LISTING, **change}), 422)
    assert field in [e["field"] for e in problem["errors"]], problem["errors"]


def test_cross_field_rules(api, token_for):
    token, _ = make_host(api, token_for)
    for change in (
        {"min_players": 6, "max_seats": 5},
        {"category": "mixing"},  # a game system with a music category
        {"regional_prices": [{"amount": 1, "currency": "usd"}]},  # same currency as the price
    ):
        assert_problem(api.post("/v1/listings", token=token, json_body={**LISTING, **change}), 422)


def test_edit_with_versions(api, token_for):
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token)
    path = f"/v1/listings/{listing['id']}"
    edited = api.patch(path, token=token, json_body={"title": "A new title"}, headers={"If-Match": '"1"'})
    assert edited.status == 200, edited.body
    assert edited.json["title"] == "A new title" and edited.json["version"] == 2
    stale = api.patch(path, token=token, json_body={"title": "Stale"}, headers={"If-Match": "1"})
    assert_problem(stale, 412)
    # Clearing an optional field, and the merged listing is validated as a whole.
    assert api.patch(path, token=token, json_body={"game_system": None}).json["game_system"] is None
    problem = assert_problem(api.patch(path, token=token, json_body={"min_players": 9}), 422)
    assert problem["errors"]
    problem = assert_problem(api.patch(path, token=token, json_body={}), 422)
    assert_problem(api.patch(path, token=token, json_body={"max_seats": 0}), 422)


def test_a_host_cannot_edit_anothers_listing(api, token_for):
    owner, _ = make_host(api, token_for)
    other, _ = make_host(api, token_for)
    draft = create_listing(api, owner)
    assert_problem(api.patch(f"/v1/listings/{draft['id']}", token=other, json_body={"title": "Mine now"}), 404)
    published = create_listing(api, owner)
    publish(api, owner, published["id"])
    path = f"/v1/listings/{published['id']}"
    assert_problem(api.patch(path, token=other, json_body={"title": "Mine now"}), 403, "owner_only")
    assert_problem(api.post(f"{path}/unpublish", token=other), 403)
    assert_problem(api.post(f"{path}/images", token=other, json_body={"content_type": "image/png"}), 403)
    assert api.get(path).json["title"] == LISTING["title"]


def test_publish_unpublish_archive(api, token_for):
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token)
    path = f"/v1/listings/{listing['id']}"
    assert publish(api, token, listing["id"])["status"] == "published"
    assert api.get(path).status == 200  # now public
    assert_problem(api.post(f"{path}/publish", token=token), 409, "invalid_listing_state")
    assert api.post(f"{path}/unpublish", token=token).json["status"] == "unpublished"
    assert_problem(api.get(path), 404)
    stale = api.post(f"{path}/publish", token=token, headers={"If-Match": "1"})
    assert_problem(stale, 412)
    assert api.post(f"{path}/archive", token=token).json["status"] == "archived"
    assert_problem(api.post(f"{path}/publish", token=token), 409)
    assert_problem(api.patch(path, token=token, json_body={"title": "Again"}), 409, "listing_archived")


def test_images_are_uploaded_with_presigned_posts(api, token_for):
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token)
    path = f"/v1/listings/{listing['id']}"
    upload = api.post(f"{path}/images", token=token, json_body={"content_type": "image/webp"})
    assert upload.status == 201, upload.body
    key = upload.json["key"]
    assert key.startswith(f"listings/{listing['id']}/") and key.endswith(".webp")
    assert upload.json["fields"]["Content-Type"] == "image/webp" and "policy" in upload.json["fields"]
    edited = api.patch(path, token=token, json_body={"images": [key]})
    assert edited.status == 200
    assert edited.json["images"][0]["key"] == key and key in edited.json["images"][0]["url"]
    problem = assert_problem(api.patch(path, token=token, json_body={"images": ["avatars/someone/x.png"]}), 422)
    assert problem["errors"][0]["field"] == "images.0"
    assert_problem(api.post(f"{path}/images", token=token, json_body={"content_type": "image/gif"}), 422)


def test_my_listings_and_the_host_page(api, token_for):
    token, user_id = make_host(api, token_for)
    draft = create_listing(api, token, title="Draft one")
    shown = create_listing(api, token, title="Published one")
    publish(api, token, shown["id"])
    mine = api.get("/v1/me/listings?limit=1", token=token)
    assert mine.status == 200 and len(mine.json["items"]) == 1 and mine.json["next_cursor"]
    rest = api.get(f"/v1/me/listings?cursor={mine.json['next_cursor']}", token=token).json
    assert {i["id"] for i in mine.json["items"] + rest["items"]} == {draft["id"], shown["id"]}
    public = api.get(f"/v1/users/{user_id}/listings")
    assert public.status == 200
    assert [i["id"] for i in public.json["items"]] == [shown["id"]]
    assert_problem(api.get("/v1/users/nobody/listings"), 404)
    assert_problem(api.get("/v1/me/listings", token=token_for()), 403)
    wrong = api.get(f"/v1/users/{user_id}/listings?cursor={mine.json['next_cursor']}")
    assert_problem(wrong, 400, "invalid_cursor")


def test_create_listing_is_idempotent(api, token_for):
    token, _ = make_host(api, token_for)
    headers = {"Idempotency-Key": "create-1"}
    first = api.post("/v1/listings", token=token, json_body=LISTING, headers=headers)
    again = api.post("/v1/listings", token=token, json_body=LISTING, headers=headers)
    assert first.status == again.status == 201 and first.json["id"] == again.json["id"]
    other = api.post("/v1/listings", token=token, json_body={**LISTING, "title": "Another"}, headers=headers)
    assert_problem(other, 422, "idempotency_key_reused")


def test_unknown_listing_ids_are_404(api, token_for):
    from chalicelib.core import ids

    token, _ = make_host(api, token_for)
    for listing_id in ("junk", ids.new_id("lst")):
        assert_problem(api.get(f"/v1/listings/{listing_id}"), 404)
        assert_problem(api.patch(f"/v1/listings/{listing_id}", token=token, json_body={"title": "x y z"}), 404)
