"""A write transaction whose items carry labels, so a cancelled one says which condition failed.

DynamoDB reports cancellation reasons by position, and PynamoDB sends the items grouped by kind
(condition checks, deletes, puts, updates), not in call order; `core.table.sent_keys` gives that order.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.core import conditional
from chalicelib.core.table import BaseItem, sent_keys, write_transaction

CONFLICT = "TransactionConflict"


class Transaction:
    def __init__(self) -> None:
        self.tx: TransactWrite = write_transaction()
        self._labels: dict[tuple[str, str], str] = {}  # one operation per item in a transaction

    def __len__(self) -> int:
        return len(self._labels)

    def put(self, label: str, item: BaseItem, condition: Condition | None = None) -> None:
        self.tx.save(item, condition=condition)
        self._labels[(item.PK, item.SK)] = label

    def update(self, label: str, item: BaseItem, actions: list[Any], condition: Condition | None = None) -> None:
        self.tx.update(item, actions=actions, condition=condition)
        self._labels[(item.PK, item.SK)] = label

    def delete(self, label: str, item: BaseItem, condition: Condition | None = None) -> None:
        self.tx.delete(item, condition=condition)
        self._labels[(item.PK, item.SK)] = label

    def commit(self) -> None:
        with self.tx:
            pass

    def reasons(self, error: TransactWriteError) -> dict[str, str]:
        """{label: reason code} of the items that cancelled the transaction."""
        found: dict[str, str] = {}
        for key, reason in zip(sent_keys(self.tx), error.cancellation_reasons or [], strict=False):
            if reason is not None:
                found.setdefault(self._labels[key], reason.code)
        return found


def failed_on(reasons: dict[str, str], label: str) -> bool:
    return reasons.get(label) == conditional.REFUSED


def conflicted(error: TransactWriteError, reasons: dict[str, str]) -> bool:
    """Another transaction touched one of the items at the same time: safe to retry."""
    return CONFLICT in reasons.values() or error.cause_response_code == "TransactionConflictException"
