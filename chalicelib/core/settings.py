"""Stage settings, read once from the environment (`.chalice/config.json` sets it per stage)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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

    # Stripe: keys are secrets (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, see core.secrets); the API
    # base is only set locally, where it points at the Stripe emulator.
    stripe_api_base: str | None = None
    stripe_event_retention_days: int = 30  # how long processed webhook event ids are remembered

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

    @property
    def effective_jwks_url(self) -> str:
        return self.jwks_url or self.jwt_issuer.rstrip("/") + "/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
