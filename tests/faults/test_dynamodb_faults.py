"""DynamoDB throttling and failing: a request answers a 503 problem with Retry-After after botocore's
own retries, and changes nothing half-way; a timer due during the fault runs once after it clears."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import sweep
from tests.api.booking_helpers import FREE, book, listing_with_sessions, player
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem
from tests.fault_proxy import DYNAMODB_INTERNAL, DYNAMODB_THROTTLED, RESET, Fault, FaultProxy, target


def _seats(api: Any, session_id: str) -> tuple[int, int]:
    found = api.get(f"/v1/sessions/{session_id}")
    assert found.status == 200, found.body
    return found.json["seats_booked"], found.json["seats_held"]


def _my_bookings(api: Any, token: str) -> list[dict[str, Any]]:
    found = api.get("/v1/me/bookings", token=token)
    assert found.status == 200, found.body
    return list(found.json["items"])


def test_a_throttled_booking_answers_503_and_leaves_seats_and_bookings_unchanged(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy]
) -> None:
    setup = listing_with_sessions(api, token_for, capacity=3, **FREE)
    token, _ = player(api, token_for)
    dynamodb = proxies["dynamodb"]

    with dynamodb.failing(Fault.answer(DYNAMODB_THROTTLED), when=target("TransactWriteItems")):
        refused = book(api, token, setup.session_id, seats=2)

    problem = assert_problem(refused, 503, "dependency_unavailable")
    assert refused.headers["retry-after"] == "1"
    assert "Throughput" not in problem["detail"]  # no internals on the wire
    assert refused.headers["x-content-type-options"] == "nosniff" and refused.headers["cache-control"] == "no-store"
    # botocore retried the throttled write before giving up (its retries are part of the behaviour)
    assert len(dynamodb.seen(faulted=True, when=target("TransactWriteItems"))) > 1
    assert _seats(api, setup.session_id) == (0, 0)
    assert _my_bookings(api, token) == []
    # nothing left behind blocks the player (no guard item): the same booking now goes through
    again = book(api, token, setup.session_id, seats=2)
    assert again.status == 201, again.body
    assert _seats(api, setup.session_id) == (2, 0)
    assert [b["state"] for b in _my_bookings(api, token)] == ["confirmed"]


def test_reads_failing_with_5xx_or_resets_answer_503_not_500(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy]
) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _ = player(api, token_for)
    dynamodb = proxies["dynamodb"]

    for fault in (Fault.answer(DYNAMODB_INTERNAL), RESET):
        with dynamodb.failing(fault):
            assert_problem(api.get(f"/v1/sessions/{setup.session_id}"), 503, "dependency_unavailable")
            assert_problem(book(api, token, setup.session_id), 503, "dependency_unavailable")
    assert _seats(api, setup.session_id) == (0, 0)
    assert _my_bookings(api, token) == []


def test_a_hold_timer_due_during_throttling_runs_once_after_it_clears(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy]
) -> None:
    from chalicelib.core import clock

    setup = listing_with_sessions(api, token_for, capacity=2)  # paid: the seat is held for payment
    token, _ = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=1)
    assert booking.status == 201, booking.body
    assert _seats(api, setup.session_id) == (0, 1)

    clock.freeze(NOW + timedelta(minutes=20))  # the 15-minute hold is due
    # the sweep finds the timer but every claim (a conditional UpdateItem) is throttled
    with proxies["dynamodb"].failing(Fault.answer(DYNAMODB_THROTTLED), when=target("UpdateItem")):
        during = sweep.run(lookback_minutes=30)
    assert during.processed == 0 and not during.complete
    assert _seats(api, setup.session_id) == (0, 1)

    after = sweep.run(lookback_minutes=30)
    assert after.counts.get("TimersFired") == 1, after.counts
    assert _seats(api, setup.session_id) == (0, 0)
    assert [b["state"] for b in _my_bookings(api, token)] == ["expired"]

    clock.freeze(NOW + timedelta(minutes=25))  # a later sweep finds nothing left to do for it
    assert sweep.run(lookback_minutes=30).counts.get("TimersFired", 0) == 0
    assert [b["state"] for b in _my_bookings(api, token)] == ["expired"]
