"""The single-table data layer on DynamoDB Local: polymorphic items, versions, conditional
transactions, and the idempotency store under concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.core import conditional, idempotency
from chalicelib.core.exceptions import ValidationFailed
from chalicelib.core.table import BaseItem, VersionedItem, write_transaction


class Counter(BaseItem, discriminator="test_counter"):
    """A seat-like counter guarded by a condition, as the booking engine uses."""

    capacity = NumberAttribute()
    taken = NumberAttribute(default=0)


class Claim(BaseItem, discriminator="test_claim"):
    owner = UnicodeAttribute()


def test_items_come_back_as_their_own_class():
    Counter("C#1", "META", capacity=3).save()
    Claim("C#1", "CLAIM#a", owner="a").save()
    items = list(BaseItem.query("C#1"))
    assert {type(i) for i in items} == {Counter, Claim}
    counter = next(i for i in items if isinstance(i, Counter))
    assert counter.created_at is not None and counter.capacity == 3


class Document(VersionedItem, discriminator="test_document"):
    title = UnicodeAttribute()


def test_stale_version_save_is_refused():
    Document("D#2", "META", title="v1").save()
    first = Document.get("D#2", "META")
    second = Document.get("D#2", "META")
    first.title = "first"
    first.save()
    second.title = "second"
    with pytest.raises(PutError) as error:
        second.save()
    assert error.value.cause_response_code == "ConditionalCheckFailedException"
    stored = Document.get("D#2", "META", consistent_read=True)
    assert (stored.title, stored.version) == ("first", 2)


def _take_one(owner: str) -> bool:
    """Claim one unit: the claim item and the counter change together, or not at all.

    A transaction cancelled only because another one touched the same item at the same moment
    (TransactionConflict) is retried, as callers in the app do; a failed condition is final.
    """
    counter = Counter("C#3", "META")
    for _ in range(50):
        try:
            with write_transaction() as tx:
                tx.update(counter, actions=[Counter.taken.add(1)], condition=Counter.taken < Counter.capacity)
                tx.save(Claim("C#3", f"CLAIM#{owner}", owner=owner), condition=Claim.SK.does_not_exist())
        except TransactWriteError as error:
            codes = {reason.code for reason in error.cancellation_reasons or [] if reason is not None}
            if "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes:
                continue
            return False
        return True
    raise AssertionError("never got past transaction conflicts")


def test_conditional_transaction_never_oversells_under_concurrency():
    Counter("C#3", "META", capacity=5).save()
    _ = Counter.get("C#3", "META")  # warm the connection before the threads start
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(_take_one, [f"u{i}" for i in range(60)]))
    claims = [i for i in BaseItem.query("C#3") if isinstance(i, Claim)]
    assert sum(results) == 5
    assert len(claims) == 5
    assert Counter.get("C#3", "META", consistent_read=True).taken == 5


def test_a_failed_condition_writes_nothing_of_the_transaction():
    Counter("C#4", "META", capacity=0).save()
    assert _take_one_of("C#4", "x") is False
    assert [i for i in BaseItem.query("C#4") if isinstance(i, Claim)] == []


def _take_one_of(pk: str, owner: str) -> bool:
    counter = Counter(pk, "META")
    try:
        with write_transaction() as tx:
            tx.update(counter, actions=[Counter.taken.add(1)], condition=Counter.taken < Counter.capacity)
            tx.save(Claim(pk, f"CLAIM#{owner}", owner=owner))
    except TransactWriteError:
        return False
    return True


def test_idempotent_action_runs_once_and_replays():
    runs: list[int] = []

    def create() -> dict:
        runs.append(1)
        return {"status": 201, "body": {"n": len(runs)}}

    first = idempotency.run_once(scope="usr_1:test", key="k-1", payload={"a": 1}, action=create)
    second = idempotency.run_once(scope="usr_1:test", key="k-1", payload={"a": 1}, action=create)
    assert first == second == {"status": 201, "body": {"n": 1}}
    assert len(runs) == 1
    # Another scope (user or route) with the same key is another request.
    idempotency.run_once(scope="usr_2:test", key="k-1", payload={"a": 1}, action=create)
    assert len(runs) == 2


def test_same_key_with_another_body_is_422():
    idempotency.run_once(scope="usr_1:test", key="k-2", payload={"a": 1}, action=lambda: {"status": 201, "body": {}})
    with pytest.raises(ValidationFailed) as error:
        idempotency.run_once(
            scope="usr_1:test", key="k-2", payload={"a": 2}, action=lambda: {"status": 201, "body": {}}
        )
    assert error.value.code == "idempotency_key_reused"


def test_concurrent_requests_with_one_key_run_the_action_once():
    runs: list[int] = []
    gate = threading.Barrier(8)
    lock = threading.Lock()

    def create() -> dict:
        with lock:
            runs.append(1)
        return {"status": 201, "body": {"ok": True}}

    def attempt(_: int) -> str:
        gate.wait()
        try:
            idempotency.run_once(scope="usr_1:race", key="k-3", payload={}, action=create)
        except Exception as exc:  # the losers see "in progress" (409) or the replay
            return type(exc).__name__
        return "ok"

    idempotency.run_once(scope="warm", key="warm", payload={}, action=lambda: {"status": 200, "body": {}})
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    assert len(runs) == 1
    assert set(outcomes) <= {"ok", "Conflict"}


def test_a_failed_action_leaves_the_key_free_to_retry():
    def fail() -> dict:
        raise RuntimeError("stripe is down")

    with pytest.raises(RuntimeError):
        idempotency.run_once(scope="usr_1:test", key="k-4", payload={}, action=fail)
    assert idempotency.run_once(
        scope="usr_1:test", key="k-4", payload={}, action=lambda: {"status": 201, "body": 1}
    ) == {
        "status": 201,
        "body": 1,
    }


def test_conditional_write_answers_false_when_a_condition_refuses():
    claim = Claim("W#1", "CLAIM#a", owner="a")
    assert conditional.write(lambda: claim.save(condition=Claim.PK.does_not_exist())) is True
    assert conditional.write(lambda: claim.save(condition=Claim.PK.does_not_exist())) is False
    assert conditional.write(lambda: claim.update([Claim.owner.set("b")], condition=Claim.owner == "x")) is False
    assert conditional.write(lambda: claim.delete(condition=Claim.owner == "x")) is False
    assert Claim.get("W#1", "CLAIM#a", consistent_read=True).owner == "a"
    assert conditional.write(lambda: claim.delete(condition=Claim.owner == "a")) is True

    def guarded_pair() -> None:
        with write_transaction() as tx:
            tx.save(Claim("W#1", "CLAIM#b", owner="b"))
            tx.condition_check(Claim, "W#1", "CLAIM#a", condition=Claim.PK.exists())

    assert conditional.write(guarded_pair) is False
    assert list(Claim.query("W#1")) == []


def test_conditional_write_reraises_every_other_failure():
    with pytest.raises(PutError) as put_error:
        conditional.write(lambda: Claim("", "CLAIM#a", owner="a").save(condition=Claim.PK.does_not_exist()))
    assert put_error.value.cause_response_code == "ValidationException"

    def same_item_twice() -> None:
        with write_transaction() as tx:
            tx.save(Claim("W#2", "CLAIM#a", owner="a"), condition=Claim.PK.does_not_exist())
            tx.delete(Claim("W#2", "CLAIM#a"))

    with pytest.raises(TransactWriteError) as tx_error:
        conditional.write(same_item_twice)
    assert tx_error.value.cause_response_code == "ValidationException"
