"""Request and response models of analytics and the admin overview."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AnalyticsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    from_: date | None = Field(
        default=None, alias="from", description="First day (host's timezone); default: to - 29 days."
    )
    to: date | None = Field(default=None, description="Last day, inclusive (host's timezone); default: today.")
    granularity: Literal["day", "week", "month"] = "day"


class AdminMetricsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    days: int = Field(default=30, ge=1, le=366, description="The last N UTC days, today included.")


class Amount(BaseModel):
    """A sum of money in minor units (sums may exceed one charge's ceiling)."""

    amount: int
    currency: str


class Cancellations(BaseModel):
    by_player: int
    by_host: int
    by_system: int = Field(description="Minimum players not reached, payment failures, expired holds.")


class Figures(BaseModel):
    bookings: int = Field(description="Bookings confirmed.")
    seats_sold: int
    fill_rate: float | None = Field(description="Seats of completed bookings / capacity of the sessions run (0..1).")
    sessions_run: int
    completed: int
    revenue: list[Amount]
    refunds: list[Amount]
    cancellations: Cancellations
    no_shows: int
    declined: int
    new_players: int = Field(description="Bookings by players new to this host.")
    repeat_bookings: int = Field(description="Bookings by players who booked this host before.")
    waitlist_conversions: int


class Period(Figures):
    start: str = Field(description="The period's first day (weeks start on Monday).")


class TopListing(BaseModel):
    listing_id: str
    bookings: int
    seats_sold: int


class AnalyticsOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    host_id: str
    timezone: str
    from_: str = Field(serialization_alias="from")
    to: str
    granularity: str
    periods: list[Period]
    totals: Figures
    top_listings: list[TopListing]


class AdminMetrics(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    from_: str = Field(serialization_alias="from")
    to: str
    bookings: int
    seats_sold: int
    revenue: list[Amount]
    refunds: list[Amount]
    cancellations: Cancellations
    disputes: int
    active_hosts_this_month: int
    reviews_written: int
    reported_reviews: int = Field(description="Reports of reviews, one per reporter and review (all time).")
    hidden_reviews: int
    reported_messages: int = Field(description="Reports of chat messages, one per member and message (all time).")
