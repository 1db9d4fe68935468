"""Money a player can be charged: the booking's currency (asked for, else the profile's, else the
listing's own), listing prices only in currencies and amounts cards can be charged, totals above
one charge refused before anything is written, and reads of rows saved before these rules."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.api.booking_helpers import book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import LISTING, create_listing, make_host, publish
from tests.api.helpers import assert_problem
from tests.api.payments_helpers import client

pytestmark = pytest.mark.usefixtures("frozen_clock")

MAX = 99_999_999  # Stripe: one charge has at most eight digits of minor units (all but IDR)
PRICED = {  # usd 15.00, eur 14.00, gbp 12.00 a seat
    "price": {"amount": 1500, "currency": "usd"},
    "regional_prices": [{"amount": 1400, "currency": "eur"}, {"amount": 1200, "currency": "gbp"}],
}


def _player_in(api: Any, token_for: Any, currency: str) -> str:
    token, _ = player(api, token_for)
    changed = api.patch("/v1/me", token=token, json_body={"currency": currency})
    assert changed.status == 200 and changed.json["currency"] == currency, changed.body
    return token


def _seats(api: Any, token: str, session_id: str) -> tuple[int, int, int]:
    found = api.get(f"/v1/sessions/{session_id}", token=token)
    assert found.status == 200, found.body
    return found.json["seats_booked"], found.json["seats_held"], found.json["seats_left"]


def _intents_for(session_id: str) -> list[Any]:
    """The PaymentIntents the Stripe emulator holds for the session (read with the official SDK)."""
    listed = client().v1.payment_intents.list({"limit": 100})
    return [i for i in listed.auto_paging_iter() if i.to_dict()["metadata"].get("session_id") == session_id]


def _nothing_written(api: Any, token: str, setup: Any, seats_before: tuple[int, int, int]) -> None:
    assert api.get("/v1/me/bookings", token=token).json["items"] == []
    assert _seats(api, setup.host_token, setup.session_id) == seats_before
    assert _intents_for(setup.session_id) == []


def _set_stored(pk: str, sk: str, **values: Any) -> None:
    """Rewrite attributes of an item as code before these rules could have saved them."""
    from chalicelib.core.settings import get_settings

    settings = get_settings()
    names = {f"#a{i}": name for i, name in enumerate(values)}
    vals = {f":v{i}": ({"N": str(v)} if isinstance(v, int) else {"S": v}) for i, v in enumerate(values.values())}
    boto3.client("dynamodb", region_name=settings.aws_region).update_item(
        TableName=settings.table_name,
        Key={"PK": {"S": pk}, "SK": {"S": sk}},
        UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=vals,
    )


# The booking's currency


def test_a_currency_the_listing_prices_is_charged_at_its_regional_price(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **PRICED)
    token = _player_in(api, token_for, "eur")  # asked beats the profile's
    created = book(api, token, setup.session_id, seats=2, currency="GBP")
    assert created.status == 201, created.body
    assert created.json["price"] == {"amount": 2400, "currency": "gbp"}
    assert created.json["payment"]["amount"] == {"amount": 2400, "currency": "gbp"}
    intent = client().v1.payment_intents.retrieve(created.json["payment"]["payment_intent_id"])
    assert (intent.amount, intent.currency) == (2400, "gbp")


def test_a_currency_the_listing_does_not_price_is_refused_and_nothing_is_written(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **PRICED)
    token = _player_in(api, token_for, "jpy")
    before = _seats(api, setup.host_token, setup.session_id)
    problem = assert_problem(book(api, token, setup.session_id, seats=1, currency="jpy"), 422, "currency_not_offered")
    assert "USD, EUR, GBP" in problem["detail"]
    assert problem["currencies"] == ["usd", "eur", "gbp"]
    assert [e["field"] for e in problem["errors"]] == ["currency"]
    _nothing_written(api, token, setup, before)
    # No guard was left behind either: the same player books in a priced currency.
    assert book(api, token, setup.session_id, seats=1, currency="eur").status == 201


def test_without_a_currency_the_profiles_is_used_when_priced_and_the_receipt_follows(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, **PRICED)
    token = _player_in(api, token_for, "eur")
    created = book(api, token, setup.session_id, seats=1)
    assert created.status == 201, created.body
    assert created.json["price"] == {"amount": 1400, "currency": "eur"}
    assert created.json["payment"]["amount"] == {"amount": 1400, "currency": "eur"}
    paid = pay(stripe_client(stripe_emulator), created.json["payment"]["payment_intent_id"])
    assert deliver(api, "payment_intent.succeeded", paid).status == 200
    receipt = api.get(f"/v1/bookings/{created.json['id']}/receipt", token=token)
    assert receipt.status == 200, receipt.body
    assert receipt.json["currency"] == "eur" and receipt.json["charged"] == {"amount": 1400, "currency": "eur"}


def test_without_a_currency_a_profile_currency_not_priced_pays_the_listings_own(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, **PRICED)
    token = _player_in(api, token_for, "jpy")
    created = book(api, token, setup.session_id, seats=1)
    assert created.status == 201, created.body
    assert created.json["payment"]["amount"] == {"amount": 1500, "currency": "usd"}


def test_the_openapi_document_states_the_currency_rule(api: Any) -> None:
    document = api.get("/v1/openapi.json").json
    described = document["components"]["schemas"]["BookingIn"]["properties"]["currency"]["description"]
    assert "currency_not_offered" in described and "profile" in described


# Listing prices


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"price": {"amount": 1500, "currency": "xxx"}}, "price.currency", "xxx is not a currency cards can be"),
        ({"price": {"amount": 1500, "currency": "XTS"}}, "price.currency", "xts is not a currency cards can be"),
        ({"price": {"amount": 0, "currency": "xau"}}, "price.currency", "xau is not a currency cards can be"),
        (
            {"regional_prices": [{"amount": 1400, "currency": "eur"}, {"amount": 9, "currency": "xau"}]},
            "regional_prices.1.currency",
            "xau is not",
        ),
        ({"price": {"amount": 49, "currency": "usd"}}, "price.amount", "at least 0.50 USD"),
        (
            {"regional_prices": [{"amount": 1400, "currency": "eur"}, {"amount": 29, "currency": "gbp"}]},
            "regional_prices.1.amount",
            "at least 0.30 GBP",
        ),
        ({"regional_prices": [{"amount": 49, "currency": "jpy"}]}, "regional_prices.0.amount", "at least 50 JPY"),
        ({"price": {"amount": MAX + 1, "currency": "usd"}}, "price.amount", "at most 999999.99 USD"),
        ({"price": {"amount": 100_050, "currency": "isk"}}, "price.amount", "whole ISK only"),
    ],
)
def test_listing_prices_cards_cannot_be_charged_are_refused_naming_the_field(
    api: Any, token_for: Any, change: dict[str, Any], field: str, message: str
) -> None:
    token, _ = make_host(api, token_for, payouts=False)
    problem = assert_problem(api.post("/v1/listings", token=token, json_body={**LISTING, **change}), 422)
    errors = {e["field"]: e["message"] for e in problem["errors"]}
    assert field in errors and errors[field].startswith(message), problem["errors"]


def test_free_and_prices_at_the_smallest_and_largest_charge_are_accepted(api: Any, token_for: Any) -> None:
    token, _ = make_host(api, token_for, payouts=False)
    free = create_listing(api, token, price={"amount": 0, "currency": "vnd"}, regional_prices=[])
    assert free["price"] == {"amount": 0, "currency": "vnd"}
    smallest = [{"amount": 50, "currency": "eur"}, {"amount": 30, "currency": "gbp"}, {"amount": 50, "currency": "jpy"}]
    at_min = create_listing(api, token, price={"amount": 50, "currency": "usd"}, regional_prices=smallest)
    assert at_min["price"] == {"amount": 50, "currency": "usd"}
    assert at_min["regional_prices"] == sorted(smallest, key=lambda p: p["currency"])
    at_max = create_listing(
        api,
        token,
        price={"amount": MAX, "currency": "usd"},
        regional_prices=[{"amount": 999_999_999_999, "currency": "idr"}],
    )  # IDR: 12 digits
    assert at_max["price"] == {"amount": MAX, "currency": "usd"}
    assert at_max["regional_prices"] == [{"amount": 999_999_999_999, "currency": "idr"}]


def test_an_edit_checks_the_prices_it_sets_and_the_merged_listing(api: Any, token_for: Any) -> None:
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token)
    path = f"/v1/listings/{listing['id']}"
    problem = assert_problem(
        api.patch(path, token=token, json_body={"price": {"amount": 1500, "currency": "xau"}}), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["price.currency"]
    problem = assert_problem(
        api.patch(path, token=token, json_body={"regional_prices": [{"amount": 49, "currency": "eur"}]}), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["regional_prices.0.amount"]
    assert api.get(path, token=token).json["price"] == LISTING["price"]  # unchanged
    edited = api.patch(path, token=token, json_body={"regional_prices": [{"amount": 50, "currency": "eur"}]})
    assert edited.status == 200 and edited.json["regional_prices"] == [{"amount": 50, "currency": "eur"}]
    # A listing saved before the rule: any edit must bring its prices within it; publishing too.
    _set_stored(f"LISTING#{listing['id']}", "LISTING", price_currency="xau")
    assert api.get(path, token=token).json["price"] == {"amount": 1500, "currency": "xau"}  # still reads
    problem = assert_problem(api.patch(path, token=token, json_body={"title": "A new title"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["price.currency"]
    problem = assert_problem(api.post(f"{path}/publish", token=token), 422)
    assert [e["field"] for e in problem["errors"]] == ["price.currency"]
    fixed = api.patch(path, token=token, json_body={"price": {"amount": 1500, "currency": "usd"}})
    assert fixed.status == 200, fixed.body
    assert api.post(f"{path}/publish", token=token).status == 200


# Totals: at most one charge, refused before anything is written


def test_a_total_at_the_largest_charge_is_booked(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, price={"amount": 33_333_333, "currency": "usd"}, regional_prices=[])
    token, _ = player(api, token_for)
    created = book(api, token, setup.session_id, seats=3)
    assert created.status == 201, created.body
    assert created.json["payment"]["amount"] == {"amount": MAX, "currency": "usd"}
    assert [i.amount for i in _intents_for(setup.session_id)] == [MAX]


@pytest.mark.parametrize(
    ("prices", "seats", "most"),
    [
        ({"price": {"amount": MAX, "currency": "usd"}, "regional_prices": []}, 2, "999999.99 USD"),
        ({"price": {"amount": 5_000_000, "currency": "vnd"}, "regional_prices": []}, 20, "99999999 VND"),
    ],
)
def test_a_total_past_the_largest_charge_is_refused_before_anything_is_written(
    api: Any, token_for: Any, prices: dict[str, Any], seats: int, most: str
) -> None:
    setup = listing_with_sessions(api, token_for, max_seats=20, min_players=1, capacity=20, **prices)
    token, _ = player(api, token_for)
    before = _seats(api, setup.host_token, setup.session_id)
    problem = assert_problem(book(api, token, setup.session_id, seats=seats), 422, "amount_too_large")
    assert most in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["seats"]
    _nothing_written(api, token, setup, before)
    # The reads that would serialize such a booking answer.
    assert api.get(f"/v1/sessions/{setup.session_id}/roster", token=setup.host_token).status == 200
    assert api.get("/v1/me/host/dashboard", token=setup.host_token).status == 200
    # Fewer seats fit in one charge.
    fits = book(api, token, setup.session_id, seats=seats - 1)
    assert fits.status == 201, fits.body


def test_the_currency_chosen_decides_the_largest_total(api: Any, token_for: Any) -> None:
    # 20 seats are 300.00 USD, but 100,000,000 VND: one past the largest VND charge.
    setup = listing_with_sessions(
        api,
        token_for,
        max_seats=20,
        min_players=1,
        capacity=20,
        regional_prices=[{"amount": 5_000_000, "currency": "vnd"}],
    )
    in_vnd = _player_in(api, token_for, "vnd")
    before = _seats(api, setup.host_token, setup.session_id)
    assert_problem(book(api, in_vnd, setup.session_id, seats=20), 422, "amount_too_large")
    _nothing_written(api, in_vnd, setup, before)
    in_usd = book(api, in_vnd, setup.session_id, seats=20, currency="usd")
    assert in_usd.status == 201 and in_usd.json["price"] == {"amount": 30000, "currency": "usd"}


def test_a_waitlist_join_and_claim_check_the_total_the_claim_would_charge(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(
        api,
        token_for,
        max_seats=20,
        min_players=1,
        capacity=20,
        regional_prices=[{"amount": 5_000_000, "currency": "vnd"}],
    )
    holder, _ = player(api, token_for)
    held = book(api, holder, setup.session_id, seats=1)  # 19 seats left
    assert held.status == 201, held.body
    path = f"/v1/sessions/{setup.session_id}/waitlist"
    in_vnd = _player_in(api, token_for, "vnd")
    assert_problem(api.post(path, token=in_vnd, json_body={"seats": 20}), 422, "amount_too_large")
    assert api.get("/v1/me/waitlist", token=in_vnd).json["items"] == []

    # Joined while paying in usd, then the profile moved to vnd: the claim is refused, nothing booked.
    waiter = _player_in(api, token_for, "usd")
    assert api.post(path, token=waiter, json_body={"seats": 20}).status == 201
    assert api.post(f"/v1/bookings/{held.json['id']}/cancel", token=holder).status == 200
    entry = api.get("/v1/me/waitlist", token=waiter).json["items"][0]
    assert entry["state"] == "offered"
    assert api.patch("/v1/me", token=waiter, json_body={"currency": "vnd"}).status == 200
    before = _seats(api, setup.host_token, setup.session_id)
    assert_problem(api.post(f"/v1/waitlist/{entry['id']}/claim", token=waiter), 422, "amount_too_large")
    assert api.get("/v1/me/bookings", token=waiter).json["items"] == []
    assert _seats(api, setup.host_token, setup.session_id) == before
    assert api.get("/v1/me/waitlist", token=waiter).json["items"][0]["state"] == "offered"
    assert [i.metadata["booking_id"] for i in _intents_for(setup.session_id)] == [held.json["id"]]


# Rows saved before these rules


def test_a_stored_booking_above_one_charge_still_reads(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup = listing_with_sessions(
        api,
        token_for,
        max_seats=20,
        min_players=1,
        capacity=20,
        price={"amount": 5_000_000, "currency": "vnd"},
        regional_prices=[],
    )
    token, _ = player(api, token_for)
    created = book(api, token, setup.session_id, seats=19)
    assert created.status == 201, created.body
    paid = pay(stripe_client(stripe_emulator), created.json["payment"]["payment_intent_id"])
    assert deliver(api, "payment_intent.succeeded", paid).status == 200
    booking_id = created.json["id"]
    _set_stored(f"BOOKING#{booking_id}", "BOOKING", amount=100_000_000, seats=20)  # as the old code wrote it
    stored = {"amount": 100_000_000, "currency": "vnd"}

    roster = api.get(f"/v1/sessions/{setup.session_id}/roster", token=setup.host_token)
    assert roster.status == 200, roster.body
    assert [b["price"] for b in roster.json["items"]] == [stored]
    mine = api.get("/v1/me/bookings", token=token)
    assert mine.status == 200 and [b["price"] for b in mine.json["items"]] == [stored]
    assert api.get(f"/v1/bookings/{booking_id}", token=token).json["price"] == stored
    dashboard = api.get("/v1/me/host/dashboard", token=setup.host_token)
    assert dashboard.status == 200, dashboard.body
    assert api.get("/v1/me/dashboard", token=token).status == 200


def test_a_stored_listing_priced_in_a_currency_cards_cannot_take_is_not_booked(api: Any, token_for: Any) -> None:
    setup = listing_with_sessions(api, token_for, regional_prices=[])
    _set_stored(f"LISTING#{setup.listing['id']}", "LISTING", price_currency="xau")
    token, _ = player(api, token_for)
    before = _seats(api, setup.host_token, setup.session_id)
    problem = assert_problem(book(api, token, setup.session_id, seats=1), 409, "price_not_chargeable")
    assert "xau is not a currency cards can be charged in" in problem["detail"]
    _nothing_written(api, token, setup, before)
    assert api.get(f"/v1/listings/{setup.listing['id']}").json["price"] == {"amount": 1500, "currency": "xau"}


def test_publishing_refuses_stored_prices_below_the_smallest_charge(api: Any, token_for: Any) -> None:
    token, _ = make_host(api, token_for)
    listing = create_listing(api, token)
    _set_stored(f"LISTING#{listing['id']}", "LISTING", price_amount=10)
    problem = assert_problem(api.post(f"/v1/listings/{listing['id']}/publish", token=token), 422)
    assert {e["field"]: e["message"] for e in problem["errors"]} == {"price.amount": "at least 0.50 USD"}
    assert (
        api.patch(
            f"/v1/listings/{listing['id']}", token=token, json_body={"price": {"amount": 1000, "currency": "usd"}}
        ).status
        == 200
    )
    publish(api, token, listing["id"])
