"""Pure decisions of reviews: who may write which side, when a review is published (double-blind),
the edit window, rating arithmetic and host badges. No I/O, no clock: times come in as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PLAYER, HOST = "player", "host"  # the side that wrote the review
SIDES = (PLAYER, HOST)
PENDING, PUBLISHED = "pending", "published"
SUB_RATINGS = ("preparation", "communication", "atmosphere", "value")  # atmosphere: or sound quality
MIN_RATING, MAX_RATING = 1, 5
MAX_TEXT = 2000
MAX_REPLY = 1000
MAX_FEEDBACK = 2000

COMPLETED, NO_SHOW = "completed", "no_show"


class NotAllowed(Exception):
    """A review rule refuses the action; `code` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def side_of(user_id: str, *, player_id: str, host_id: str) -> str | None:
    """Which side `user_id` writes on for this booking, or None for anyone else."""
    if user_id == player_id:
        return PLAYER
    if user_id == host_id:
        return HOST
    return None


def check_may_review(side: str, booking_state: str) -> None:
    """Players review completed bookings; hosts review completed ones and no-shows (safety history)."""
    allowed = (COMPLETED,) if side == PLAYER else (COMPLETED, NO_SHOW)
    if booking_state not in allowed:
        raise NotAllowed("booking_not_completed", f"A booking that is {booking_state} cannot be reviewed.")


def window_closes_at(session_ends_at: datetime, window_days: int) -> datetime:
    return session_ends_at + timedelta(days=window_days)


def check_window_open(now: datetime, closes_at: datetime) -> None:
    if now >= closes_at:
        raise NotAllowed("review_window_closed", "The review window of this booking has closed.")


def edit_until(written_at: datetime, edit_hours: int) -> datetime:
    return written_at + timedelta(hours=edit_hours)


def check_editable(now: datetime, until: datetime) -> None:
    if now >= until:
        raise NotAllowed("edit_window_closed", "A review can only be edited within 48 hours of writing it.")


def publish_now(*, other_side_written: bool, now: datetime, closes_at: datetime) -> bool:
    """Double-blind: a review is published when both sides have written or when the window closed."""
    return other_side_written or now >= closes_at


def counts_for_reputation(side: str, hidden: bool, state: str) -> bool:
    """Only published, visible reviews written by players count toward a host's and listing's rating."""
    return side == PLAYER and not hidden and state == PUBLISHED


@dataclass(frozen=True)
class RatingTotals:
    rating_sum: int = 0
    rating_count: int = 0
    sub_sums: tuple[tuple[str, int, int], ...] = ()  # (name, sum, count)

    @property
    def average(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 2) if self.rating_count else None


def rating_delta(before: dict[str, int | None] | None, after: dict[str, int | None] | None) -> dict[str, int]:
    """What a change from `before` to `after` ratings (overall + sub-ratings; None = not given) adds to
    the sums and counts: `{"rating_sum": .., "rating_count": .., "sum_<sub>": .., "n_<sub>": ..}`."""
    delta: dict[str, int] = {}
    for sign, ratings in ((-1, before), (1, after)):
        if ratings is None:
            continue
        for name, value in ratings.items():
            if value is None:
                continue
            total, count = ("rating_sum", "rating_count") if name == "rating" else (f"sum_{name}", f"n_{name}")
            delta[total] = delta.get(total, 0) + sign * int(value)
            delta[count] = delta.get(count, 0) + sign
    return {k: v for k, v in delta.items() if v}


def rank_key(rating_sum: int, rating_count: int) -> str:
    """A sort key that orders by average (best first), then by count (most first)."""
    scaled = round(rating_sum * 10000 / rating_count) if rating_count else 0
    return f"{50000 - scaled:05d}#{999_999_999 - rating_count:09d}"


def average_from_rank(rank: str) -> float:
    return round((50000 - int(rank.split("#", 1)[0])) / 10000, 2)


# Host badges: thresholds on facts, each with the minimum evidence it needs.
@dataclass(frozen=True)
class HostFacts:
    sessions_run: int
    bookings: int
    repeat_bookings: int
    host_cancellations: int
    requests_answered: int
    response_seconds_total: int
    rating_count: int
    rating_average: float | None


BADGE_RULES = {
    "experienced": "ran at least 10 sessions",
    "regulars_return": "at least 30% of bookings from returning players (10+ bookings)",
    "reliable": "cancelled at most 2% of bookings (10+ bookings)",
    "quick_responder": "answers booking requests within 2 hours on average (5+ requests)",
    "top_rated": "rated 4.8 or more (5+ reviews)",
}


def badges(f: HostFacts) -> list[str]:
    earned = []
    if f.sessions_run >= 10:
        earned.append("experienced")
    if f.bookings >= 10 and f.repeat_bookings * 10 >= f.bookings * 3:
        earned.append("regulars_return")
    if f.bookings >= 10 and f.host_cancellations * 50 <= f.bookings:
        earned.append("reliable")
    if f.requests_answered >= 5 and f.response_seconds_total <= f.requests_answered * 2 * 3600:
        earned.append("quick_responder")
    if f.rating_count >= 5 and f.rating_average is not None and f.rating_average >= 4.8:
        earned.append("top_rated")
    return earned
