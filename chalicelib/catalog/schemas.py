"""The catalog contract for listings: request and response bodies, and the shared card shapes.

Sessions are in `session_schemas`, search, favorites and saved searches in `search_schemas`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.catalog import domain, taxonomy
from chalicelib.core.money import Money, Price
from chalicelib.core.pagination import PageQuery
from chalicelib.core.validators import Locale, Timezone

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Seats = Annotated[int, Field(ge=1, le=1000)]
Minutes = Annotated[int, Field(ge=15, le=24 * 60)]
ImageKey = Annotated[str, StringConstraints(max_length=300)]
MAX_DESCRIPTION_CHARS = 5000
MAX_TERM_CHARS = 60  # taxonomy ids (categories, game systems, tools, ...)


def _term(kind: str) -> AfterValidator:
    return AfterValidator(lambda v: taxonomy.check(kind, v))


_TERM = StringConstraints(max_length=MAX_TERM_CHARS)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


CategoryId = Annotated[str, _TERM, _term("category")]
GameSystemId = Annotated[str, _TERM, _term("game_system")]
ToolId = Annotated[str, _TERM, _term("tool")]
SafetyToolId = Annotated[str, _TERM, _term("safety_tool")]
LevelId = Annotated[str, _TERM, _term("experience_level")]
AgeRatingId = Annotated[str, _TERM, _term("age_rating")]
Tags = Annotated[
    list[Annotated[str, StringConstraints(max_length=domain.MAX_TAG_CHARS * 2)]],  # normalised to MAX_TAG_CHARS
    Field(max_length=domain.MAX_TAGS * 2),  # duplicates are folded, then MAX_TAGS applies
    AfterValidator(domain.normalise_tags),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Strict):
    mode: Literal["online", "in_person"]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _place_when_in_person(self) -> Location:
        if self.mode == "in_person" and (self.city is None or self.lat is None or self.lon is None):
            raise ValueError("an in-person location needs city, lat and lon")
        if self.mode == "online" and (self.lat is not None or self.lon is not None):
            raise ValueError("an online location has no coordinates")
        return self


class PolicyTier(_Strict):
    hours_before_start: int = Field(ge=0, le=24 * 365)
    refund_percent: int = Field(ge=0, le=100)


class CancellationPolicy(_Strict):
    preset: Literal["flexible", "moderate", "strict", "custom"]
    tiers: list[PolicyTier] | None = Field(default=None, max_length=5)

    @model_validator(mode="after")
    def _tiers_iff_custom(self) -> CancellationPolicy:
        if self.preset == "custom":
            if not self.tiers:
                raise ValueError("a custom policy needs tiers")
            if len({t.hours_before_start for t in self.tiers}) != len(self.tiers):
                raise ValueError("tiers need distinct hours_before_start")
        elif self.tiers is not None:
            raise ValueError("tiers are only given with the custom preset")
        return self

    def resolved(self) -> CancellationPolicyOut:
        """With the preset's tiers spelled out, longest notice first."""
        if self.preset == "custom":
            tiers = sorted(self.tiers or [], key=lambda t: -t.hours_before_start)
        else:
            tiers = [PolicyTier(hours_before_start=h, refund_percent=p) for h, p in domain.POLICY_PRESETS[self.preset]]
        return CancellationPolicyOut(preset=self.preset, tiers=tiers)


class CancellationPolicyOut(BaseModel):
    preset: str
    tiers: list[PolicyTier] = Field(description="Refund tiers, longest notice first; later than the last: none.")


