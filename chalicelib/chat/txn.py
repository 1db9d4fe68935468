"""A write transaction whose items carry labels, so a cancelled one says which condition failed.

DynamoDB reports cancellation reasons by position, and PynamoDB sends the items grouped by kind
(condition checks, deletes, puts, updates), not in call order; this keeps the labels in that order.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.core.table import BaseItem, write_transaction

CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"


class Transaction:
    def __init__(self) -> None:
        self.tx: TransactWrite = write_transaction()
        self._checks: list[str] = []
        self._deletes: list[str] = []
        self._puts: list[str] = []
        self._updates: list[str] = []

    def __len__(self) -> int:
        return len(self._checks) + len(self._deletes) + len(self._puts) + len(self._updates)

    def put(self, label: str, item: BaseItem, condition: Condition | None = None) -> None:
        self.tx.save(item, condition=condition)
        self._puts.append(label)

    def update(self, label: str, item: BaseItem, actions: list[Any], condition: Condition | None = None) -> None:
        self.tx.update(item, actions=actions, condition=condition)
        self._updates.append(label)

    def delete(self, label: str, item: BaseItem, condition: Condition | None = None) -> None:
        self.tx.delete(item, condition=condition)
        self._deletes.append(label)

    def commit(self) -> None:
        with self.tx:
            pass

    def reasons(self, error: TransactWriteError) -> dict[str, str]:
        """{label: reason code} of the items that cancelled the transaction."""
        order = self._checks + self._deletes + self._puts + self._updates
        found: dict[str, str] = {}
        for label, reason in zip(order, error.cancellation_reasons, strict=False):
            if reason is not None:
                found.setdefault(label, reason.code)
        return found


def failed_on(reasons: dict[str, str], label: str) -> bool:
    return reasons.get(label) == CONDITION_FAILED


def conflicted(error: TransactWriteError, reasons: dict[str, str]) -> bool:
    """Another transaction touched one of the items at the same time: safe to retry."""
    return CONFLICT in reasons.values() or error.cause_response_code == "TransactionConflictException"
