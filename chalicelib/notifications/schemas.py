"""Public contract of notifications: the feed, read marks, preferences, devices, calendar feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.core.pagination import PageQuery


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotificationOut(BaseModel):
    id: str
    kind: str  # the message: booking_confirmed, waitlist_offered, reminder_24h, ...
    category: str
    title: str
    body: str
    data: dict[str, Any]  # ids of what it is about (booking_id, session_id, ...)
    read: bool
    created_at: str


class FeedQuery(PageQuery):
    unread: bool = False


class FeedPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class MarkRead(_Strict):
    ids: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        default=None, min_length=1, max_length=100
    )
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if bool(self.ids) == self.all:
            raise ValueError("give either ids or all: true")
        return self


class ReadResult(BaseModel):
    marked: int
    unread_count: int


class Channels(BaseModel):
    in_app: bool
    email: bool
    push: bool


class ChannelsIn(_Strict):
    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None


class PreferencesOut(BaseModel):
    categories: dict[str, Channels]
    always_on: list[str]  # categories that always go out in-app and by email (receipts, security)
    version: int


class PreferencesIn(_Strict):
    categories: dict[str, ChannelsIn] = Field(max_length=20)


class DeviceIn(_Strict):
    platform: Literal["ios", "android"]
    token: str = Field(min_length=8, max_length=4096, pattern=r"^[A-Za-z0-9:_\-.]+$")


class DeviceOut(BaseModel):
    id: str
    platform: str
    created_at: str


class CalendarFeedOut(BaseModel):
    url: str  # private: anyone with it can read your calendar; rotate to revoke
    webcal_url: str


class UnsubscribeQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user: str = Field(max_length=64)
    category: str = Field(max_length=32)
    sig: str = Field(max_length=128)
