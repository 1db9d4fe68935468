"""The app's environment in the local stack, set before `app` is imported (settings are read once).

Wiring (endpoints, table, issuer, stage, credentials) is always ours; matters of taste (CORS origins,
log level, from-address, cursor secret) keep any value already in the environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from devstack.config import StackConfig
from devstack.issuer import Issuer

AUDIENCE = "sesh"
TABLE_NAME = "sesh-local"
UPLOADS_BUCKET = "sesh-local-uploads"
REGION = "us-east-1"
STRIPE_SECRET_KEY = "sk_test_sesh_local"
STRIPE_WEBHOOK_SECRET = "whsec_sesh_local_signing_secret"
EMAIL_FROM = "Sesh <no-reply@sesh.example>"


def load_issuer(config: StackConfig) -> Issuer:
    """The dev issuer, with its key kept under the data folder so printed tokens survive restarts."""
    key_file: Path = config.data_dir / "issuer-key.pem"
    if config.fresh:
        key_file.unlink(missing_ok=True)
    if key_file.exists():
        return Issuer.from_pem(key_file.read_bytes(), issuer=config.issuer, audience=AUDIENCE)
    issuer = Issuer(issuer=config.issuer, audience=AUDIENCE)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(issuer.private_pem())
    key_file.chmod(0o600)
    return issuer


def app_environment(config: StackConfig, issuer: Issuer) -> dict[str, str]:
    wiring = {
        "STAGE": "local",
        "TABLE_NAME": TABLE_NAME,
        "UPLOADS_BUCKET": UPLOADS_BUCKET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # Local emulators only: never let real credentials travel to them.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "DYNAMODB_ENDPOINT_URL": config.dynamodb_url,
        "S3_ENDPOINT_URL": config.aws_url,
        "SES_ENDPOINT_URL": config.aws_url,
        "SNS_ENDPOINT_URL": config.aws_url,  # push: platform endpoints on moto (no phone is reached)
        "PUBLIC_API_URL": config.api_url,  # links in emails: unsubscribe, calendar feed
        "WEBSOCKET_MANAGEMENT_URL": config.api_url,
        "STRIPE_API_BASE": config.stripe_url,
        "JWT_ISSUER": issuer.issuer,
        "JWT_AUDIENCE": issuer.audience,
        "JWKS_JSON": json.dumps(issuer.jwks()),
        "STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,  # the emulator's: a real key never goes to it
        "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    taste = {
        "CORS_ALLOWED_ORIGINS": "http://localhost:5173,http://127.0.0.1:5173,http://localhost:3000",
        "EMAIL_FROM": EMAIL_FROM,
        "CURSOR_SECRET": "sesh-local-cursor-secret",
        "POWERTOOLS_SERVICE_NAME": "sesh",
        "POWERTOOLS_METRICS_DISABLED": "true",  # no EMF blobs in the terminal
        "LOG_LEVEL": "INFO",
    }
    return {**{k: os.environ.get(k) or v for k, v in taste.items()}, **wiring}


def apply(environment: dict[str, str]) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "JWKS_URL"):
        os.environ.pop(name, None)
    os.environ.update(environment)
