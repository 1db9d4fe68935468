"""Marketplace payments through the API on the Stripe emulator: payout onboarding and the
payouts_disabled gate, the ledger of a paid booking (charge and fee), the payout after completion and
the hold, a late partial refund reversing part of it, disputes holding and reversing payouts, the
receipt, transactions and earnings agreeing, and strangers kept out."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any
from urllib.error import HTTPError

import pytest
import stripe as stripe_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.core import clock, outbox, sweep
from tests.api.booking_helpers import book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import LISTING, NOW, create_listing, make_host
from tests.api.helpers import assert_problem, run_timers_at
from tests.api.payments_helpers import client, dev_post, onboard

pytestmark = pytest.mark.usefixtures("frozen_clock")

START = NOW.replace(month=2, day=1, hour=18)  # 19:00 in Berlin
END = START + timedelta(hours=3)
PAYOUT_AT = END + timedelta(days=2)


def paid_booking(api: Any, token_for: Any, stripe_emulator: str, seats: int = 2) -> tuple[Any, str, dict[str, Any]]:
    setup = listing_with_sessions(api, token_for, min_players=1)
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=seats).json
    intent = pay(stripe_client(stripe_emulator), booking["payment"]["payment_intent_id"])
    assert deliver(api, "payment_intent.succeeded", intent).status == 200
    return setup, token, booking


def receipt(api: Any, token: str, booking_id: str) -> dict[str, Any]:
    found = api.get(f"/v1/bookings/{booking_id}/receipt", token=token)
    assert found.status == 200, found.body
    return dict(found.json)


def kinds(booking_id: str) -> list[str]:
    return [m.kind for m in outbox.for_subject(booking_id)]


def test_publishing_and_booking_paid_need_the_hosts_payouts(api: Any, token_for: Any, stripe_emulator: str) -> None:
    token, host_id = make_host(api, token_for, payouts=False)
    assert api.get("/v1/me/payouts", token=token).json == {
        "onboarded": False,
        "account_id": None,
        "details_submitted": False,
        "payouts_enabled": False,
        "requirements_due": [],
    }
    paid = create_listing(api, token)
    assert_problem(api.post(f"/v1/listings/{paid['id']}/publish", token=token), 409, "payouts_disabled")
    free = create_listing(api, token, price={"amount": 0, "currency": "usd"}, regional_prices=[])
    assert api.post(f"/v1/listings/{free['id']}/publish", token=token).status == 200  # free needs no payouts

    first = api.post("/v1/me/payouts/onboarding", token=token).json
    again = api.post("/v1/me/payouts/onboarding", token=token).json
    assert first["status"]["account_id"] == again["status"]["account_id"]  # one account, a fresh link
    assert first["url"].startswith("http") and first["status"]["payouts_enabled"] is False
    account_id = first["status"]["account_id"]
    # An account.updated before onboarding is done changes nothing that matters.
    assert deliver(api, "account.updated", client().v1.accounts.retrieve(account_id)).status == 200
    status = api.get("/v1/me/payouts", token=token).json
    assert status["onboarded"] and not status["payouts_enabled"] and status["requirements_due"]
    onboard(api, token)  # completes the page; account.updated
    status = api.get("/v1/me/payouts", token=token).json
    assert status["payouts_enabled"] and status["details_submitted"] and status["requirements_due"] == []
    assert "payouts.status_changed" in kinds(host_id)
    assert api.post(f"/v1/listings/{paid['id']}/publish", token=token).status == 200

    # Payouts turned off later (Stripe needs more): paid bookings are refused, the listing stays.
    sessions = api.post(f"/v1/listings/{paid['id']}/sessions", token=token, json_body={"start": "2026-02-01T19:00:00"})
    session_id = sessions.json["items"][0]["id"]
    disabled = dev_post(f"/_config/connect/accounts/{account_id}/onboard", disable="true")
    assert deliver(api, "account.updated", disabled).status == 200
    assert api.get("/v1/me/payouts", token=token).json["payouts_enabled"] is False
    player_token, _ = player(api, token_for)
    assert_problem(book(api, player_token, session_id), 409, "payouts_disabled")
    # A late account.updated carrying the old, enabled account does not turn payouts back on.
    stale = dict(client().v1.accounts.retrieve(account_id).to_dict(), payouts_enabled=True)
    assert deliver(api, "account.updated", stale).status == 200
    assert api.get("/v1/me/payouts", token=token).json["payouts_enabled"] is False


def test_onboarding_is_for_hosts_and_routes_need_a_token(api: Any, token_for: Any) -> None:
    plain_user = token_for()
    assert_problem(api.post("/v1/me/payouts/onboarding", token=plain_user), 403)
    for method, path in [
        ("POST", "/v1/me/payouts/onboarding"),
        ("GET", "/v1/me/payouts"),
        ("GET", "/v1/me/transactions"),
        ("GET", "/v1/me/earnings"),
        ("GET", "/v1/bookings/bkg_01J00000000000000000000000/receipt"),
        ("POST", "/v1/admin/bookings/bkg_01J00000000000000000000000/refund"),
    ]:
        assert_problem(api.request(method, path), 401)


def test_a_paid_booking_pays_out_after_the_hold_and_a_late_refund_reverses_part(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup, token, booking = paid_booking(api, token_for, stripe_emulator)
    booking_id = booking["id"]
    admin = token_for(roles=("player", "admin"))

    # The charge and the platform fee (usd: 10 % + 30) are in the ledger with the booking's change.
    r = receipt(api, token, booking_id)
    assert r["charged"] == {"amount": 3000, "currency": "usd"}
    assert r["platform_fee"]["amount"] == 330 and r["fee_rule"] == {"percent_bps": 1000, "fixed": 30}
    assert r["host_share"]["amount"] == 2670 and r["paid_out"]["amount"] == 0
    assert [line["type"] for line in r["lines"]] == ["charge", "platform_fee"]
    assert "payment.charged" in kinds(booking_id)
    mine = api.get("/v1/me/transactions", token=token).json["items"]
    assert [(t["type"], t["effect"]) for t in mine] == [("charge", -3000)]
    hosts = api.get("/v1/me/transactions?role=host", token=setup.host_token).json["items"]
    assert sorted((t["type"], t["effect"]) for t in hosts) == [("charge", 3000), ("platform_fee", -330)]
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 2670, "available": 0, "paid_out": 0}]

    # Completed at the end; paid out only after the hold (2 days).
    run_timers_at(END + timedelta(seconds=30))
    assert api.get(f"/v1/bookings/{booking_id}", token=token).json["state"] == "completed"
    run_timers_at(PAYOUT_AT - timedelta(minutes=5))
    assert client().v1.transfers.list({"transfer_group": booking_id}).data == []
    run_timers_at(PAYOUT_AT + timedelta(seconds=30))
    transfers = client().v1.transfers.list({"transfer_group": booking_id}).data
    assert len(transfers) == 1 and transfers[0].amount == 2670
    intent = client().v1.payment_intents.retrieve(
        booking["payment"]["payment_intent_id"], {"expand": ["latest_charge"]}
    )
    assert transfers[0].source_transaction == intent.latest_charge.id
    assert "payout.sent" in kinds(booking_id)
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 0, "available": 0, "paid_out": 2670}]
    sweep.run(lookback_minutes=30)  # the timer again: nothing doubles
    assert len(client().v1.transfers.list({"transfer_group": booking_id}).data) == 1

    # A late partial refund (an admin's) comes out of the host's share: that part is reversed.
    path = f"/v1/admin/bookings/{booking_id}/refund"
    assert_problem(api.post(path, token=token, json_body={"amount": 1000, "reason": "late"}), 403, "admin_only")
    assert_problem(api.post(path, token=admin, json_body={"amount": 0, "reason": "x"}), 422)
    assert_problem(api.post(path, token=admin, json_body={"amount": "10", "reason": "x"}), 422)
    assert_problem(api.post(path, token=admin, json_body={"amount": 10}), 422)
    assert_problem(
        api.post(path, token=admin, json_body={"amount": 3001, "reason": "x"}), 409, "refund_exceeds_remaining"
    )
    refunded = api.post(path, token=admin, json_body={"amount": 1000, "reason": "audio failed for an hour"})
    assert refunded.status == 200, refunded.body
    assert refunded.json["refunded"]["amount"] == 1000 and refunded.json["refundable"]["amount"] == 2000
    transfer = client().v1.transfers.retrieve(transfers[0].id)
    assert transfer.amount_reversed == 1000
    assert "payout.reversed" in kinds(booking_id) and "payment.refunded" in kinds(booking_id)
    # Stripe's charge.refunded arrives (twice): nothing more moves.
    charge = client().v1.charges.retrieve(intent.latest_charge.id)
    assert deliver(api, "charge.refunded", charge).status == 200
    assert deliver(api, "charge.refunded", charge).status == 200

    # Ledger, receipt, transactions and earnings agree.
    r = receipt(api, setup.host_token, booking_id)
    assert receipt(api, token, booking_id) == r and receipt(api, admin, booking_id) == r
    assert (r["charged"]["amount"], r["refunded"]["amount"], r["platform_fee"]["amount"]) == (3000, 1000, 330)
    assert r["paid"]["amount"] == 2000 and r["host_share"]["amount"] == 1670 and r["paid_out"]["amount"] == 1670
    totals: dict[str, int] = {}
    for line in r["lines"]:
        totals[line["type"]] = totals.get(line["type"], 0) + line["amount"]["amount"]
    assert totals == {"charge": 3000, "platform_fee": 330, "transfer": 2670, "refund": 1000, "transfer_reversal": 1000}
    assert (
        totals["charge"]
        - totals["refund"]
        - totals["platform_fee"]
        - (totals["transfer"] - totals["transfer_reversal"])
        == 0
    )  # nothing held, nothing lost
    hosts = api.get("/v1/me/transactions?role=host", token=setup.host_token).json["items"]
    assert sum(t["effect"] for t in hosts) == 1670
    mine = api.get("/v1/me/transactions?role=player", token=token).json["items"]
    assert sorted((t["type"], t["effect"]) for t in mine) == [("charge", -3000), ("refund", 1000)]
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 0, "available": 0, "paid_out": 1670}]


def test_transactions_are_paged_with_a_cursor_bound_to_the_caller(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup, token, _ = paid_booking(api, token_for, stripe_emulator)
    first = api.get("/v1/me/transactions?role=host&limit=1", token=setup.host_token).json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api.get(
        f"/v1/me/transactions?role=host&limit=1&cursor={first['next_cursor']}", token=setup.host_token
    ).json
    assert len(second["items"]) == 1 and second["items"][0]["id"] != first["items"][0]["id"]
    stolen = api.get(f"/v1/me/transactions?role=host&limit=1&cursor={first['next_cursor']}", token=token)
    assert_problem(stolen, 400, "invalid_cursor")
    assert_problem(api.get("/v1/me/transactions?role=owner", token=token), 422)
    assert_problem(api.get("/v1/me/transactions?limit=0", token=token), 422)


def test_strangers_read_nothing_of_others_money(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup, token, booking = paid_booking(api, token_for, stripe_emulator)
    stranger = token_for()
    assert api.get(f"/v1/bookings/{booking['id']}/receipt", token=token).status == 200
    assert_problem(api.get(f"/v1/bookings/{booking['id']}/receipt", token=stranger), 404)
    assert_problem(api.get("/v1/bookings/bkg_missing/receipt", token=stranger), 404)
    assert api.get("/v1/me/transactions", token=stranger).json["items"] == []
    assert api.get("/v1/me/transactions?role=host", token=stranger).json["items"] == []
    assert api.get("/v1/me/earnings", token=stranger).json["items"] == []
    assert api.get("/v1/me/payouts", token=stranger).json["onboarded"] is False  # only ever your own
    other_host, _ = make_host(api, token_for)
    assert_problem(api.get(f"/v1/bookings/{booking['id']}/receipt", token=other_host), 404)
    assert api.get("/v1/me/transactions?role=host", token=other_host).json["items"] == []
    assert_problem(
        api.post(
            f"/v1/admin/bookings/{booking['id']}/refund", token=setup.host_token, json_body={"amount": 1, "reason": "x"}
        ),
        403,
    )


def test_a_dispute_holds_the_payout_and_a_won_one_releases_it(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup, token, booking = paid_booking(api, token_for, stripe_emulator)
    booking_id = booking["id"]
    dispute = dev_post(
        "/_config/disputes", payment_intent=booking["payment"]["payment_intent_id"], reason="product_not_received"
    )
    assert deliver(api, "charge.dispute.created", dispute).status == 200
    assert api.get(f"/v1/bookings/{booking_id}", token=token).json["disputed"] is True
    assert "dispute.opened" in kinds(booking_id)
    run_timers_at(END + timedelta(seconds=30))
    run_timers_at(PAYOUT_AT + timedelta(seconds=30))
    assert client().v1.transfers.list({"transfer_group": booking_id}).data == []  # held while open
    r = receipt(api, setup.host_token, booking_id)
    assert r["dispute"] == "open" and r["host_share"]["amount"] == 0
    closed = dev_post(f"/_config/disputes/{dispute['id']}/close", outcome="won")
    assert deliver(api, "charge.dispute.closed", closed).status == 200
    transfers = client().v1.transfers.list({"transfer_group": booking_id}).data
    assert [t.amount for t in transfers] == [2670]
    r = receipt(api, setup.host_token, booking_id)
    assert r["dispute"] == "won" and r["paid_out"]["amount"] == 2670 and r["platform_fee"]["amount"] == 330
    assert {line["type"] for line in r["lines"]} >= {"dispute_debit", "dispute_credit"}
    assert "dispute.closed" in kinds(booking_id)


def test_a_dispute_after_the_payout_reverses_it_and_a_lost_one_keeps_it_reversed(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup, _, booking = paid_booking(api, token_for, stripe_emulator)
    booking_id = booking["id"]
    run_timers_at(END + timedelta(seconds=30))
    run_timers_at(PAYOUT_AT + timedelta(seconds=30))
    dispute = dev_post("/_config/disputes", payment_intent=booking["payment"]["payment_intent_id"])
    assert deliver(api, "charge.dispute.created", dispute).status == 200
    transfer = client().v1.transfers.list({"transfer_group": booking_id}).data[0]
    assert transfer.amount_reversed == 2670
    closed = dev_post(f"/_config/disputes/{dispute['id']}/close", outcome="lost")
    assert deliver(api, "charge.dispute.closed", closed).status == 200
    r = receipt(api, setup.host_token, booking_id)
    assert r["dispute"] == "lost" and r["paid_out"]["amount"] == 0 and r["paid"]["amount"] == 0
    assert client().v1.transfers.retrieve(transfer.id).amount_reversed == 2670
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 0, "available": 0, "paid_out": 0}]


def test_regional_prices_charge_in_the_players_currency_with_its_fee(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1)  # usd 1500, eur 1400
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=1, currency="eur").json
    assert booking["payment"]["amount"] == {"amount": 1400, "currency": "eur"}
    intent = pay(stripe_client(stripe_emulator), booking["payment"]["payment_intent_id"])
    deliver(api, "payment_intent.succeeded", intent)
    r = receipt(api, token, booking["id"])
    assert r["currency"] == "eur" and r["platform_fee"] == {"amount": 165, "currency": "eur"}  # 10 % + 25
    assert LISTING["price"]["currency"] == "usd"
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "eur", "pending": 1235, "available": 0, "paid_out": 0}]


def test_a_payout_waits_for_disabled_payouts_and_goes_when_they_are_enabled_again(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup, _, booking = paid_booking(api, token_for, stripe_emulator)
    account_id = api.get("/v1/me/payouts", token=setup.host_token).json["account_id"]
    deliver(api, "account.updated", dev_post(f"/_config/connect/accounts/{account_id}/onboard", disable="true"))
    run_timers_at(END + timedelta(seconds=30))
    run_timers_at(PAYOUT_AT + timedelta(seconds=30))
    assert client().v1.transfers.list({"transfer_group": booking["id"]}).data == []
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 0, "available": 2670, "paid_out": 0}]
    deliver(api, "account.updated", dev_post(f"/_config/connect/accounts/{account_id}/onboard"))
    assert [t.amount for t in client().v1.transfers.list({"transfer_group": booking["id"]}).data] == [2670]
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 0, "available": 0, "paid_out": 2670}]


def test_a_late_cancellation_pays_the_host_what_the_policy_keeps_after_the_hold(
    api: Any, token_for: Any, stripe_emulator: str
) -> None:
    setup, token, booking = paid_booking(api, token_for, stripe_emulator)  # moderate: 50 % from 120 h to 24 h
    booking_id = booking["id"]
    clock.freeze(START - timedelta(hours=48))
    cancelled = api.post(f"/v1/bookings/{booking_id}/cancel", token=token)
    assert cancelled.status == 200, cancelled.body
    assert cancelled.json["refund"] == {"amount": 1500, "currency": "usd"}
    b = cancelled.json["booking"]
    assert (b["state"], b["payment_status"], b["amount_refunded"]) == ("cancelled", "partially_refunded", 1500)
    # The host keeps 3000 - 1500 - 330 (fee) = 1170: pending until the session's end plus the hold.
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 1170, "available": 0, "paid_out": 0}]
    run_timers_at(PAYOUT_AT - timedelta(minutes=5))
    assert client().v1.transfers.list({"transfer_group": booking_id}).data == []
    run_timers_at(PAYOUT_AT + timedelta(seconds=30))
    assert [t.amount for t in client().v1.transfers.list({"transfer_group": booking_id}).data] == [1170]
    r = receipt(api, setup.host_token, booking_id)
    assert receipt(api, token, booking_id) == r
    assert sorted((line["type"], line["amount"]["amount"]) for line in r["lines"]) == [
        ("charge", 3000),
        ("platform_fee", 330),
        ("refund", 1500),
        ("transfer", 1170),
    ]
    assert (r["host_share"]["amount"], r["paid_out"]["amount"], r["refunded"]["amount"]) == (1170, 1170, 1500)
    earnings = api.get("/v1/me/earnings", token=setup.host_token).json["items"]
    assert earnings == [{"currency": "usd", "pending": 0, "available": 0, "paid_out": 1170}]
    sweep.run(lookback_minutes=30)  # the timer again: nothing doubles
    assert len(client().v1.transfers.list({"transfer_group": booking_id}).data) == 1


def test_an_admins_refund_lowers_what_a_cancellation_gives_back(api: Any, token_for: Any, stripe_emulator: str) -> None:
    setup = listing_with_sessions(api, token_for, min_players=1, cancellation_policy={"preset": "flexible"})
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=1).json  # 1500
    intent_id = booking["payment"]["payment_intent_id"]
    deliver(api, "payment_intent.succeeded", pay(stripe_client(stripe_emulator), intent_id))
    admin = token_for(roles=("player", "admin"))
    path = f"/v1/bookings/{booking['id']}"
    assert (
        api.post(
            f"/v1/admin/bookings/{booking['id']}/refund", token=admin, json_body={"amount": 1000, "reason": "goodwill"}
        ).status
        == 200
    )
    quote = api.get(path + "/cancellation-quote", token=token).json
    assert quote["refund"] == {"amount": 500, "currency": "usd"}  # 100 % of what is still paid
    cancelled = api.post(path + "/cancel", token=token)
    assert cancelled.status == 200 and cancelled.json["refund"]["amount"] == 500
    charge = client().v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]}).latest_charge
    assert (charge.amount, charge.amount_refunded) == (1500, 1500)
    after = api.get(path, token=token).json
    assert (after["payment_status"], after["amount_refunded"]) == ("refunded", 1500)
    assert receipt(api, token, booking["id"])["refunded"]["amount"] == 1500


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("admin refund"), st.integers(1, 3200)),
        st.tuples(st.just("dashboard refund"), st.integers(1, 3200)),
        st.tuples(
            st.sampled_from(
                ["player cancels", "host cancels the session", "dispute", "dispute won", "dispute lost", "webhooks"]
            ),
            st.just(0),
        ),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(OPERATIONS)
def test_refunds_of_every_origin_in_any_order_never_exceed_the_charge(
    api: Any, token_for: Any, stripe_emulator: str, operations: list[tuple[str, int]]
) -> None:
    """Admins, the player, the host and Stripe's dashboard give money back, disputes come and go, in
    any order: no answer is a 5xx, Stripe never holds refunds above the charge, and the books say
    exactly what Stripe says. (Examples share the test's table; each has a booking of its own.)"""
    setup, token, booking = paid_booking(api, token_for, stripe_emulator)  # 3000
    intent_id, booking_id = booking["payment"]["payment_intent_id"], booking["id"]
    admin = token_for(roles=("player", "admin"))
    dispute_id = None
    for op, amount in operations:
        if op == "admin refund":
            answer = api.post(
                f"/v1/admin/bookings/{booking_id}/refund",
                token=admin,
                json_body={"amount": amount, "reason": "goodwill"},
            )
        elif op == "player cancels":
            answer = api.post(f"/v1/bookings/{booking_id}/cancel", token=token)
        elif op == "host cancels the session":
            answer = api.post(f"/v1/sessions/{booking['session_id']}/cancel", token=setup.host_token)
        else:
            answer = None
            if op == "dashboard refund":
                with contextlib.suppress(stripe_module.InvalidRequestError):  # Stripe refuses what exceeds
                    client().v1.refunds.create({"payment_intent": intent_id, "amount": amount})
            elif op == "dispute" and dispute_id is None:
                with contextlib.suppress(HTTPError):  # nothing left to dispute
                    dispute_id = dev_post("/_config/disputes", payment_intent=intent_id)["id"]
            elif op.startswith("dispute ") and dispute_id is not None:
                with contextlib.suppress(HTTPError):  # closed already
                    dev_post(f"/_config/disputes/{dispute_id}/close", outcome=op.split()[1])
            charge = client().v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]}).latest_charge
            assert deliver(api, "charge.refunded", charge).status == 200
        if answer is not None:
            assert answer.status < 500, answer.body
    intent = client().v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]})
    deliver(api, "payment_intent.succeeded", intent)  # whatever Stripe did last is in the books
    refunds = client().v1.refunds.list({"payment_intent": intent_id, "limit": 100}).data
    at_stripe = sum(r.amount for r in refunds if r.status == "succeeded")
    assert at_stripe == intent.latest_charge.amount_refunded <= 3000
    r = receipt(api, admin, booking_id)
    assert r["refunded"]["amount"] == at_stripe
    assert api.get(f"/v1/bookings/{booking_id}", token=admin).json["amount_refunded"] == at_stripe
    # every refund we asked Stripe for went through once (none refused, none parked)
    assert {m.status for m in outbox.for_subject(booking_id) if m.kind == "payments.refund"} <= {"done"}
