"""Run one write transaction and learn which items' conditions refused it.

`booking.txn` does the same with booking's retry policy; this is the plain form for packages whose
transactions are small: commit (outbox flushed after), or raise `Refused` naming the (PK, SK) whose
condition failed. A TransactionConflict (another transaction on the same items) is retried a few
times after a short jittered backoff.
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
ATTEMPTS = 6


class Refused(Exception):
    def __init__(self, keys: set[tuple[str, str]]) -> None:
        super().__init__(f"conditions failed on {sorted(keys)}")
        self.keys = keys

    def on(self, pk: str, sk: str) -> bool:
        return (pk, sk) in self.keys


def run(build: Callable[[TransactWrite], T]) -> T:
    for attempt in range(ATTEMPTS):
        sent: list[tuple[str, str]] = []
        try:
            with outbox.transaction() as tx:
                result = build(tx)
                sent = sent_keys(tx)
            return result
        except TransactWriteError as exc:
            codes = [getattr(r, "code", None) if r is not None else None for r in exc.cancellation_reasons or []]
            failed = {key for key, code in zip(sent, codes, strict=False) if code == "ConditionalCheckFailed"}
            if failed:
                raise Refused(failed) from None
            if codes and not any(code == "TransactionConflict" for code in codes):
                raise
            time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # backoff before retrying
    raise Conflict("The item is busy; try again.", code="busy")
