"""Persistence shape of reviews. Keys:

- review      PK=REVIEW#<rev>          SK=REVIEW
                GSI1 LSTREV#<lst> / <published_at>#<rev>        a listing's published, visible player reviews
                GSI2 USRREV#<subject> / <side>#<published_at>#<rev>  published, visible reviews about a user
- side guard  PK=BKGREV#<bkg>          SK=SIDE#<side>     one review per booking and side (conditional put)
- report      PK=REVIEW#<rev>          SK=REPORT#<usr>    one report per reporter; GSI1 REVREPORTS / <at>#<rev>
- reputation  PK=REPUTATION#<usr|lst>  SK=REPUTATION      rating sums and counts (with each publish, versioned)
                GSI1 RATEDLST / <rank>#<lst>                       listings by rating (best first), once rated
- stats       PK=REVIEWSTATS           SK=REVIEWSTATS     platform totals: reviews, reports, hidden
- feedback    PK=FEEDBACK#<ses>        SK=FEEDBACK        the host's private notes on a session
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.core.table import BaseItem

REVIEW_SK = "REVIEW"
REPUTATION_SK = "REPUTATION"
STATS_KEY = "REVIEWSTATS"
FEEDBACK_SK = "FEEDBACK"
REPORTS_PK = "REVREPORTS"
RANKED_PK = "RATEDLST"  # GSI1 of listings' reputation items: best rated first
REPUTATION_FIELDS = (
    "rating_sum",
    "rating_count",
    "sum_preparation",
    "n_preparation",
    "sum_communication",
    "n_communication",
    "sum_atmosphere",
    "n_atmosphere",
    "sum_value",
    "n_value",
)


def review_pk(review_id: str) -> str:
    return f"REVIEW#{review_id}"


def guard_key(booking_id: str, side: str) -> tuple[str, str]:
    return f"BKGREV#{booking_id}", f"SIDE#{side}"


def listing_reviews_pk(listing_id: str) -> str:
    return f"LSTREV#{listing_id}"


def user_reviews_pk(user_id: str) -> str:
    return f"USRREV#{user_id}"


def reputation_pk(subject_id: str) -> str:
    return f"REPUTATION#{subject_id}"


def feedback_pk(session_id: str) -> str:
    return f"FEEDBACK#{session_id}"


class ReviewItem(BaseItem, discriminator="review"):
    review_id = UnicodeAttribute()
    booking_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    player_id = UnicodeAttribute()
    side = UnicodeAttribute()  # who wrote it: player (about the host and session) | host (about the player)
    author_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    rating = NumberAttribute()
    preparation = NumberAttribute(null=True)
    communication = NumberAttribute(null=True)
    atmosphere = NumberAttribute(null=True)
    value = NumberAttribute(null=True)
    text = UnicodeAttribute(null=True)
    state = UnicodeAttribute()  # pending | published
    window_closes_at = UTCDateTimeAttribute()
    edit_until = UTCDateTimeAttribute()
    published_at = UTCDateTimeAttribute(null=True)
    edited_at = UTCDateTimeAttribute(null=True)
    reply_text = UnicodeAttribute(null=True)
    replied_at = UTCDateTimeAttribute(null=True)
    report_count = NumberAttribute(default=0)
    hidden = BooleanAttribute(default=False)
    hidden_reason = UnicodeAttribute(null=True)
    hidden_by = UnicodeAttribute(null=True)
    hidden_at = UTCDateTimeAttribute(null=True)


class ReviewGuardItem(BaseItem, discriminator="review_guard"):
    review_id = UnicodeAttribute()


class ReviewReportItem(BaseItem, discriminator="review_report"):
    review_id = UnicodeAttribute()
    reporter_id = UnicodeAttribute()
    reason = UnicodeAttribute()


class ReputationItem(BaseItem, discriminator="reputation"):
    rep_version = NumberAttribute(default=0)
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    sum_preparation = NumberAttribute(default=0)
    n_preparation = NumberAttribute(default=0)
    sum_communication = NumberAttribute(default=0)
    n_communication = NumberAttribute(default=0)
    sum_atmosphere = NumberAttribute(default=0)
    n_atmosphere = NumberAttribute(default=0)
    sum_value = NumberAttribute(default=0)
    n_value = NumberAttribute(default=0)


class ReviewStatsItem(BaseItem, discriminator="review_stats"):
    reviews = NumberAttribute(default=0)
    reports = NumberAttribute(default=0)
    hidden = NumberAttribute(default=0)


class FeedbackItem(BaseItem, discriminator="session_feedback"):
    session_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    went_well = UnicodeAttribute(null=True)
    to_improve = UnicodeAttribute(null=True)
