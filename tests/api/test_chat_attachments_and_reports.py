"""Attachments (presigned uploads, proven by HeadObject before a message may name them, downloaded
through presigned GETs) and moderation (reports, and admins removing messages)."""

from __future__ import annotations

from urllib.parse import urlparse

import boto3

from tests.api.chat_helpers import direct, group, history, new_user, send
from tests.api.helpers import assert_problem


def _s3_put(key: str, content_type: str, data: bytes = b"\x89PNG....") -> None:
    from chalicelib.core.settings import get_settings

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=data, ContentType=content_type)


def _upload(api, user, cid, content_type: str, size: int = 8) -> str:
    response = api.post(
        f"/v1/conversations/{cid}/attachments",
        token=user.token,
        json_body={"content_type": content_type, "size_bytes": size},
    )
    assert response.status == 201, response.body
    body = response.json
    assert body["fields"]["key"] == body["key"] and body["max_bytes"] == size
    assert body["key"].startswith(f"chat/{cid}/{user.id}/")
    return str(body["key"])


def test_upload_then_send_then_members_download(api, token_for):
    ana, ben = new_user(api, token_for), new_user(api, token_for)
    cid = direct(api, ana, ben)
    photo = _upload(api, ana, cid, "image/png")
    voice = _upload(api, ana, cid, "audio/ogg")
    pdf = _upload(api, ana, cid, "application/pdf")
    _s3_put(photo, "image/png")
    _s3_put(voice, "audio/ogg", b"OggS....")
    _s3_put(pdf, "application/pdf", b"%PDF-1.7")
    attachments = [
        {"key": photo},
        {"key": voice, "duration_seconds": 12.5},
        {"key": pdf, "filename": "character-sheet.pdf"},
    ]
    response = api.post(
        f"/v1/conversations/{cid}/messages",
        token=ana.token,
        json_body={"client_msg_id": "a1", "attachments": attachments},
    )
    assert response.status == 201, response.body
    sent = response.json
    assert sent["body"] is None
    kinds = [(a["kind"], a["content_type"], a["duration_seconds"], a["filename"]) for a in sent["attachments"]]
    assert kinds == [
        ("image", "image/png", None, None),
        ("audio", "audio/ogg", 12.5, None),
        ("document", "application/pdf", None, "character-sheet.pdf"),
    ]
    seen = history(api, ben, cid)["items"][0]["attachments"]
    url = urlparse(seen[0]["url"])
    assert url.path.endswith(photo) and "Signature" in url.query
    assert api.get("/v1/conversations", token=ben.token).json["items"][0]["last_message"]["preview"] == "📷 Photo (+2)"


def test_a_message_names_only_the_senders_own_finished_uploads(api, token_for):
    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    other = direct(api, ana, eve)
    pending = _upload(api, ana, cid, "image/jpeg")
    bens = _upload(api, ben, cid, "image/jpeg")
    elsewhere = _upload(api, ana, other, "image/jpeg")
    voice = _upload(api, ana, cid, "audio/mpeg")
    for key in (bens, elsewhere, voice):
        _s3_put(key, "audio/mpeg" if key == voice else "image/jpeg")
    _s3_put(f"chat/{cid}/{ana.id}/sneaky.exe", "application/x-msdownload")

    def attempt(*attachments):
        body = {"body": "look", "attachments": list(attachments)}
        return api.post(f"/v1/conversations/{cid}/messages", token=ana.token, json_body=body)

    assert assert_problem(attempt({"key": pending}), 422)["errors"][0]["field"] == "attachments.0.key"  # not uploaded
    assert_problem(attempt({"key": bens}), 422)  # someone else's
    assert_problem(attempt({"key": elsewhere}), 422)  # another conversation's
    assert_problem(attempt({"key": f"chat/{cid}/{ana.id}/../{ben.id}/x.jpg"}), 422)
    assert_problem(attempt({"key": f"chat/{cid}/{ana.id}/sneaky.exe"}), 422)  # not an allowed type
    no_duration = assert_problem(attempt({"key": voice}), 422)
    assert no_duration["errors"][0]["field"] == "attachments.0.duration_seconds"
    assert_problem(attempt({"key": voice, "duration_seconds": 0}), 422)
    assert_problem(attempt({"key": voice, "duration_seconds": 1}, {"key": voice, "duration_seconds": 1}), 422)
    assert attempt({"key": voice, "duration_seconds": 3.2}).status == 201


def test_upload_route_errors(api, token_for):
    ana, ben, eve = (new_user(api, token_for) for _ in range(3))
    cid = direct(api, ana, ben)
    path = f"/v1/conversations/{cid}/attachments"
    assert_problem(api.post(path, token=ana.token, json_body={"content_type": "video/mp4", "size_bytes": 8}), 422)
    too_big = {"content_type": "application/pdf", "size_bytes": 25 * 1024 * 1024 + 1}
    assert_problem(api.post(path, token=ana.token, json_body=too_big), 422)
    assert_problem(api.post(path, token=ana.token, json_body={"content_type": "image/png", "size_bytes": 0}), 422)
    ok = {"content_type": "image/png", "size_bytes": 8}
    assert_problem(api.post(path, token=eve.token, json_body=ok), 404)
    assert_problem(api.post(path, json_body=ok), 401)


