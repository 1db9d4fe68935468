"""The single DynamoDB table: its keys, indexes and the base item every entity subclasses.

Layout (see docs/ACCESS_PATTERNS.md): PK/SK for the primary key, sparse GSI1 and GSI2 for the
secondary access patterns of each entity, GSI3 for due timers and outbox items (bucketed by minute),
`expires_at` as the TTL attribute. `kind` discriminates the entity class of each item.
infra/template.json declares the same table; tests/infra/test_table_matches_infra.py checks both agree.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pynamodb.attributes import (
    DiscriminatorAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.settings import get_settings

_settings = get_settings()


class _TableMeta:
    table_name = _settings.table_name
    region = _settings.aws_region
    host = _settings.dynamodb_endpoint_url
    billing_mode = "PAY_PER_REQUEST"
    # Keep retries short: a request path should fail fast and let the client retry.
    max_retry_attempts = 3
    connect_timeout_seconds = 3
    read_timeout_seconds = 5


class GSI1(GlobalSecondaryIndex["BaseItem"]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class GSI2(GlobalSecondaryIndex["BaseItem"]):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class GSI3(GlobalSecondaryIndex["BaseItem"]):
    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    GSI3PK = UnicodeAttribute(hash_key=True)
    GSI3SK = UnicodeAttribute(range_key=True)


class BaseItem(Model):
    """Every item in the table. Subclass with `class X(BaseItem, discriminator="x")`."""

    Meta = _TableMeta  # type: ignore[assignment]  # PynamoDB's stub wants its protocol; a class is fine

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute(attr_name="kind")

    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)

    created_at = UTCDateTimeAttribute(default_for_new=clock.now)
    updated_at = UTCDateTimeAttribute(default=clock.now)
    expires_at = TTLAttribute(null=True)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()


class VersionedItem(BaseItem):
    """An item clients edit with If-Match: saves are conditional on the version they read."""

    version = VersionAttribute()


def touch(item: BaseItem) -> None:
    item.updated_at = clock.now()


def user_pk(user_id: str) -> str:
    """The user's partition, `USER#<usr>`: their profile, identity link, favorites, saved searches,
    Stripe customer, payout account, notification items... each package's items under its own SK."""
    return f"USER#{user_id}"


def raw_key(pk: str, sk: str) -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


class _Transaction(TransactWrite):
    """A TransactWrite that commits nothing when nothing was added: DynamoDB refuses an empty
    TransactWriteItems (a ValidationException), and "nothing to change" is a normal outcome of the
    idempotent changes built in one (a webhook or a timer that finds its work already done)."""

    def _commit(self) -> Any:
        if not sent_keys(self):
            return None
        return super()._commit()


def write_transaction(client_request_token: str | None = None) -> TransactWrite:
    """A TransactWrite on the table's connection. Seats and money change only inside one of these."""
    return _Transaction(connection=_connection(), client_request_token=client_request_token)


def sent_keys(tx: TransactWrite) -> list[tuple[str, str]]:
    """The (PK, SK) of each operation of `tx` in the order PynamoDB sends them: grouped by kind
    (condition checks, deletes, puts, updates), not in call order. DynamoDB's cancellation reasons
    follow this order, so this is how a caller learns which item refused. (PynamoDB exposes no public
    list of a transaction's operations; these four lists are what its `_commit` sends.)"""
    ops: list[dict[str, Any]] = [
        *tx._condition_check_items,
        *tx._delete_items,
        *tx._put_items,
        *tx._update_items,
    ]
    keys = []
    for op in ops:
        key = op.get("Key") or op.get("Item") or {}
        keys.append((key["PK"]["S"], key["SK"]["S"]))
    return keys


@lru_cache(maxsize=1)
def _connection() -> Connection:
    return Connection(region=_settings.aws_region, host=_settings.dynamodb_endpoint_url)
