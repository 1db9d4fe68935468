"""S3 failing: a chat message with an attachment (checked with HeadObject) answers a 503 problem and
changes nothing; once S3 is back the same message goes through."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.core.settings import get_settings
from tests.api.helpers import assert_problem
from tests.fault_proxy import RESET, S3_SLOW_DOWN, Fault, FaultProxy

FAULTS = {"slow down (503)": Fault.answer(S3_SLOW_DOWN), "connection reset": RESET}


def _user(api: Any, token_for: Any) -> tuple[str, str]:
    token = token_for()
    return token, str(api.get("/v1/me", token=token).json["id"])


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_message_with_an_attachment_answers_503_while_s3_fails_and_stores_nothing(
    api: Any, token_for: Any, proxies: dict[str, FaultProxy], moto_server: str, fault: Fault
) -> None:
    (alice, _), (_, bob_id) = _user(api, token_for), _user(api, token_for)
    conversation = api.post("/v1/conversations", token=alice, json_body={"type": "direct", "user_id": bob_id}).json
    path = f"/v1/conversations/{conversation['id']}"
    upload = api.post(path + "/attachments", token=alice, json_body={"content_type": "image/png", "size_bytes": 4})
    assert upload.status in (200, 201), upload.body
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)  # the upload itself, past the proxy
    s3.put_object(
        Bucket=get_settings().uploads_bucket, Key=upload.json["key"], Body=b"\x89PNG", ContentType="image/png"
    )
    message = {"client_msg_id": "c-1", "body": "the map", "attachments": [{"key": upload.json["key"]}]}

    with proxies["s3"].failing(fault):
        refused = api.post(path + "/messages", token=alice, json_body=message)

    assert_problem(refused, 503, "dependency_unavailable")
    assert refused.headers["retry-after"] == "1"
    assert api.get(path + "/messages", token=alice).json["items"] == []
    assert api.get(path, token=alice).json.get("last_message") is None
    sent = api.post(path + "/messages", token=alice, json_body=message)
    assert sent.status == 201, sent.body
    assert [a["key"] for a in sent.json["attachments"]] == [upload.json["key"]]
    assert [m["id"] for m in api.get(path + "/messages", token=alice).json["items"]] == [sent.json["id"]]