def test_members_report_and_admins_remove(api, token_for):
    owner, member, eve = (new_user(api, token_for) for _ in range(3))
    admin = new_user(api, token_for, roles=["player", "admin"])
    cid = group(api, owner, member)
    bad = send(api, owner, cid, "buy cheap gold at example.com")
    fine = send(api, owner, cid, "see you friday")
    reports = f"/v1/conversations/{cid}/messages/{bad['id']}/reports"
    first = api.post(reports, token=member.token, json_body={"reason": "spam", "detail": "an ad"})
    assert first.status == 201 and first.json == {"message_id": bad["id"], "status": "open"}
    assert api.post(reports, token=member.token, json_body={"reason": "spam"}).status == 200  # once per member
    assert_problem(api.post(reports, token=owner.token, json_body={"reason": "spam"}), 422, "own_message")
    assert_problem(api.post(reports, token=member.token, json_body={"reason": "boring"}), 422)
    assert_problem(api.post(reports, token=eve.token, json_body={"reason": "spam"}), 404)
    assert_problem(api.post(reports, json_body={"reason": "spam"}), 401)
    no_message = f"/v1/conversations/{cid}/messages/msg_nope/reports"
    assert_problem(api.post(no_message, token=member.token, json_body={"reason": "spam"}), 404)
    api.post(
        f"/v1/conversations/{cid}/messages/{fine['id']}/reports", token=member.token, json_body={"reason": "other"}
    )

    assert_problem(api.get("/v1/chat/reports", token=member.token), 403, "admin_only")
    assert_problem(api.get("/v1/chat/reports"), 401)
    assert_problem(api.get("/v1/chat/reports?status=closed", token=admin.token), 422)
    listed = api.get("/v1/chat/reports", token=admin.token).json["items"]
    assert [r["message_id"] for r in listed] == [bad["id"], fine["id"]]
    assert listed[0]["body_snapshot"] == "buy cheap gold at example.com" and listed[0]["report_count"] == 1
    assert listed[0]["details"][0]["reason"] == "spam" and listed[0]["details"][0]["reporter_id"] == member.id

    resolve = f"/v1/chat/reports/{bad['id']}"
    assert_problem(api.post(resolve, token=member.token, json_body={"action": "remove_message"}), 403)
    assert_problem(api.post(resolve, json_body={"action": "remove_message"}), 401)
    assert_problem(api.post(resolve, token=admin.token, json_body={"action": "ban"}), 422)
    removed = api.post(resolve, token=admin.token, json_body={"action": "remove_message", "note": "spam link"})
    assert removed.status == 200 and removed.json["status"] == "removed" and removed.json["resolved_by"] == admin.id
    gone = next(m for m in history(api, member, cid)["items"] if m["id"] == bad["id"])
    assert gone["deleted"] is True and gone["body"] is None
    assert_problem(api.post(resolve, token=admin.token, json_body={"action": "dismiss"}), 409, "report_resolved")
    dismissed = api.post(f"/v1/chat/reports/{fine['id']}", token=admin.token, json_body={"action": "dismiss"})
    assert dismissed.json["status"] == "dismissed"
    assert not next(m for m in history(api, member, cid)["items"] if m["id"] == fine["id"])["deleted"]
    assert api.get("/v1/chat/reports", token=admin.token).json["items"] == []
    assert len(api.get("/v1/chat/reports?status=removed", token=admin.token).json["items"]) == 1
    assert_problem(api.post("/v1/chat/reports/msg_nope", token=admin.token, json_body={"action": "dismiss"}), 404)
    from chalicelib.core import ids

    unknown = f"/v1/chat/reports/{ids.new_id('msg')}"
    assert_problem(api.post(unknown, token=admin.token, json_body={"action": "dismiss"}), 404)


def test_reported_messages_reach_the_admin_overview_once_per_member(api, token_for):
    owner, member, other = (new_user(api, token_for) for _ in range(3))
    admin = new_user(api, token_for, roles=["player", "admin"])
    cid = group(api, owner, member, other)
    bad = send(api, owner, cid, "buy cheap gold at example.com")
    reports = f"/v1/conversations/{cid}/messages/{bad['id']}/reports"

    def reported() -> int:
        metrics = api.get("/v1/admin/metrics", token=admin.token)
        assert metrics.status == 200, metrics.body
        return metrics.json["reported_messages"]

    assert reported() == 0
    assert api.post(reports, token=member.token, json_body={"reason": "spam"}).status == 201
    assert reported() == 1
    assert api.post(reports, token=member.token, json_body={"reason": "spam"}).status == 200  # the same report again
    assert reported() == 1
    assert api.post(reports, token=other.token, json_body={"reason": "harassment"}).status == 201
    assert reported() == 2
    assert_problem(api.get("/v1/admin/metrics", token=member.token), 403, "admin_only")
