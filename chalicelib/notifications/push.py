"""The mobile push adapter: Amazon SNS platform endpoints (APNs for iOS, FCM for Android).

A device token becomes a platform endpoint of the stage's platform application for its platform:
the ARN from the settings (`SNS_APNS_APPLICATION_ARN`, `SNS_FCM_APPLICATION_ARN`) or, when unset,
the application named `sesh-<stage>-<platform>`. Publishing to an endpoint that the platform has
disabled (uninstalled app, expired token) raises `EndpointGone`, and the caller forgets the device.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.core.settings import get_settings

PLATFORMS = {"ios": "APNS", "android": "GCM"}  # our platform names → SNS's


class EndpointGone(Exception):
    """The endpoint is disabled or deleted: its device should be removed."""


class NoPlatformApplication(Exception):
    """No SNS platform application is configured for this platform."""


_client_override: list[Any] = []


def use_client(client: Any | None) -> None:
    """Send through another SNS client (tests), or back to the stage's with None."""
    _client_override.clear()
    if client is not None:
        _client_override.append(client)
    _application_arn.cache_clear()


def client() -> Any:
    return _client_override[0] if _client_override else _sns()


@lru_cache(maxsize=1)
def _sns() -> Any:
    settings = get_settings()
    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("sns", region_name=settings.aws_region, endpoint_url=settings.sns_endpoint_url, config=config)


@lru_cache(maxsize=4)
def _application_arn(platform: str) -> str:
    settings = get_settings()
    configured = {"ios": settings.sns_apns_application_arn, "android": settings.sns_fcm_application_arn}[platform]
    if configured:
        return configured
    name = f"{settings.service_name}-{settings.stage}-{platform}"
    for page in client().get_paginator("list_platform_applications").paginate():
        for app in page.get("PlatformApplications", []):
            arn = str(app["PlatformApplicationArn"])
            if arn.endswith(f"/{name}"):
                return arn
    raise NoPlatformApplication(platform)


def register(platform: str, token: str, user_id: str) -> str:
    """The endpoint ARN for this token (SNS returns the existing one for a known token)."""
    try:
        response = client().create_platform_endpoint(
            PlatformApplicationArn=_application_arn(platform), Token=token, CustomUserData=user_id
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidParameter":
            raise ValueError(exc.response["Error"].get("Message", "invalid token")) from None
        raise
    arn = str(response["EndpointArn"])
    attributes = client().get_endpoint_attributes(EndpointArn=arn).get("Attributes", {})
    if attributes.get("Enabled") == "false":  # a token seen before and disabled: it is valid again now
        client().set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true", "Token": token})
    return arn


def unregister(endpoint_arn: str) -> None:
    try:
        client().delete_endpoint(EndpointArn=endpoint_arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NotFound":
            raise


def publish(endpoint_arn: str, platform: str, title: str, body: str, data: dict[str, Any]) -> str:
    """Send one push; EndpointGone when the platform no longer accepts this endpoint."""
    if platform == "ios":
        native = {"aps": {"alert": {"title": title, "body": body}, "sound": "default"}, "data": data}
        message = {"default": body, "APNS": json.dumps(native), "APNS_SANDBOX": json.dumps(native)}
    else:
        native = {"notification": {"title": title, "body": body}, "data": {k: str(v) for k, v in data.items()}}
        message = {"default": body, "GCM": json.dumps(native)}
    try:
        attributes = client().get_endpoint_attributes(EndpointArn=endpoint_arn).get("Attributes", {})
        if attributes.get("Enabled") == "false":
            raise EndpointGone(endpoint_arn)
        response = client().publish(TargetArn=endpoint_arn, Message=json.dumps(message), MessageStructure="json")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("EndpointDisabled", "NotFound", "InvalidParameter"):
            raise EndpointGone(endpoint_arn) from None
        raise
    return str(response["MessageId"])
