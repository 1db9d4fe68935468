"""Stage settings, read once from the environment (`.chalice/config.json` sets it per stage)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "booking": (20, 60),  # bookings, waitlist joins and claims
    "upload": (30, 60),  # presigned uploads: avatars, listing images, attachments
    "search": (120, 60),  # public search of sessions and listings
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    stage: str = "local"
    service_name: str = "sesh"
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")

    table_name: str = "sesh-local"
    dynamodb_endpoint_url: str | None = None

    uploads_bucket: str = "sesh-local-uploads"
    s3_endpoint_url: str | None = None
    avatar_max_bytes: int = 5 * 1024 * 1024

    # JWT verification: any issuer with a JWKS works (Cognito in AWS, the dev issuer locally).
    jwt_issuer: str = "http://127.0.0.1:8000/dev"
    jwt_audience: str = "sesh"
    jwks_url: str | None = None
    jwks_json: str | None = None  # inline JWKS, used by tests and the local stack
    jwt_leeway_seconds: int = 30

    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()  # comma-separated in the environment
    max_body_bytes: int = 1024 * 1024
    # Rate limits of the costly routes (core.rate_limit): name -> (requests, per seconds), per user,
    # or per IP without a token. JSON in the environment, e.g. RATE_LIMITS='{"search": [600, 60]}'
    # (names left out keep their defaults).
    rate_limits: dict[str, tuple[int, int]] = Field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))

    # Secrets: taken from the environment when set (tests, local stack), otherwise from SSM
    # Parameter Store under /sesh/<stage>/<name>.
    cursor_secret: str | None = None
    idempotency_ttl_seconds: int = 24 * 3600

    # Realtime: the API Gateway management API (@connections) used to push frames to websockets,
    # e.g. https://<api-id>.execute-api.<region>.amazonaws.com/<stage>. When unset, the endpoint
    # is learned from the first websocket event this container handles.
    websocket_management_url: str | None = None
    ws_connection_ttl_seconds: int = 2 * 3600  # API Gateway's maximum connection duration
    realtime_max_workers: int = 16  # parallel posts per fan-out

    # Email through SES (v2). The from-address must be a verified identity.
    ses_endpoint_url: str | None = None
    email_from: str = "Sesh <no-reply@sesh.example>"

    # Notifications: links in emails (unsubscribe, calendar feed) point at the public API and the web
    # app; mobile push goes through SNS platform applications (by ARN, or found by the name
    # sesh-<stage>-ios / sesh-<stage>-android when unset); unread chat messages of an offline user
    # are emailed as one digest this many minutes after the first.
    public_api_url: str = "http://127.0.0.1:8000"
    web_app_url: str = "http://127.0.0.1:8000"
    sns_endpoint_url: str | None = None
    sns_apns_application_arn: str | None = None
    sns_fcm_application_arn: str | None = None
    chat_digest_delay_minutes: int = 15

    # Stripe: keys are secrets (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, see core.secrets); the API
    # base is only set locally, where it points at the Stripe emulator.
    stripe_api_base: str | None = None
    # Per attempt (the SDK retries twice): well inside API Gateway's 29 s, not the SDK's default 80 s.
    stripe_timeout_seconds: float = 5.0
    stripe_event_retention_days: int = 30  # how long processed webhook event ids are remembered

    # Reviews: double-blind until both sides wrote or the window (days after the session) closes.
    review_window_days: int = 14
    review_edit_hours: int = 48
    # Marketplace payments (chalicelib/payments): the platform fee per currency as
    # {"usd": [percent_bps, fixed_minor_units], ...} (JSON in the environment); a currency not listed
    # pays `platform_fee_bps` and no fixed part. Hosts are paid `payout_hold_days` after completion.
    platform_fee_bps: int = Field(default=1000, ge=0, le=10_000)
    platform_fees: dict[str, tuple[int, int]] = Field(default_factory=lambda: {"usd": (1000, 30), "eur": (1000, 25)})
    payout_hold_days: int = Field(default=2, ge=0, le=90)
    payouts_return_url: str = "https://sesh.example/host/payouts?onboarding=done"
    payouts_refresh_url: str = "https://sesh.example/host/payouts?onboarding=retry"

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("rate_limits", mode="after")
    @classmethod
    def _with_default_limits(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        merged = {**DEFAULT_RATE_LIMITS, **value}
        if any(requests < 1 or seconds < 1 for requests, seconds in merged.values()):
            raise ValueError("rate limits need at least 1 request per at least 1 second")
        return merged

    @property
    def effective_jwks_url(self) -> str:
        return self.jwks_url or self.jwt_issuer.rstrip("/") + "/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
