"""The discovery contract: search filters (query parameters, also what a saved search keeps),
result cards and pages, favorites and saved searches."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from chalicelib.catalog import domain, geo
from chalicelib.catalog.schemas import (
    CategoryId,
    GameSystemId,
    HostSummary,
    LevelId,
    ListingCard,
    SessionBrief,
    ToolId,
)
from chalicelib.core import ids
from chalicelib.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from chalicelib.core.validators import Currency, Locale, Timezone


def _tags(value: str) -> str:
    return ",".join(domain.normalise_tags(t for t in value.split(",") if t.strip()))


def _host(value: str) -> str:
    if not ids.is_id(value, "usr"):
        raise ValueError("must be a user id (usr_...)")
    return value


def _near(value: str) -> str:
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise ValueError("must be 'lat,lon' in degrees, e.g. '52.52,13.40'") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    return f"{lat},{lon}"


class SearchFilters(BaseModel):
    """Every filter of GET /v1/sessions and GET /v1/listings. All are optional and combine with AND."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, description="Words that must all be in the title (case and accents ignored)."
    )
    category: CategoryId | None = None
    tags: Annotated[str, StringConstraints(max_length=400), AfterValidator(_tags)] | None = Field(
        default=None, description="Comma-separated; results have all of them (at most 10)."
    )
    game_system: GameSystemId | None = None
    tool: ToolId | None = Field(default=None, description="Where it happens: a VTT, a call, a DAW, in person.")
    language: Locale | None = None
    experience_level: LevelId | None = Field(default=None, description="Listings for everyone match any level.")
    price_min: int | None = Field(default=None, ge=0, description="Minor units of `currency`.")
    price_max: int | None = Field(default=None, ge=0, description="Minor units of `currency`.")
    sort: Literal["start", "price", "rating"] = Field(
        default="start",
        description="price: cheapest first (needs currency); rating: best rated listings first "
        "(listings without reviews are left out).",
    )
    min_rating: float | None = Field(default=None, ge=1, le=5, description="Listings rated at least this (1-5).")
    currency: Currency | None = Field(
        default=None, validate_default=True, description="The currency of the price filter and sort."
    )
    starts_after: datetime | None = Field(default=None, description="Default: now (only upcoming sessions).")
    starts_before: datetime | None = Field(default=None, validate_default=True)
    has_free_seats: bool = False
    mode: Literal["online", "in_person"] | None = None
    near: Annotated[str, StringConstraints(max_length=60), AfterValidator(_near)] | None = Field(
        default=None, description="'lat,lon': in-person sessions within radius_km of this point."
    )
    radius_km: float = Field(default=25.0, gt=0, le=geo.MAX_RADIUS_KM)
    host: Annotated[str, StringConstraints(max_length=40), AfterValidator(_host)] | None = None

    @field_validator("price_max")
    @classmethod
    def _max_above_min(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("price_min")
        if value is not None and low is not None and value < low:
            raise ValueError("must not be below price_min")
        return value

    @field_validator("currency")
    @classmethod
    def _currency_when_priced(cls, value: str | None, info: ValidationInfo) -> str | None:
        priced = info.data.get("price_min") is not None or info.data.get("price_max") is not None
        if value is None and (priced or info.data.get("sort") == "price"):
            raise ValueError("is required with a price filter or sort=price")
        return value

    @field_validator("starts_after", "starts_before")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a zone, e.g. 2026-03-20T18:00:00Z")
        return value

    @field_validator("starts_before")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("starts_after")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after starts_after")
        return value

    @field_validator("near")
    @classmethod
    def _not_online(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("mode") == "online":
            raise ValueError("a radius search finds in-person sessions; drop mode=online")
        return value


class SearchQuery(SearchFilters):
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2048)
    tz: Timezone | None = Field(default=None, description="Also show start times in this IANA zone.")


class SessionCard(SessionBrief):
    listing: ListingCard
    host: HostSummary | None


class SessionPage(BaseModel):
    items: list[SessionCard]
    next_cursor: str | None


class ListingResult(BaseModel):
    listing: ListingCard
    host: HostSummary | None
    next_session: SessionBrief = Field(description="Its first session that matches the search.")


class ListingPage(BaseModel):
    items: list[ListingResult]
    next_cursor: str | None


class Favorite(BaseModel):
    listing: ListingCard
    favorited_at: str


class FavoritePage(BaseModel):
    items: list[Favorite]
    next_cursor: str | None


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    filters: SearchFilters


class SavedSearch(BaseModel):
    id: str
    name: str
    filters: dict[str, object] = Field(description="The filters that were set, as query parameters.")
    query: str = Field(description="The same filters as a query string for GET /v1/sessions or /v1/listings.")
    created_at: str


class SavedSearchList(BaseModel):
    items: list[SavedSearch]
    next_cursor: str | None
