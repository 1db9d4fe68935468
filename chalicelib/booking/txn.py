"""Running a booking transaction: retry on TransactionConflict, and say which items' conditions failed.

PynamoDB sends a TransactWrite's operations grouped by kind (condition checks, deletes, puts,
updates), not in call order; DynamoDB's cancellation reasons follow the sent order. `core.table.sent_keys`
rebuilds that order so a caller learns which item refused (the guard: already booked; the session:
full), not merely that something did.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core import outbox
from chalicelib.core.exceptions import Conflict
from chalicelib.core.table import sent_keys

T = TypeVar("T")
MAX_ATTEMPTS = 6
_CONFLICT_ERRORS = frozenset({"TransactionCanceledException", "TransactionConflictException"})


class Refused(Exception):
    """A condition failed: `keys` are the (PK, SK) of the items that refused."""

    def __init__(self, keys: set[tuple[str, str]]) -> None:
        super().__init__(f"conditions failed on {sorted(keys)}")
        self.keys = keys


def run(build: Callable[[TransactWrite], T]) -> T:
    """Build and commit a transaction (outbox messages flushed after the commit); retry whole on a
    TransactionConflict; raise Refused naming the items whose condition failed."""
    for attempt in range(MAX_ATTEMPTS):
        sent: list[tuple[str, str]] = []
        try:
            with outbox.transaction() as tx:
                result = build(tx)
                sent = sent_keys(tx)
            return result
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            codes = [getattr(r, "code", None) if r is not None else None for r in reasons]
            failed = {key for key, code in zip(sent, codes, strict=False) if code == "ConditionalCheckFailed"}
            if failed:
                raise Refused(failed) from None
            # Only a conflict is retried here. Throttling, 5xx or a timeout (botocore retried those
            # already) propagate, and the route answers 503, not a misleading 409 "busy".
            conflict = exc.cause_response_code in _CONFLICT_ERRORS and not codes
            if conflict or any(code == "TransactionConflict" for code in codes):
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # backoff before retrying
                continue
            raise
    raise Conflict("The session is busy; try again.", code="busy")
