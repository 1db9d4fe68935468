"""Request and response models of reviews: the public contract."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.core.pagination import PageQuery
from chalicelib.reviews import domain

Stars = Annotated[int, Field(ge=domain.MIN_RATING, le=domain.MAX_RATING)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=domain.MAX_TEXT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewIn(_Strict):
    rating: Stars = Field(description="1 to 5 stars overall.")
    preparation: Stars | None = Field(default=None, description="Players only.")
    communication: Stars | None = None
    atmosphere: Stars | None = Field(default=None, description="Atmosphere, or sound quality for music sessions.")
    value: Stars | None = Field(default=None, description="Players only.")
    text: Text | None = None


class ReviewEdit(_Strict):
    rating: Stars | None = None
    preparation: Stars | None = None
    communication: Stars | None = None
    atmosphere: Stars | None = None
    value: Stars | None = None
    text: Text | None = None


class ReplyIn(_Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=domain.MAX_REPLY)]


class ReportIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class HideIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class FeedbackIn(_Strict):
    went_well: Annotated[str, StringConstraints(strip_whitespace=True, max_length=domain.MAX_FEEDBACK)] | None = None
    to_improve: Annotated[str, StringConstraints(strip_whitespace=True, max_length=domain.MAX_FEEDBACK)] | None = None


class SubRatings(BaseModel):
    preparation: int | None
    communication: int | None
    atmosphere: int | None
    value: int | None


class Reply(BaseModel):
    text: str
    replied_at: str


class ReviewOut(BaseModel):
    id: str
    booking_id: str
    listing_id: str
    session_id: str
    side: Literal["player", "host"] = Field(description="Who wrote it: the player (about the host) or the host.")
    author_id: str
    subject_id: str
    rating: int
    sub_ratings: SubRatings
    text: str | None
    state: Literal["pending", "published"]
    published_at: str | None
    editable_until: str
    reply: Reply | None
    hidden: bool = Field(description="Hidden by a moderator: kept for audit, shown only to admins.")
    hidden_reason: str | None = None
    created_at: str


class Rating(BaseModel):
    average: float | None = Field(description="Mean of the overall stars, 2 decimals; null without reviews.")
    count: int
    sub_averages: dict[str, float | None]


class ReviewList(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None


class ListingReviewList(ReviewList):
    rating: Rating


class UserReviewsQuery(PageQuery):
    about: Literal["host", "player"] = Field(
        default="host",
        description="host: players' reviews of this host (public); player: hosts' reviews of "
        "this player (hosts and admins only).",
    )


class ReputationOut(BaseModel):
    subject_id: str
    rating: Rating
    badges: list[str] = Field(default_factory=list, description="Hosts only: badges earned from facts.")


class ReportOut(BaseModel):
    review_id: str
    reported: bool


class FeedbackOut(BaseModel):
    session_id: str
    went_well: str | None
    to_improve: str | None
    updated_at: str
