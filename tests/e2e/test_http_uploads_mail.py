"""HTTP through the local gateway, presigned uploads to the local S3, and the email sink."""

from __future__ import annotations

import uuid

from tests.e2e.stack import Stack, wait_for

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, not valid UTF-8


def test_routes_errors_and_cors_go_through_the_gateway(stack: Stack) -> None:
    token, user_id = stack.token(name="Gateway Tester", email="gw@sesh.example")
    me = stack.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["id"] == user_id
    assert me.headers["x-request-id"] == me.headers["x-amzn-requestid"]  # the gateway's request id

    public = stack.get(f"/v1/users/{user_id}?expand=x&expand=y")  # a path parameter and repeated query keys
    assert public.status_code == 200 and public.json()["display_name"] == "Gateway Tester"

    anonymous = stack.get("/v1/me")
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"

    unknown = stack.get("/v2/nothing/here")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    # Any path reaches the app as API Gateway hands it over, a line feed in a parameter included.
    for odd in ("/v1/users/usr_x%0A", "/v1/admin/bookings/%C2%A4%0A/refund", "/v1/me/"):
        answer = stack.request("POST" if odd.endswith("refund") else "GET", odd)
        assert answer.headers["content-type"] == "application/problem+json", (odd, answer.text)
        assert answer.status_code in (401, 404), (odd, answer.status_code)

    preflight = stack.request("OPTIONS", "/v1/me", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "PATCH"})  # fmt: skip
    assert preflight.status_code == 204
    assert "PATCH" in preflight.headers["access-control-allow-methods"]


def test_presigned_avatar_upload_then_profile_update(stack: Stack) -> None:
    token, _ = stack.token()
    auth = {"Authorization": f"Bearer {token}"}
    created = stack.post("/v1/me/avatar", json={"content_type": "image/png"}, headers=auth)
    assert created.status_code == 201, created.text
    upload = created.json()

    import requests

    stored = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("avatar.png", PNG, "image/png")}, timeout=10
    )
    assert stored.status_code in (200, 201, 204), stored.text

    patched = stack.patch("/v1/me", json={"avatar_key": upload["key"]}, headers=auth)
    assert patched.status_code == 200, patched.text
    avatar_url = patched.json()["avatar_url"]
    assert avatar_url and upload["key"] in avatar_url
    assert requests.get(avatar_url, timeout=10).content == PNG


def test_an_email_sent_by_app_code_appears_in_the_sink(stack: Stack) -> None:
    to = f"mail-{uuid.uuid4().hex[:8]}@sesh.example"
    sent = stack.post(
        "/dev/mail/test", json={"to": [to], "subject": "Welcome to Sesh", "text": "Hi!", "html": "<p>Hi!</p>"}
    )
    assert sent.status_code == 202, sent.text
    mail = wait_for(lambda: stack.get("/dev/mail", params={"to": to}).json()["items"], 10, "the email")
    assert len(mail) == 1
    assert mail[0]["to"] == [to]
    assert mail[0]["subject"] == "Welcome to Sesh"
    assert mail[0]["text"].strip() == "Hi!"
    assert mail[0]["html"].strip() == "<p>Hi!</p>"
    assert "no-reply@sesh.example" in mail[0]["from"]
