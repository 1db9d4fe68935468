"""Opaque list cursors, signed and bound to the query that produced them.

A cursor carries DynamoDB's LastEvaluatedKey. It is signed with a server secret and names the query
scope (route + partition + filters), so a client can neither forge one to read another partition nor
replay one on another query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.exceptions import BadRequest
from chalicelib.core.secrets import get_secret

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2048)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: bytes) -> bytes:
    return hmac.new(get_secret("cursor_secret").encode(), payload, hashlib.sha256).digest()


def encode_cursor(last_key: dict[str, Any] | None, scope: str) -> str | None:
    if not last_key:
        return None
    payload = json.dumps({"k": last_key, "s": scope}, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_sign(payload))}"


def decode_cursor(cursor: str | None, scope: str) -> dict[str, Any] | None:
    """The LastEvaluatedKey inside `cursor`; 400 if it was tampered with or belongs to another query."""
    if not cursor:
        return None
    try:
        body, signature = cursor.split(".", 1)
        payload = _unb64(body)
        valid = hmac.compare_digest(_unb64(signature), _sign(payload))
        data = json.loads(payload) if valid else None
    except (ValueError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), dict):
        raise BadRequest("The cursor is not valid for this list.", code="invalid_cursor")
    key: dict[str, Any] = data["k"]
    return key
