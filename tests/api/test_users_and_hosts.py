"""Public profiles, becoming a host, and avatar uploads."""

from __future__ import annotations

import boto3

from tests.api.helpers import assert_problem

HOST_PROFILE = {
    "kinds": ["game_master", "teacher"],
    "headline": "Horror one-shots with strong safety tools",
    "game_systems": ["Call of Cthulhu", "Mothership"],
    "genres": ["horror"],
    "skills": ["voices", "maps"],
    "gear": ["Foundry VTT license"],
    "languages": ["en", "de"],
    "portfolio_links": ["https://example.com/portfolio"],
    "safety_tools": ["x_card", "lines_and_veils"],
    "rates_text": "From $15 per seat",
}


def _me(api, token):
    return api.get("/v1/me", token=token).json


def test_public_profile_hides_private_fields(api, token_for):
    token = token_for(email="secret@example.test", name="Quinn")
    me = _me(api, token)
    public = api.get(f"/v1/users/{me['id']}")
    assert public.status == 200
    body = public.json
    assert body["display_name"] == "Quinn"
    assert body["is_host"] is False and body["host_profile"] is None
    for private in ("email", "locale", "timezone", "currency", "roles", "version"):
        assert private not in body
    assert "secret@example.test" not in public.body.decode()


def test_unknown_user_is_404(api, token_for):
    from chalicelib.core import ids

    assert_problem(api.get(f"/v1/users/{ids.new_id('usr')}"), 404, "not_found")
    assert_problem(api.get("/v1/users/not-an-id"), 404, "not_found")


def test_public_profile_with_a_bad_token_is_401(api, token_for):
    me = _me(api, token_for())
    assert_problem(api.get(f"/v1/users/{me['id']}", headers={"Authorization": "Bearer junk"}), 401)


def test_becoming_a_host_grants_the_role_and_shows_the_profile(api, token_for):
    token = token_for()
    response = api.put("/v1/me/host", token=token, json_body=HOST_PROFILE)
    assert response.status == 200, response.body
    me = response.json
    assert "host" in me["roles"] and me["is_host"] is True
    assert me["host_profile"]["kinds"] == ["game_master", "teacher"]
    assert me["host_profile"]["portfolio_links"] == ["https://example.com/portfolio"]
    # The role sticks for later requests with the same (player-only) token.
    assert "host" in _me(api, token)["roles"]
    public = api.get(f"/v1/users/{me['id']}").json
    assert public["is_host"] is True
    assert public["host_profile"]["headline"] == HOST_PROFILE["headline"]
    assert public["host_profile"]["safety_tools"] == ["x_card", "lines_and_veils"]


def test_host_profile_replace_with_stale_version_is_412(api, token_for):
    token = token_for()
    first = api.put("/v1/me/host", token=token, json_body=HOST_PROFILE).json["host_profile"]["version"]
    changed = {**HOST_PROFILE, "headline": "Now also mixing"}
    assert api.put("/v1/me/host", token=token, json_body=changed, headers={"If-Match": str(first)}).status == 200
    stale = api.put("/v1/me/host", token=token, json_body=HOST_PROFILE, headers={"If-Match": str(first)})
    assert_problem(stale, 412)
    assert _me(api, token)["host_profile"]["headline"] == "Now also mixing"


def test_host_profile_validation(api, token_for):
    token = token_for()
    cases = [
        ({**HOST_PROFILE, "kinds": []}, "kinds"),
        ({**HOST_PROFILE, "kinds": ["wizard"]}, "kinds.0"),
        ({**HOST_PROFILE, "portfolio_links": ["not a url"]}, "portfolio_links.0"),
        ({**HOST_PROFILE, "portfolio_links": ["javascript:alert(1)"]}, "portfolio_links.0"),
        ({**HOST_PROFILE, "languages": ["klingon-xx"]}, "languages.0"),
        ({**HOST_PROFILE, "safety_tools": ["vibes"]}, "safety_tools.0"),
        ({k: v for k, v in HOST_PROFILE.items() if k != "headline"}, "headline"),
    ]
    for body, field in cases:
        problem = assert_problem(api.put("/v1/me/host", token=token, json_body=body), 422)
        assert field in [e["field"] for e in problem["errors"]], (field, problem["errors"])
    assert _me(api, token)["is_host"] is False


def test_avatar_upload_policy_limits_type_size_and_key(api, token_for):
    token = token_for()
    me = _me(api, token)
    response = api.post("/v1/me/avatar", token=token, json_body={"content_type": "image/png"})
    assert response.status == 201, response.body
    upload = response.json
    assert upload["key"].startswith(f"avatars/{me['id']}/") and upload["key"].endswith(".png")
    assert upload["max_bytes"] == 5 * 1024 * 1024
    assert upload["fields"]["key"] == upload["key"]
    assert upload["fields"]["Content-Type"] == "image/png"
    assert "policy" in upload["fields"]
    # The key it returned is accepted as the avatar once uploaded.
    from chalicelib.core.settings import get_settings

    boto3.client("s3").put_object(Bucket=get_settings().uploads_bucket, Key=upload["key"], Body=b"\x89PNG")
    patched = api.patch("/v1/me", token=token, json_body={"avatar_key": upload["key"]})
    assert patched.status == 200
    assert upload["key"] in patched.json["avatar_url"]


def test_avatar_upload_refuses_other_types(api, token_for):
    problem = assert_problem(api.post("/v1/me/avatar", token=token_for(), json_body={"content_type": "text/html"}), 422)
    assert problem["errors"][0]["field"] == "content_type"


def test_every_accounts_route_needs_a_token(api):
    for method, path in [("GET", "/v1/me"), ("PATCH", "/v1/me"), ("PUT", "/v1/me/host"), ("POST", "/v1/me/avatar")]:
        assert_problem(api.request(method, path, json_body={}), 401)
