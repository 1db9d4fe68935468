"""Security review: secrets never reach the logs, secrets come from the environment or SSM, JWTs are
pinned to RS256 with a known key, and every response carries the security headers, errors too."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.core.middleware import SECURITY_HEADERS
from devstack.issuer import Issuer
from tests import stripe_support
from tests.api.booking_helpers import book, deliver, listing_with_sessions, pay, player, stripe_client
from tests.api.catalog_helpers import NOW
from tests.api.helpers import assert_problem
from tests.conftest import TEST_ISSUER

CARD = "4242424242424242"


class _Captured(logging.Handler):
    """Every record, rendered as it would be written: the app's lines by its own formatter (JSON,
    redacting), the libraries' lines (botocore, urllib3, stripe) as Lambda's plain handler prints them."""

    def __init__(self, lines: list[str], formatter: logging.Formatter | None = None) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter or logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[list[str]]:
    from chalicelib.core.observability import logger

    lines: list[str] = []
    app_logger, root = logging.getLogger(logger.name), logging.getLogger()
    app_handler = _Captured(lines, logger.registered_formatter)  # type: ignore[arg-type]
    root_handler = _Captured(lines)
    level = root.level
    root.setLevel(logging.INFO)  # the libraries at the app's production level
    app_logger.addHandler(app_handler)
    root.addHandler(root_handler)
    yield lines
    app_logger.removeHandler(app_handler)
    root.removeHandler(root_handler)
    root.setLevel(level)


def test_no_secret_token_card_or_email_reaches_the_logs(
    api: Any, token_for: Any, stripe_emulator: str, logs: list[str]
) -> None:
    from chalicelib.core import clock

    clock.freeze(NOW)
    # sign-up of a host and a player, a listing, a paid booking, its card payment and webhook, a chat
    setup = listing_with_sessions(api, token_for)
    token, player_id = player(api, token_for)
    booking = book(api, token, setup.session_id, seats=1)
    assert booking.status == 201, booking.body
    client_secret = booking.json["payment"]["client_secret"]
    paid = pay(stripe_client(stripe_emulator), booking.json["payment"]["payment_intent_id"], card=CARD)
    assert deliver(api, "payment_intent.succeeded", paid).status == 200
    assert api.post("/v1/webhooks/stripe", body="{}", headers={"Stripe-Signature": "t=1,v1=forged"}).status == 400
    conversation = api.post("/v1/conversations", token=token, json_body={"type": "direct", "user_id": setup.host_id})
    assert conversation.status in (200, 201), conversation.body
    sent = api.post(
        f"/v1/conversations/{conversation.json['id']}/messages",
        token=token,
        json_body={"client_msg_id": "c-1", "body": "see you at the table"},
    )
    assert sent.status == 201, sent.body
    # failures log more: a forged token, a server error
    forged = Issuer(issuer=TEST_ISSUER.issuer, audience=TEST_ISSUER.audience).mint("usr_x", now=clock.now())
    assert api.get("/v1/me", token=forged).status == 401
    clock.reset()

    text = "\n".join(logs)
    assert "request done" in text  # the capture works: requests were logged
    emails = {f"{player_id.lower()}@example.test", f"{setup.host_id.lower()}@example.test"}
    forbidden = {
        "the player's bearer token": token,
        "the host's bearer token": setup.host_token,
        "a forged bearer token": forged,
        "the Stripe secret key": stripe_support.SECRET_KEY,
        "the webhook secret": stripe_support.WEBHOOK_SECRET,
        "the cursor secret": "test-cursor-secret",
        "the PaymentIntent's client secret": client_secret,
        **{f"the email {email}": email for email in emails},
    }
    for what, value in forbidden.items():
        assert value and value not in text, f"{what} was logged"
    assert not re.search(r"\b\d{13,19}\b", text), "a card-like number was logged"
    assert not re.search(r"pi_\w+_secret_\w+", text), "a client secret was logged"
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text), "a JWT was logged"
    assert "Bearer " not in text and "sk_test_" not in text and "whsec_" not in text


def test_secrets_come_from_ssm_when_not_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.core import secrets
    from chalicelib.core.settings import get_settings

    settings = get_settings()
    boto3.client("ssm", region_name=settings.aws_region).put_parameter(
        Name=f"/sesh/{settings.stage}/review_probe_secret", Value="from-ssm", Type="SecureString"
    )
    monkeypatch.delenv("REVIEW_PROBE_SECRET", raising=False)
    secrets.get_secret.cache_clear()
    try:
        assert secrets.get_secret("review_probe_secret") == "from-ssm"
        monkeypatch.setenv("REVIEW_PROBE_SECRET", "from-env")
        secrets.get_secret.cache_clear()
        assert secrets.get_secret("review_probe_secret") == "from-env"
    finally:
        secrets.get_secret.cache_clear()


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: dict[str, Any], claims: dict[str, Any], algorithm: str) -> str:
    import jwt

    return str(jwt.encode(claims, TEST_ISSUER.private_key, algorithm=algorithm, headers=header))


def _claims() -> dict[str, Any]:
    from chalicelib.core import clock

    now = int(clock.now().timestamp())
    return {"sub": "usr_x", "iss": TEST_ISSUER.issuer, "aud": TEST_ISSUER.audience, "iat": now, "exp": now + 600}


def test_a_token_with_an_unknown_kid_is_401(api: Any) -> None:
    token = _signed({"kid": "not-a-key-of-the-issuer"}, _claims(), "RS256")  # the right key, an unknown kid
    assert_problem(api.get("/v1/me", token=token), 401, "invalid_token")
    no_kid = _signed({}, _claims(), "RS256")
    assert_problem(api.get("/v1/me", token=no_kid), 401, "invalid_token")


def test_only_rs256_is_accepted_even_from_the_issuers_own_key(api: Any) -> None:
    good = _signed({"kid": TEST_ISSUER.kid}, _claims(), "RS256")
    assert api.get("/v1/me", token=good).status == 200  # the control: this one is valid
    for algorithm in ("RS384", "RS512", "PS256"):
        token = _signed({"kid": TEST_ISSUER.kid}, _claims(), algorithm)
        assert_problem(api.get("/v1/me", token=token), 401, "invalid_token")
    # "none" in another spelling, with an empty signature
    payload = _b64(json.dumps(_claims()).encode())
    for alg in ("None", "NONE", "nOnE"):
        header = _b64(json.dumps({"alg": alg, "kid": TEST_ISSUER.kid}).encode())
        assert_problem(api.get("/v1/me", token=f"{header}.{payload}."), 401, "invalid_token")


def test_every_response_carries_the_security_headers_errors_too(api: Any, token_for: Any) -> None:
    token = token_for()
    responses = {
        "200": api.get("/v1/me", token=token),
        "204 preflight": api.request(
            "OPTIONS", "/v1/me", headers={"Origin": "https://app.sesh.test", "Access-Control-Request-Method": "GET"}
        ),
        "400 malformed json": api.request(
            "PATCH", "/v1/me", token=token, body="{", headers={"Content-Type": "application/json"}
        ),
        "401": api.get("/v1/me"),
        "404 unknown id": api.get("/v1/users/usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", token=token),
        "405": api.delete("/v1/users/usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", token=token),
        "413": api.request(
            "PATCH", "/v1/me", token=token, body="x" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"}
        ),
        "415": api.request(
            "PATCH", "/v1/me", token=token, body="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
        "422": api.patch("/v1/me", token=token, json_body={"display_name": 7}),
    }
    for what, response in responses.items():
        assert str(response.status) == what.split()[0], (what, response.status, response.body)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name.lower()) == value, f"{name} missing on the {what} response"
        assert response.headers["x-request-id"]