class ListingIn(_Strict):
    """A listing as a host writes it. PATCH sends any subset; the merged whole must be valid."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] = ""
    category: CategoryId
    tags: Tags = Field(default_factory=list)
    game_system: GameSystemId | None = None
    tool: ToolId | None = None
    languages: Annotated[list[Locale], AfterValidator(_unique)] = Field(default_factory=lambda: ["en"], max_length=5)
    experience_level: LevelId = "any"
    age_rating: AgeRatingId = "all_ages"
    content_warnings: Annotated[list[ShortText], AfterValidator(_unique)] = Field(default_factory=list, max_length=20)
    safety_tools: Annotated[list[SafetyToolId], AfterValidator(_unique)] = Field(default_factory=list, max_length=10)
    format: Literal["group", "private"] = "group"
    location: Location = Field(default_factory=lambda: Location(mode="online"))
    min_players: Seats = 1
    max_seats: Seats
    price: Price
    regional_prices: list[Price] = Field(default_factory=list, max_length=10)
    cancellation_policy: CancellationPolicy = Field(default_factory=lambda: CancellationPolicy(preset="flexible"))
    booking_mode: Literal["instant", "approval"] = "instant"
    timezone: Timezone | None = None  # default: the host's own timezone
    duration_minutes: Minutes = 180  # default length of its sessions
    images: Annotated[list[ImageKey], AfterValidator(_unique)] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> ListingIn:
        vertical = taxonomy.vertical_of(self.category)
        if self.game_system is not None and not taxonomy.fits("game_system", self.game_system, vertical):
            raise ValueError("game_system only applies to tabletop categories")
        if self.tool is not None and not taxonomy.fits("tool", self.tool, vertical):
            raise ValueError("this tool does not fit the category's vertical")
        if self.min_players > self.max_seats:
            raise ValueError("min_players is more than max_seats")
        currencies = [p.currency for p in self.regional_prices]
        if len(set(currencies)) != len(currencies) or self.price.currency in currencies:
            raise ValueError("regional_prices need distinct currencies, other than the price's")
        return self


class ListingPatch(_Strict):
    """Any subset of a listing's fields; `null` clears an optional one. The merged listing must be valid."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)] | None = None
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] | None = None
    category: CategoryId | None = None
    tags: Tags | None = None
    game_system: GameSystemId | None = None
    tool: ToolId | None = None
    languages: Annotated[list[Locale], AfterValidator(_unique)] | None = Field(default=None, max_length=5)
    experience_level: LevelId | None = None
    age_rating: AgeRatingId | None = None
    content_warnings: Annotated[list[ShortText], AfterValidator(_unique)] | None = Field(default=None, max_length=20)
    safety_tools: Annotated[list[SafetyToolId], AfterValidator(_unique)] | None = Field(default=None, max_length=10)
    format: Literal["group", "private"] | None = None
    location: Location | None = None
    min_players: Seats | None = None
    max_seats: Seats | None = None
    price: Price | None = None
    regional_prices: list[Price] | None = Field(default=None, max_length=10)
    cancellation_policy: CancellationPolicy | None = None
    booking_mode: Literal["instant", "approval"] | None = None
    timezone: Timezone | None = None
    duration_minutes: Minutes | None = None
    images: Annotated[list[ImageKey], AfterValidator(_unique)] | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _something_to_change(self) -> ListingPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class Image(BaseModel):
    key: str
    url: str


class HostSummary(BaseModel):
    id: str
    display_name: str
    avatar_url: str | None
    headline: str | None


class ListingOut(BaseModel):
    id: str
    host_id: str
    status: Literal["draft", "published", "unpublished", "archived"]
    title: str
    description: str
    category: str
    vertical: str
    tags: list[str]
    game_system: str | None
    tool: str | None
    languages: list[str]
    experience_level: str
    age_rating: str
    content_warnings: list[str]
    safety_tools: list[str]
    format: str
    location: Location
    min_players: int
    max_seats: int
    price: Money
    regional_prices: list[Money]
    cancellation_policy: CancellationPolicyOut
    booking_mode: str
    timezone: str
    duration_minutes: int
    images: list[Image]
    created_at: str
    updated_at: str
    version: int


class Rating(BaseModel):
    """A listing's or host's reviews in two numbers (kept by the reviews package)."""

    average: float | None = Field(description="Mean of the overall stars, 2 decimals; null without reviews.")
    count: int


class ListingCard(BaseModel):
    """What a result list shows of a listing."""

    id: str
    host_id: str
    title: str
    category: str
    vertical: str
    game_system: str | None
    tool: str | None
    tags: list[str]
    languages: list[str]
    experience_level: str
    format: str
    location: Location
    price: Money
    booking_mode: str
    image_url: str | None
    rating: Rating | None = Field(default=None, description="In search results (and listing pages).")


class SessionBrief(BaseModel):
    """One occurrence as lists show it: when (UTC, its zone, local, yours) and how many seats are free."""

    id: str
    state: Literal["scheduled", "cancelled"]
    starts_at: str
    ends_at: str
    timezone: str
    local_start: str
    viewer_start: str | None = Field(description="The start in the zone given as ?tz=, when given.")
    capacity: int
    seats_left: int


class ListingDetail(ListingOut):
    host: HostSummary | None
    upcoming_sessions: list[SessionBrief]
    rating: Rating | None = Field(default=None, description="Its published reviews: average and count.")


class ListingList(BaseModel):
    items: list[ListingOut]
    next_cursor: str | None


class ImageUploadIn(_Strict):
    content_type: Annotated[str, StringConstraints(pattern=r"^image/(jpeg|png|webp)$")]


class ImageUploadOut(BaseModel):
    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_in: int


class ViewerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tz: Timezone | None = Field(default=None, description="Also show times in this IANA zone.")


class Taxonomy(BaseModel):
    class Entry(BaseModel):
        id: str
        name: str
        vertical: str

    verticals: dict[str, str]
    categories: list[Entry]
    game_systems: list[Entry]
    tools: list[Entry]
    safety_tools: list[Entry]
    experience_levels: list[Entry]
    age_ratings: list[Entry]


class ViewerPageQuery(PageQuery):
    tz: Timezone | None = Field(default=None, description="Also show times in this IANA zone.")


class ListingCardList(BaseModel):
    items: list[ListingCard]
    next_cursor: str | None
