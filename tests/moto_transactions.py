"""moto's TransactWriteItems, one table copy per transaction instead of one per item.

To roll back a failed transaction, moto 5 deep-copies the table before writing — once for every item
of the transaction, although nothing is written until all the copies are made, so they are all the same.
Our transactions carry several items (a booking, its seats, its outbox messages) on one table that
grows during a test, and those copies were the largest cost of the API tier. `install()` makes the
copies of one call share one copy per table: the same rollback, the same results, a fraction of the time.
It changes nothing moto checks or answers; only how often it copies.
"""

from __future__ import annotations

import copy
import functools
import threading
import types
from collections.abc import Callable
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.models.table import Table

_local = threading.local()  # the moto server answers requests on several threads


def _deepcopy(obj: Any, memo: dict[int, Any] | None = None) -> Any:
    shared: dict[int, tuple[Any, Any]] | None = getattr(_local, "copies", None)
    if shared is None or memo is not None or not isinstance(obj, Table):
        return copy.deepcopy(obj, memo)
    if id(obj) not in shared:
        shared[id(obj)] = (obj, copy.deepcopy(obj))  # the original kept, so that its id is not reused
    return shared[id(obj)][1]


def _one_copy_per_table(transact: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(transact)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _local.copies = {}
        try:
            return transact(*args, **kwargs)
        finally:
            _local.copies = None

    wrapper.__dict__["one_copy_per_table"] = True
    return wrapper


def install() -> None:
    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "one_copy_per_table", False):
        return
    # moto's module reads `copy.deepcopy` at call time: give it a `copy` whose deepcopy shares copies
    # inside a transaction (and is the standard one everywhere else).
    models.copy = types.SimpleNamespace(**{**vars(copy), "deepcopy": _deepcopy})  # type: ignore[attr-defined]
    backend.transact_write_items = _one_copy_per_table(backend.transact_write_items)  # type: ignore[method-assign]
