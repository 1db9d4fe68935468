"""Pure catalog decisions: listing states, cancellation policies, text normalisation, overlaps.

No AWS, no clock: values in, values out.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

# Listing lifecycle: draft → published ⇄ unpublished; any of them → archived (final).
DRAFT, PUBLISHED, UNPUBLISHED, ARCHIVED = "draft", "published", "unpublished", "archived"
_TRANSITIONS = {
    "publish": ({DRAFT, UNPUBLISHED}, PUBLISHED),
    "unpublish": ({PUBLISHED}, UNPUBLISHED),
    "archive": ({DRAFT, PUBLISHED, UNPUBLISHED}, ARCHIVED),
}

# Sessions: scheduled until cancelled (completion belongs to booking).
SCHEDULED, CANCELLED = "scheduled", "cancelled"

MAX_TAGS = 10
MAX_TAG_CHARS = 30
MAX_TITLE_WORDS = 12  # title words indexed for the text query

# Each tier refunds `refund_percent` when cancelled at least `hours_before_start` ahead.
POLICY_PRESETS: dict[str, tuple[tuple[int, int], ...]] = {
    "flexible": ((24, 100),),
    "moderate": ((120, 100), (24, 50)),
    "strict": ((168, 50),),
}

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "your",
        "our",
        "my",
        "this",
        "that",
        "der",
        "die",
        "das",
        "und",
        "mit",
        "ein",
        "eine",
        "im",
        "am",
        "zu",
        "von",
        "fur",
        "le",
        "la",
        "les",
        "et",
        "des",
        "du",
        "un",
        "une",
        "el",
        "los",
        "las",
        "y",
        "con",
        "para",
    }
)


def next_status(current: str, action: str) -> str | None:
    """The status after `action`, or None when the action does not apply to `current`."""
    allowed, target = _TRANSITIONS[action]
    return target if current in allowed else None


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Mörk Borg' → 'mork borg'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalise_tag(raw: str) -> str:
    tag = re.sub(r"[^a-z0-9]+", "-", fold(raw)).strip("-")
    if not tag:
        raise ValueError("a tag needs at least one letter or digit")
    if len(tag) > MAX_TAG_CHARS:
        raise ValueError(f"a tag has at most {MAX_TAG_CHARS} characters")
    return tag


def normalise_tags(raw: Iterable[str]) -> list[str]:
    """Normalised, de-duplicated (first spelling wins), at most MAX_TAGS."""
    tags = list(dict.fromkeys(normalise_tag(t) for t in raw))
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return tags


def words(text: str, limit: int | None = MAX_TITLE_WORDS) -> list[str]:
    """The indexable words of a text: folded, no stopwords, no single letters, unique, in order."""
    found = [w for w in re.findall(r"\w+", fold(text)) if len(w) > 1 and w not in STOPWORDS]
    unique = list(dict.fromkeys(found))
    return unique if limit is None else unique[:limit]


def primary_language(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


@dataclass(frozen=True)
class Slot:
    """A time a host is busy: [starts_at, ends_at), belonging to a session."""

    session_id: str
    starts_at: datetime
    ends_at: datetime


def first_overlap(new: Sequence[Slot], existing: Iterable[Slot]) -> tuple[Slot, Slot] | None:
    """The first (new, other) pair that overlaps, among the new slots or against existing ones.

    Existing slots with the same session id as a new slot are the ones being moved: ignored.
    """
    moving = {s.session_id for s in new}
    others = [s for s in existing if s.session_id not in moving]
    ordered = sorted(new, key=lambda s: s.starts_at)
    for before, after in itertools.pairwise(ordered):
        if after.starts_at < before.ends_at:
            return after, before
    for slot in ordered:
        for other in others:
            if other.starts_at < slot.ends_at and slot.starts_at < other.ends_at:
                return slot, other
    return None
