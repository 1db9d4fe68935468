"""Idempotency-Key handling for creating POSTs, on Powertools idempotency with DynamoDB persistence.

The same key and body replays the first response; the same key with another body is a 422; a
request still running under that key is a 409. Records live in the single table, one partition
per key (see `_SpreadKeys`), and expire through the table's TTL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from chalice.app import Request

from chalicelib.core.exceptions import Conflict, ValidationFailed
from chalicelib.core.settings import get_settings

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")

Outcome = dict[str, Any]  # {"status": int, "body": <json>}: what is replayed


class _SpreadKeys(DynamoDBPersistenceLayer):
    """Powertools puts every record of a function in one partition when the table has a sort key.
    Give each idempotency key its own partition instead, so busy routes make no hot partition."""

    def _get_key(self, idempotency_key: str) -> dict[str, Any]:
        return {"PK": {"S": f"IDEMPOTENCY#{idempotency_key}"}, "SK": {"S": "IDEMPOTENCY"}}


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    settings = get_settings()
    client = boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint_url)
    return _SpreadKeys(
        table_name=settings.table_name,
        key_attr="PK",
        sort_key_attr="SK",
        expiry_attr="expires_at",
        status_attr="idem_status",
        data_attr="idem_data",
        validation_key_attr="idem_validation",
        in_progress_expiry_attr="idem_in_progress_expires_at",
        boto3_client=client,
    )


def _config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="fingerprint",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
    )


def key_from(request: Request) -> str | None:
    key: str | None = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not _KEY_RE.match(key):
        raise ValidationFailed("Idempotency-Key must be 1 to 255 visible ASCII characters.", code="bad_idempotency_key")
    return key


def run_once(*, scope: str, key: str | None, payload: Any, action: Callable[[], Outcome]) -> Outcome:
    """Run `action` once per (scope, key); replay its outcome for a repeat with the same payload.

    `scope` names the caller and the operation (e.g. "usr_1:create_booking:ses_9"), so two users or
    two routes never share a key. Without a key the action simply runs.
    """
    if key is None:
        return action()
    fingerprint = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    @idempotent_function(data_keyword_argument="request", persistence_store=_persistence(), config=_config())
    def _once(request: dict[str, str]) -> Outcome:
        return action()

    try:
        outcome: Outcome = _once(request={"key": f"{scope}#{key}", "fingerprint": fingerprint})
        return outcome
    except IdempotencyValidationError:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request body.", code="idempotency_key_reused"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress.", code="request_in_progress"
        ) from None
