"""GET/PATCH /v1/me: authentication failures, validation failures that change nothing, edits."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from devstack.issuer import Issuer
from tests.api.helpers import assert_problem
from tests.conftest import TEST_ISSUER


def test_first_call_creates_the_user_from_the_token(api, token_for):
    token = token_for(name="Ada Lovelace", email="ada@example.test")
    me = api.get("/v1/me", token=token)
    assert me.status == 200
    body = me.json
    assert body["id"].startswith("usr_")
    assert body["display_name"] == "Ada Lovelace"
    assert body["email"] == "ada@example.test"
    assert body["roles"] == ["player"]
    assert body["locale"] == "en" and body["timezone"] == "UTC" and body["currency"] == "usd"
    again = api.get("/v1/me", token=token)
    assert again.json["id"] == body["id"]


def test_a_foreign_subject_gets_a_sesh_id(api):
    from chalicelib.core import clock

    token = TEST_ISSUER.mint("c0ffee00-cognito-sub", now=clock.now(), email="x@example.test")
    first = api.get("/v1/me", token=token).json
    second = api.get("/v1/me", token=token).json
    assert first["id"].startswith("usr_") and first["id"] == second["id"]


def test_no_token_is_401(api):
    assert_problem(api.get("/v1/me"), 401, "missing_token")


def test_malformed_authorization_header_is_401(api):
    assert_problem(api.get("/v1/me", headers={"Authorization": "Basic abc"}), 401, "invalid_token")
    assert_problem(api.get("/v1/me", headers={"Authorization": "Bearer not.a.jwt"}), 401, "invalid_token")


def test_token_signed_by_another_key_is_401(api):
    from chalicelib.core import clock

    impostor = Issuer(issuer=TEST_ISSUER.issuer, audience=TEST_ISSUER.audience)  # same kid, other key
    assert_problem(api.get("/v1/me", token=impostor.mint("usr_x", now=clock.now())), 401, "invalid_token")


def test_expired_token_is_401(api):
    from chalicelib.core import clock

    old = TEST_ISSUER.mint("usr_x", now=clock.now() - timedelta(hours=2), ttl_seconds=3600)
    assert_problem(api.get("/v1/me", token=old), 401, "token_expired")


def test_token_expires_on_the_movable_clock(api, token_for):
    from chalicelib.core import clock

    token = token_for(ttl_seconds=600)
    assert api.get("/v1/me", token=token).status == 200
    clock.advance(3600)
    assert_problem(api.get("/v1/me", token=token), 401, "token_expired")


def test_token_not_yet_valid_is_401(api):
    from chalicelib.core import clock

    future = TEST_ISSUER.mint("usr_x", now=clock.now() + timedelta(hours=1))
    assert_problem(api.get("/v1/me", token=future), 401, "invalid_token")


def test_wrong_audience_or_issuer_is_401(api):
    from chalicelib.core import clock

    other_audience = TEST_ISSUER.mint("usr_x", now=clock.now(), audience="someone-else")
    assert_problem(api.get("/v1/me", token=other_audience), 401, "invalid_token")
    other_issuer = Issuer(
        issuer="https://evil.test", audience=TEST_ISSUER.audience, private_key=TEST_ISSUER.private_key
    )
    assert_problem(api.get("/v1/me", token=other_issuer.mint("usr_x", now=clock.now())), 401, "invalid_token")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_unsigned_and_hs256_tokens_are_refused(api):
    from chalicelib.core import clock

    now = int(clock.now().timestamp())
    claims = {"sub": "usr_x", "iss": TEST_ISSUER.issuer, "aud": TEST_ISSUER.audience, "iat": now, "exp": now + 600}
    payload = _b64(json.dumps(claims).encode())
    unsigned = f"{_b64(json.dumps({'alg': 'none', 'kid': TEST_ISSUER.kid}).encode())}.{payload}."
    assert_problem(api.get("/v1/me", token=unsigned), 401, "invalid_token")
    # HS256 keyed with the issuer's public key: the classic algorithm-confusion forgery.
    public_pem = TEST_ISSUER.private_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'kid': TEST_ISSUER.kid}).encode())}.{payload}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_problem(api.get("/v1/me", token=f"{signing_input}.{_b64(mac)}"), 401, "invalid_token")


def _me(api, token):
    response = api.get("/v1/me", token=token)
    assert response.status == 200
    return response.json


def test_patch_updates_validated_fields_and_bumps_version(api, token_for):
    token = token_for()
    before = _me(api, token)
    response = api.patch(
        "/v1/me",
        token=token,
        json_body={
            "display_name": "  Mira  ",
            "bio": "GM since 2009",
            "locale": "pt-br",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
        },
    )
    assert response.status == 200, response.body
    after = response.json
    assert after["display_name"] == "Mira"
    assert after["locale"] == "pt-BR"
    assert after["timezone"] == "Europe/Berlin"
    assert after["currency"] == "eur"
    assert after["version"] == before["version"] + 1
    assert _me(api, token) == after


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"locale": "xx-QQ-nonsense"}, "locale"),
        ({"locale": "zz"}, "locale"),
        ({"currency": "usdd"}, "currency"),
        ({"currency": "abc"}, "currency"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"email": "me@evil.test"}, "email"),
        ({"roles": ["admin"]}, "roles"),
        ({"avatar_key": "avatars/usr_someone_else/a.png"}, "avatar_key"),
    ],
)
def test_patch_rejects_invalid_fields_and_changes_nothing(api, token_for, body, field):
    token = token_for()
    before = _me(api, token)
    problem = assert_problem(api.patch("/v1/me", token=token, json_body=body), 422)
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["errors"][0]["message"]
    assert _me(api, token) == before


def test_patch_unknown_field_is_named(api, token_for):
    problem = assert_problem(
        api.patch("/v1/me", token=token_for(), json_body={"nickname": "x"}), 422, "validation_failed"
    )
    assert problem["errors"] == [{"field": "nickname", "message": "unknown field"}]


def test_patch_empty_object_is_422(api, token_for):
    assert_problem(api.patch("/v1/me", token=token_for(), json_body={}), 422)


def test_patch_broken_json_is_400_and_changes_nothing(api, token_for):
    token = token_for()
    before = _me(api, token)
    problem = assert_problem(
        api.patch("/v1/me", token=token, body='{"bio": "unterminated', headers={"Content-Type": "application/json"}),
        400,
        "malformed_json",
    )
    assert "JSON" in problem["detail"]
    assert _me(api, token) == before


def test_patch_two_megabyte_body_is_413_and_changes_nothing(api, token_for):
    token = token_for()
    before = _me(api, token)
    huge = '{"bio": "' + "a" * (2 * 1024 * 1024) + '"}'
    problem = assert_problem(
        api.patch("/v1/me", token=token, body=huge, headers={"Content-Type": "application/json"}), 413
    )
    assert "limit" in problem["detail"]
    assert _me(api, token) == before


def test_patch_other_media_type_is_415(api, token_for):
    response = api.patch(
        "/v1/me", token=token_for(), body="bio=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_patch_with_stale_if_match_is_412_and_changes_nothing(api, token_for):
    token = token_for()
    v1 = _me(api, token)["version"]
    assert api.patch("/v1/me", token=token, json_body={"bio": "one"}, headers={"If-Match": str(v1)}).status == 200
    stale = api.patch("/v1/me", token=token, json_body={"bio": "two"}, headers={"If-Match": f'"{v1}"'})
    assert_problem(stale, 412, "version_mismatch")
    assert _me(api, token)["bio"] == "one"


def test_patch_without_token_is_401(api):
    assert_problem(api.patch("/v1/me", json_body={"bio": "x"}), 401)


def test_a_subject_naming_another_users_id_does_not_take_over_that_user(api):
    from chalicelib.core import clock

    # A Cognito-style user gets a fresh Sesh id...
    victim = TEST_ISSUER.mint("5f2b-cognito-sub", now=clock.now(), name="Victim")
    victim_profile = api.get("/v1/me", token=victim).json
    # ...and a token whose subject is that id is another identity: it gets its own user.
    impostor = TEST_ISSUER.mint(victim_profile["id"], now=clock.now(), name="Impostor")
    impostor_profile = api.get("/v1/me", token=impostor).json
    assert impostor_profile["id"] != victim_profile["id"]
    assert impostor_profile["display_name"] == "Impostor"
    assert api.get("/v1/me", token=victim).json == victim_profile
