"""Cancellation policies and refund quotes: pure, integer minor units.

A policy is a list of tiers `(hours_before_start, refund_percent)`: cancelling at least that many
hours before the start refunds that percentage; the tier with the longest notice that still applies
wins; later than every tier refunds nothing. Amounts stay integers in the currency's minor unit
(cents, yen), so zero-decimal currencies need no special case: a percentage of 1999 yen is yen.
Partial units are rounded down (the platform never refunds more than the policy says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PRESETS: dict[str, tuple[tuple[int, int], ...]] = {
    "flexible": ((24, 100),),
    "moderate": ((120, 100), (24, 50)),
    "strict": ((168, 50),),
}


@dataclass(frozen=True)
class Tier:
    hours_before_start: int
    refund_percent: int


@dataclass(frozen=True)
class Quote:
    refund_amount: int
    refund_percent: int
    tier: Tier | None  # None: past every tier (no refund), or a full refund not from the policy
    reason: str  # "policy", "host_cancelled", "session_changed", "not_charged"


def tiers_of(policy: Mapping[str, Any]) -> list[Tier]:
    """The tiers of a stored policy (`{"preset": ..., "tiers": [...]}`), longest notice first."""
    preset = str(policy.get("preset", "flexible"))
    if preset == "custom":
        raw = [(int(t["hours_before_start"]), int(t["refund_percent"])) for t in policy.get("tiers") or []]
    else:
        raw = list(PRESETS[preset])
    return [Tier(h, p) for h, p in sorted(raw, key=lambda t: -t[0])]


def applicable_tier(tiers: Sequence[Tier], starts_at: datetime, at: datetime) -> Tier | None:
    notice = starts_at - at
    for tier in sorted(tiers, key=lambda t: -t.hours_before_start):
        if notice >= timedelta(hours=tier.hours_before_start):
            return tier
    return None


def percent_of(amount: int, percent: int) -> int:
    return amount * percent // 100


def quote(tiers: Sequence[Tier], starts_at: datetime, at: datetime, amount_paid: int) -> Quote:
    tier = applicable_tier(tiers, starts_at, at)
    percent = tier.refund_percent if tier else 0
    return Quote(percent_of(amount_paid, percent), percent, tier, "policy")


def full_refund(amount_paid: int, reason: str) -> Quote:
    return Quote(amount_paid, 100, None, reason)
