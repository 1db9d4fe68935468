"""The accounts contract: request and response bodies of /v1/me, /v1/users and /v1/me/host."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from chalicelib.core.validators import Currency, Locale, Timezone

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
GearItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


class HostKind(StrEnum):
    game_master = "game_master"
    studio = "studio"
    producer = "producer"
    engineer = "engineer"
    session_musician = "session_musician"
    teacher = "teacher"


class SafetyTool(StrEnum):
    lines_and_veils = "lines_and_veils"
    x_card = "x_card"
    open_door = "open_door"
    session_zero = "session_zero"
    stars_and_wishes = "stars_and_wishes"
    script_change = "script_change"
    consent_checklist = "consent_checklist"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpdateMe(_Strict):
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)] | None = None
    bio: Annotated[str, StringConstraints(max_length=2000)] | None = None
    avatar_key: Annotated[str, StringConstraints(max_length=300)] | None = None
    locale: Locale | None = None
    timezone: Timezone | None = None
    currency: Currency | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateMe:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class HostProfileIn(_Strict):
    kinds: Annotated[list[HostKind], AfterValidator(_unique)] = Field(min_length=1, max_length=6)
    headline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    game_systems: Annotated[list[ShortText], AfterValidator(_unique)] = Field(default_factory=list, max_length=20)
    genres: Annotated[list[ShortText], AfterValidator(_unique)] = Field(default_factory=list, max_length=20)
    skills: Annotated[list[ShortText], AfterValidator(_unique)] = Field(default_factory=list, max_length=30)
    gear: Annotated[list[GearItem], AfterValidator(_unique)] = Field(default_factory=list, max_length=50)
    languages: Annotated[list[Locale], AfterValidator(_unique)] = Field(default_factory=list, max_length=10)
    portfolio_links: list[HttpUrl] = Field(default_factory=list, max_length=10)
    safety_tools: Annotated[list[SafetyTool], AfterValidator(_unique)] = Field(default_factory=list, max_length=10)
    rates_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class HostProfileOut(BaseModel):
    kinds: list[HostKind]
    headline: str
    game_systems: list[str]
    genres: list[str]
    skills: list[str]
    gear: list[str]
    languages: list[str]
    portfolio_links: list[str]
    safety_tools: list[SafetyTool]
    rates_text: str | None
    version: int


class HostRating(BaseModel):
    average: float | None
    count: int


class PublicProfile(BaseModel):
    """What anyone may see of a user: never email or settings."""

    id: str
    display_name: str
    bio: str | None
    avatar_url: str | None
    is_host: bool
    host_profile: HostProfileOut | None
    member_since: str
    rating: HostRating | None = Field(default=None, description="Hosts: their reviews' average and count.")


class Me(PublicProfile):
    """The caller's own profile, private fields included."""

    email: str | None
    locale: str
    timezone: str
    currency: str
    roles: list[str]
    version: int


class AvatarUploadIn(_Strict):
    content_type: Annotated[str, StringConstraints(pattern=r"^image/(jpeg|png|webp|gif)$")]


class AvatarUploadOut(BaseModel):
    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_in: int


class HostSummary(BaseModel):
    """A host as other capabilities show them next to their listings and sessions."""

    id: str
    display_name: str
    avatar_url: str | None
    headline: str | None
