"""Response models of the dashboards. Items reuse the other packages' public shapes as plain dicts
(their own schemas document them), wrapped with what the dashboard adds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class UpcomingBooking(BaseModel):
    booking: dict[str, Any]
    chat_url: str | None = Field(description="The session's chat, once the host's chat is open.")


class AwaitingReview(BaseModel):
    booking: dict[str, Any]
    review_url: str
    window_closes_at: str


class PlayerDashboard(BaseModel):
    upcoming: list[UpcomingBooking]
    pending_payments: list[dict[str, Any]]
    waitlist: list[dict[str, Any]] = Field(description="Your waitlist entries with positions and open offers.")
    favorites: list[dict[str, Any]] = Field(description="Favorites, each with its next sessions.")
    notifications_unread: int = Field(description="Recent unread notifications (0 until notifications exist).")
    awaiting_review: list[AwaitingReview]


class HostSession(BaseModel):
    session_id: str
    listing_id: str
    listing_title: str
    starts_at: str
    local_start: str
    timezone: str
    capacity: int
    seats_booked: int
    fill_rate: float
    roster: list[dict[str, Any]]
    today: bool


class PendingRequest(BaseModel):
    booking: dict[str, Any]
    expires_at: str | None


class HostDashboard(BaseModel):
    sessions: list[HostSession] = Field(description="Today's and upcoming sessions, soonest first, with rosters.")
    requests: list[PendingRequest] = Field(description="Booking requests awaiting your decision, soonest expiry first.")
    recent_reviews: list[dict[str, Any]]
    rating: dict[str, Any]
    badges: list[str]
    payout_status: dict[str, Any]
    last_30_days: dict[str, Any]
