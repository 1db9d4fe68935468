"""The booking contract: requests and responses of the booking and waitlist routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.core.money import Money
from chalicelib.core.validators import Currency

MAX_SEATS_PER_BOOKING = 20  # the listing's max_seats bounds it further
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BookingIn(_Strict):
    seats: int = Field(default=1, ge=1, le=MAX_SEATS_PER_BOOKING)
    note: Note | None = None
    currency: Currency | None = Field(
        default=None,
        description="The currency to pay in: one the listing prices (its price or a regional price), else 422 "
        "currency_not_offered naming the listing's currencies. Without it: your profile's currency when the "
        "listing prices it, else the listing's own.",
    )


class PaymentOut(BaseModel):
    payment_intent_id: str
    client_secret: str
    amount: Money
    capture: Literal["automatic", "manual"]


class BookingOut(BaseModel):
    id: str
    session_id: str
    listing_id: str
    host_id: str
    player_id: str
    state: str
    mode: str
    seats: int
    note: str | None
    starts_at: str
    ends_at: str
    price: Money
    payment_status: str | None
    amount_refunded: int
    hold_expires_at: str | None
    disputed: bool
    created_at: str
    updated_at: str


class BookingCreated(BookingOut):
    payment: PaymentOut | None = None


class BookingList(BaseModel):
    items: list[BookingOut]
    next_cursor: str | None


class MyBookingsQuery(_Strict):
    status: (
        Literal["requested", "pending_payment", "confirmed", "completed", "cancelled", "declined", "expired", "no_show"]
        | None
    ) = None
    when: Literal["upcoming", "past"] = "upcoming"
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class TierOut(BaseModel):
    hours_before_start: int
    refund_percent: int


class QuoteOut(BaseModel):
    booking_id: str
    refund: Money
    refund_percent: int
    tier: TierOut | None
    reason: str
    quoted_at: str


class CancelOut(BaseModel):
    booking: BookingOut
    refund: Money


class RescheduleIn(_Strict):
    session_id: str = Field(min_length=1, max_length=40)


class WaitlistIn(_Strict):
    seats: int = Field(default=1, ge=1, le=MAX_SEATS_PER_BOOKING)


class WaitlistEntryOut(BaseModel):
    id: str
    session_id: str
    listing_id: str
    player_id: str
    seats: int
    state: str
    position: int | None = Field(description="1 for the head of the queue; null once not waiting")
    offer_expires_at: str | None
    booking_id: str | None
    created_at: str


class WaitlistList(BaseModel):
    items: list[WaitlistEntryOut]
    next_cursor: str | None


class RosterOut(BaseModel):
    session_id: str
    capacity: int
    seats_booked: int
    seats_held: int
    items: list[BookingOut]
    waitlist: list[WaitlistEntryOut]


class ClaimOut(BookingCreated):
    pass


class Timestamp(BaseModel):
    at: datetime
