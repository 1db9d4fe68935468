"""The feed (cursor, unread filter, unread count, read marks), preferences, one-click unsubscribe,
push devices on SNS platform endpoints (moto), and strangers on every route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.core import clock, events, sweep
from chalicelib.core.table import write_transaction
from tests.api.booking_helpers import FREE, book, listing_with_sessions
from tests.api.helpers import assert_problem
from tests.api.notification_helpers import FlakySes, feed, flaky_ses, push_platforms, user

pytestmark = pytest.mark.usefixtures("frozen_clock")

ROUTES = [
    ("GET", "/v1/me/notifications", None),
    ("POST", "/v1/me/notifications/read", {"all": True}),
    ("GET", "/v1/me/notification-preferences", None),
    ("PUT", "/v1/me/notification-preferences", {"categories": {}}),
    ("POST", "/v1/me/devices", {"platform": "ios", "token": "a" * 64}),
    ("DELETE", "/v1/me/devices", {"platform": "ios", "token": "a" * 64}),
    ("GET", "/v1/me/calendar", None),
    ("POST", "/v1/me/calendar/rotate", None),
]


@pytest.fixture
def ses() -> Iterator[FlakySes]:
    from chalicelib.notifications import email as email_adapter

    fake = flaky_ses()
    email_adapter.use_client(fake)
    yield fake
    email_adapter.use_client(None)


@pytest.fixture
def sns() -> Iterator[Any]:
    with push_platforms() as client:
        yield client


def _notify(player_id: str, n: int) -> None:
    """`n` waitlist notices for the player, one a minute (events published as booking would)."""
    for i in range(n):
        clock.advance(60)
        with write_transaction() as tx:
            events.publish(
                tx,
                "waitlist.joined",
                subject=f"wl_{i}",
                dedupe=f"{player_id}#{i}",
                entry_id=f"wl_{i}",
                session_id="ses_none",
                player_id=player_id,
            )
        sweep.run(lookback_minutes=5, workers=1)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_strangers_get_401(api: Any, method: str, path: str, body: Any) -> None:
    assert_problem(api.request(method, path, json_body=body), 401)
    assert_problem(api.request(method, path, json_body=body, token="not-a-token"), 401)


def test_feed_pages_filters_and_marks_read(api: Any, token_for: Any) -> None:
    token, player_id, _ = user(api, token_for)
    other, _, _ = user(api, token_for)
    _notify(player_id, 5)
    first = feed(api, token, limit="2")
    assert len(first["items"]) == 2 and first["unread_count"] == 5 and first["next_cursor"]
    rest = feed(api, token, limit="10", cursor=first["next_cursor"])
    ids = [n["id"] for n in first["items"] + rest["items"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)  # newest first
    assert_problem(api.get(f"/v1/me/notifications?unread=true&cursor={first['next_cursor']}", token=token), 400)

    marked = api.post("/v1/me/notifications/read", token=token, json_body={"ids": ids[:2]})
    assert marked.status == 200 and marked.json == {"marked": 2, "unread_count": 3}
    again = api.post("/v1/me/notifications/read", token=token, json_body={"ids": ids[:2]})
    assert again.json == {"marked": 0, "unread_count": 3}
    unread = feed(api, token, unread="true")
    assert [n["id"] for n in unread["items"]] == ids[2:] and not any(n["read"] for n in unread["items"])
    # a stranger's ids do nothing to mine
    assert api.post("/v1/me/notifications/read", token=other, json_body={"ids": ids}).json["marked"] == 0
    assert feed(api, other)["items"] == []
    assert api.post("/v1/me/notifications/read", token=token, json_body={"all": True}).json["unread_count"] == 0
    assert feed(api, token, unread="true")["items"] == []


def test_feed_and_read_refuse_bad_input(api: Any, token_for: Any) -> None:
    token, _, _ = user(api, token_for)
    assert_problem(api.get("/v1/me/notifications?limit=0", token=token), 422)
    assert_problem(api.get("/v1/me/notifications?limit=1000", token=token), 422)
    assert_problem(api.get("/v1/me/notifications?cursor=garbage", token=token), 400)
    assert_problem(api.post("/v1/me/notifications/read", token=token, json_body={}), 422)
    assert_problem(api.post("/v1/me/notifications/read", token=token, json_body={"ids": ["a"], "all": True}), 422)
    assert_problem(api.post("/v1/me/notifications/read", token=token, json_body={"ids": []}), 422)
    assert_problem(
        api.post("/v1/me/notifications/read", token=token, body="{oops", headers={"Content-Type": "application/json"}),
        400,
    )


def test_preferences_read_change_and_refuse(api: Any, token_for: Any) -> None:
    token, _, _ = user(api, token_for)
    initial = api.get("/v1/me/notification-preferences", token=token).json
    assert initial["categories"]["bookings"] == {"in_app": True, "email": True, "push": True}
    assert initial["always_on"] == ["receipts", "security"] and initial["version"] == 0
    changed = api.put(
        "/v1/me/notification-preferences",
        token=token,
        json_body={"categories": {"chat": {"email": False}, "reminders": {"push": False}}},
    )
    assert changed.status == 200, changed.body
    assert changed.json["categories"]["chat"] == {"in_app": True, "email": False, "push": True}
    assert changed.json["version"] == 1
    assert api.get("/v1/me/notification-preferences", token=token).json == changed.json
    stale = api.put(
        "/v1/me/notification-preferences",
        token=token,
        headers={"If-Match": "0"},
        json_body={"categories": {"chat": {"email": True}}},
    )
    assert_problem(stale, 412)
    assert_problem(
        api.put(
            "/v1/me/notification-preferences", token=token, json_body={"categories": {"receipts": {"email": False}}}
        ),
        422,
    )
    assert_problem(
        api.put(
            "/v1/me/notification-preferences", token=token, json_body={"categories": {"nonsense": {"email": False}}}
        ),
        422,
    )
    assert_problem(
        api.put("/v1/me/notification-preferences", token=token, json_body={"categories": {"chat": {"sms": True}}}), 422
    )
    assert_problem(api.put("/v1/me/notification-preferences", token=token, json_body={"categories": []}), 422)


def test_one_click_unsubscribe_turns_off_that_categorys_email(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _, address = user(api, token_for)
    book(api, token, setup.session_id)
    [mail] = ses.to(address)
    url = mail.headers["List-Unsubscribe"].strip("<>")
    assert url in mail.text
    target = urlsplit(url)
    path = f"{target.path}?{target.query}"
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    forged = path.replace(params["sig"], "0" * len(params["sig"]))
    assert_problem(api.post(forged, body="List-Unsubscribe=One-Click"), 404)
    assert_problem(api.post(path.replace("bookings", "receipts")), 404)  # receipts cannot be turned off
    assert_problem(api.get("/v1/notifications/unsubscribe", token=token), 422)
    done = api.post(
        path, body="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert done.status == 200 and done.headers["content-type"].startswith("text/html")
    assert api.get(path).status == 200  # the footer link, clicked after: still fine
    prefs = api.get("/v1/me/notification-preferences", token=token).json
    assert prefs["categories"]["bookings"] == {"in_app": True, "email": False, "push": True}


def test_devices_register_receive_pushes_and_invalid_endpoints_are_removed(
    api: Any, token_for: Any, sns: Any, ses: FlakySes
) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, _, _ = user(api, token_for)
    device = {"platform": "android", "token": "fcm-token-" + "x" * 40}
    added = api.post("/v1/me/devices", token=token, json_body=device)
    assert added.status == 201, added.body
    assert api.post("/v1/me/devices", token=token, json_body=device).json["id"] == added.json["id"]  # idempotent
    [app_arn] = [
        a["PlatformApplicationArn"]
        for a in sns.list_platform_applications()["PlatformApplications"]
        if a["PlatformApplicationArn"].endswith("/sesh-test-android")
    ]
    [endpoint] = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"]
    assert endpoint["Attributes"]["Token"] == device["token"]

    book(api, token, setup.session_id)  # booking emails, in-app and a push
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints[endpoint["EndpointArn"]].messages
    assert len(sent) == 1
    assert "booked" in json.loads(json.loads(next(iter(sent.values())))["GCM"])["notification"]["title"]

    # the platform disables the endpoint (app uninstalled): the next push removes the device
    sns.set_endpoint_attributes(EndpointArn=endpoint["EndpointArn"], Attributes={"Enabled": "false"})
    clock.advance(60)
    other = listing_with_sessions(api, token_for, **FREE)
    book(api, token, other.session_id)
    assert sns.list_endpoints_by_platform_application(PlatformApplicationArn=app_arn)["Endpoints"] == []
    assert_problem(api.delete("/v1/me/devices", token=token, json_body=device), 404)


def test_device_input_errors_and_removal(api: Any, token_for: Any, sns: Any) -> None:
    token, _, _ = user(api, token_for)
    stranger, _, _ = user(api, token_for)
    assert_problem(api.post("/v1/me/devices", token=token, json_body={"platform": "windows", "token": "a" * 20}), 422)
    assert_problem(api.post("/v1/me/devices", token=token, json_body={"platform": "ios", "token": "<script>"}), 422)
    assert_problem(api.post("/v1/me/devices", token=token, json_body={"platform": "ios"}), 422)
    device = {"platform": "ios", "token": "ab" * 32}
    assert api.post("/v1/me/devices", token=token, json_body=device).status == 201
    assert_problem(api.delete("/v1/me/devices", token=stranger, json_body=device), 404)  # not theirs
    assert api.delete("/v1/me/devices", token=token, json_body=device).status == 204
    assert_problem(api.delete("/v1/me/devices", token=token, json_body=device), 404)
