"""What AWS and Stripe would already have for a deployed stage, created on the local services:
the table (from the infra template), the uploads bucket, the SES sender identity, the SNS push
applications, and the Stripe
webhook endpoint pointing at the API with the stage's signing secret. Idempotent.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import boto3
import requests

from devstack import mail
from devstack.config import StackConfig
from devstack.table import create_table

WEBHOOK_NAME = "sesh-local"


def provision(config: StackConfig) -> None:
    from chalicelib.core.secrets import get_secret
    from chalicelib.core.settings import get_settings

    settings = get_settings()
    dynamodb = boto3.client("dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint_url)
    create_table(dynamodb, settings.table_name)
    _start_sweep_cursor()
    _bucket(settings.uploads_bucket, settings.aws_region, settings.s3_endpoint_url, settings.cors_allowed_origins)
    mail.verify_sender(settings.email_from)
    _push_applications(settings.aws_region, settings.sns_endpoint_url, settings.stage)
    register_stripe_webhook(config, get_secret("stripe_webhook_secret"))


def _start_sweep_cursor() -> None:
    """A new table has no timers, so nothing to catch up on: without this its first sweep would
    read the whole lookback window (a day of minute buckets) before it reaches today."""
    from chalicelib.core import clock, sweep

    if sweep.read_cursor() is None:
        sweep.write_cursor(clock.now() - timedelta(minutes=1))


def _bucket(name: str, region: str, endpoint: str | None, origins: tuple[str, ...]) -> None:
    s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=name)
    # Browsers upload avatars straight to S3 with the presigned POST: the web app's origins may.
    rule = {"AllowedOrigins": list(origins) or ["*"], "AllowedMethods": ["GET", "POST", "PUT"], "AllowedHeaders": ["*"]}
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [rule]})


def _push_applications(region: str, endpoint: str | None, stage: str) -> None:
    """The SNS platform applications push registers devices with (sesh-local-ios, sesh-local-android)."""
    sns = boto3.client("sns", region_name=region, endpoint_url=endpoint)
    existing = {
        a["PlatformApplicationArn"].rsplit("/", 1)[-1]
        for a in sns.list_platform_applications().get("PlatformApplications", [])
    }
    for platform, kind in (("ios", "APNS"), ("android", "GCM")):
        name = f"sesh-{stage}-{platform}"
        if name not in existing:
            sns.create_platform_application(Name=name, Platform=kind, Attributes={})


def register_stripe_webhook(config: StackConfig, secret: str) -> None:
    """localstripe's own configuration route: deliver every event to our webhook route, signed."""
    response = requests.post(
        f"{config.stripe_url}/_config/webhooks/{WEBHOOK_NAME}",
        data={"url": f"{config.api_url}/v1/webhooks/stripe", "secret": secret},
        timeout=5,
    )
    response.raise_for_status()
