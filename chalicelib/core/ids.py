"""Prefixed ULIDs: `usr_01J...`; sortable by creation time. (`srs_`: a session series, `srch_`: a saved search.)"""

from __future__ import annotations

import re

from ulid import ULID

from chalicelib.core import clock

PREFIXES = frozenset({"usr", "lst", "ses", "bkg", "wl", "cnv", "msg", "ntf", "rev", "txn", "tmr", "obx", "srs", "srch"})
_ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    return f"{prefix}_{ULID.from_datetime(clock.now())}"


def new_ulid() -> str:
    """A bare ULID, for keys that are not entity ids (upload names, tokens)."""
    return str(ULID.from_datetime(clock.now()))


def is_id(value: str, prefix: str) -> bool:
    """True when `value` is a well-formed id of that kind (used to 404 early on junk ids)."""
    head, sep, tail = value.partition("_")
    return sep == "_" and head == prefix and bool(_ULID_RE.match(tail))
