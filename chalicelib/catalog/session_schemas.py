"""The catalog contract for sessions: creating one-off and recurring sessions, editing, reading."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.catalog.recurrence import MAX_OCCURRENCES
from chalicelib.catalog.schemas import HostSummary, ListingCard, Minutes, Seats
from chalicelib.core.money import Money
from chalicelib.core.validators import Timezone


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecurrenceIn(_Strict):
    frequency: Literal["weekly", "biweekly", "monthly"]
    count: int | None = Field(default=None, ge=1, le=MAX_OCCURRENCES)
    until: date | None = Field(default=None, description="Last local date a session may fall on (inclusive).")
    monthly_by: Literal["day_of_month", "weekday"] = Field(
        default="day_of_month", description="Monthly on the same date, or on the same nth weekday (5th → last)."
    )

    @model_validator(mode="after")
    def _count_or_until(self) -> RecurrenceIn:
        if (self.count is None) == (self.until is None):
            raise ValueError("give either count or until")
        return self


class SessionsIn(_Strict):
    start: datetime = Field(
        description="Local wall-clock start in `timezone` (e.g. 2026-03-20T19:00:00); with an offset it is converted."
    )
    timezone: Timezone | None = Field(default=None, description="IANA zone; default: the listing's.")
    duration_minutes: Minutes | None = Field(default=None, description="Default: the listing's.")
    capacity: Seats | None = Field(default=None, description="Seats; default: the listing's max_seats.")
    recurrence: RecurrenceIn | None = None


class SessionPatch(_Strict):
    start: datetime | None = Field(
        default=None,
        description="New local start of this session; following ones move by the same wall-clock shift.",
    )
    duration_minutes: Minutes | None = None
    capacity: Seats | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> SessionPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class EditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apply_to: Literal["this", "following"] = Field(
        default="this", description="This session only, or this and the later sessions of its series."
    )


class SessionOut(BaseModel):
    id: str
    listing_id: str
    host_id: str
    series_id: str | None
    state: Literal["scheduled", "cancelled"]
    starts_at: str
    ends_at: str
    timezone: str
    local_start: str = Field(description="The start in the session's own zone, with its offset.")
    viewer_start: str | None = Field(description="The start in the zone given as ?tz=, when given.")
    duration_minutes: int
    capacity: int
    seats_booked: int
    seats_held: int
    seats_left: int
    price: Money
    cancelled_at: str | None
    version: int


class SessionDetail(SessionOut):
    listing: ListingCard
    host: HostSummary | None


class SessionsCreated(BaseModel):
    series_id: str | None
    items: list[SessionOut]


class SessionsChanged(BaseModel):
    items: list[SessionOut]


class SessionList(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None
