"""Run one write transaction and learn which items' conditions refused it.

Commit (outbox messages flushed after), or raise `Refused` naming the (PK, SK) of the items whose
condition failed: PynamoDB sends a TransactWrite's operations grouped by kind, not in call order,
and DynamoDB's cancellation reasons follow the sent order, which `core.table.sent_keys` rebuilds; so
a caller learns which item refused (a booking's guard: already booked; its session: full), not
merely that something did. A TransactionConflict (another transaction on the same items) is retried
whole after a short jittered backoff. Throttling, 5xx and timeouts (botocore retried those already)
propagate: the route answers 503, not a misleading 409 "busy".

A single conditional write asks `write(lambda: item.update(..., condition=...))`: True when written,
False when its condition refused it; any other failure propagates unchanged. `condition_failed`
is the one place that recognises a refusal in PynamoDB's PutError, UpdateError, DeleteError and
TransactWriteError.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.core.exceptions import Conflict
from chalicelib.core.table import sent_keys

T = TypeVar("T")
ATTEMPTS = 6
REFUSED = "ConditionalCheckFailed"  # a cancellation reason: this item's condition failed
_CONFLICT_ERRORS = frozenset({"TransactionCanceledException", "TransactionConflictException"})
_WRITE_ERRORS = (PutError, UpdateError, DeleteError, TransactWriteError)


class Refused(Exception):
    """A condition failed: `keys` are the (PK, SK) of the items that refused."""

    def __init__(self, keys: set[tuple[str, str]]) -> None:
        super().__init__(f"conditions failed on {sorted(keys)}")
        self.keys = keys

    def on(self, pk: str, sk: str) -> bool:
        return (pk, sk) in self.keys


def condition_failed(error: BaseException) -> bool:
    """Did a condition refuse this write? A single write's own condition (or a VersionAttribute's),
    or, in a transaction, any item's."""
    if isinstance(error, TransactWriteError):
        return any(getattr(r, "code", None) == REFUSED for r in error.cancellation_reasons or [])
    if isinstance(error, _WRITE_ERRORS):
        return error.cause_response_code == "ConditionalCheckFailedException"
    return False


def write(op: Callable[[], object]) -> bool:
    """Run one conditional write: True when written, False when its condition refused it.
    Anything else (throttling, 5xx, validation) propagates unchanged."""
    try:
        op()
    except _WRITE_ERRORS as error:
        if condition_failed(error):
            return False
        raise
    return True


def run(build: Callable[[TransactWrite], T]) -> T:
    from chalicelib.core import outbox  # here, not above: outbox -> due_work -> conditional.write

    for attempt in range(ATTEMPTS):
        sent: list[tuple[str, str]] = []
        try:
            with outbox.transaction() as tx:
                result = build(tx)
                sent = sent_keys(tx)
            return result
        except TransactWriteError as exc:
            codes = [getattr(r, "code", None) if r is not None else None for r in exc.cancellation_reasons or []]
            failed = {key for key, code in zip(sent, codes, strict=False) if code == REFUSED}
            if failed:
                raise Refused(failed) from None
            conflict = exc.cause_response_code in _CONFLICT_ERRORS and not codes
            if not (conflict or any(code == "TransactionConflict" for code in codes)):
                raise
            time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # backoff before retrying
    raise Conflict("Busy with other changes; try again.", code="busy")
