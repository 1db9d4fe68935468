"""Search within a conversation, served by a word index (never a scan of the history).

Each distinct word of a message (domain.words: folded, accents dropped) is one item,
`PK=CNV#<cnv>#W#<word>  SK=MSG#<msg>`, so the newest messages holding a word are one Query. A
query of several words reads the index of its longest word, newest first, and keeps the messages
whose own word set holds every other word. Word items are written in the message's transaction
(up to `IN_TRANSACTION`), the rest right after it; edits and deletes take them out again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.chat import domain
from chalicelib.chat.models import MessageItem, WordItem, conversation_pk, message_sk, word_pk
from chalicelib.chat.txn import Transaction
from chalicelib.core.exceptions import FieldError, ValidationFailed
from chalicelib.core.pagination import decode_cursor, encode_cursor

IN_TRANSACTION = 80  # word items written atomically with the message; DynamoDB allows 100 items
MAX_INDEX_READS = 5  # index pages read per search request; the cursor continues from there


def _item(conversation_id: str, message_id: str, word: str) -> WordItem:
    return WordItem(word_pk(conversation_id, word), message_sk(message_id), message_id=message_id)


def add_to(tx: Transaction, conversation_id: str, message_id: str, words: list[str]) -> list[str]:
    """Put up to IN_TRANSACTION word items into the message's transaction; returns the rest."""
    room = max(0, min(IN_TRANSACTION, 100 - len(tx) - 1))
    for word in words[:room]:
        tx.put("word", _item(conversation_id, message_id, word))
    return words[room:]


def index(conversation_id: str, message_id: str, words: Iterable[str]) -> None:
    """Write word items outside a transaction (BatchWriteItem, 25 per call)."""
    with WordItem.batch_write() as batch:
        for word in words:
            batch.save(_item(conversation_id, message_id, word))


def unindex(conversation_id: str, message_id: str, words: Iterable[str]) -> None:
    with WordItem.batch_write() as batch:
        for word in words:
            batch.delete(WordItem(word_pk(conversation_id, word), message_sk(message_id)))


def _scope(conversation_id: str, terms: list[str]) -> str:
    return f"chat.search:{conversation_id}:{' '.join(terms)}"


def find(conversation_id: str, q: str, limit: int, cursor: str | None) -> tuple[list[MessageItem], str | None]:
    """Messages holding every word of `q`, newest first, and the cursor of the next page."""
    terms = domain.query_words(q)
    if not terms:
        raise ValidationFailed(
            "Search for at least one word of two or more letters.", errors=[FieldError("q", "no searchable word")]
        )
    scope = _scope(conversation_id, terms)
    start: dict[str, Any] | None = decode_cursor(cursor, scope)
    driver = domain.driver_word(terms)
    others = set(terms) - {driver}
    found: list[MessageItem] = []
    for _ in range(MAX_INDEX_READS):
        page = WordItem.query(
            word_pk(conversation_id, driver),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        entries = list(page)
        start = page.last_evaluated_key
        messages = _messages(conversation_id, [e.message_id for e in entries])
        for position, entry in enumerate(entries):
            message = messages.get(entry.message_id)
            if message is None or message.deleted_at is not None or not others <= set(message.words or ()):
                continue
            found.append(message)
            if len(found) == limit:
                more = position < len(entries) - 1 or start is not None
                last = {"PK": {"S": entry.PK}, "SK": {"S": entry.SK}}
                return found, encode_cursor(last, scope) if more else None
        if start is None:
            return found, None
    return found, encode_cursor(start, scope)


def _messages(conversation_id: str, message_ids: list[str]) -> dict[str, MessageItem]:
    if not message_ids:
        return {}
    keys = [(conversation_pk(conversation_id), message_sk(mid)) for mid in message_ids]
    return {m.message_id: m for m in MessageItem.batch_get(keys)}
