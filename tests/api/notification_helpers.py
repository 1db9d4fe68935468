"""Helpers of the notifications API tests: a SES that fails on demand (moto's real sesv2 client behind
the email adapter's seam), the mail it sent, parsed, and users with a language and a timezone."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.core import clock, sweep
from chalicelib.core.settings import get_settings


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    attachments: dict[str, bytes]


def _parse(raw: bytes) -> Mail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = {str(part.get_filename()): part.get_payload(decode=True) for part in message.iter_attachments()}
    return Mail(
        to=str(message["To"]),
        subject=str(message["Subject"]).strip(),
        text=str(text.get_content()) if text is not None else "",
        html=str(html.get_content()) if html is not None else "",
        headers={k: str(v) for k, v in message.items()},
        attachments=attachments,
    )


@dataclass
class FlakySes:
    """sesv2 `send_email` through moto; the next `failures` calls raise as a throttled SES would."""

    real: Any
    failures: int = 0
    sent: list[Mail] = field(default_factory=list)
    attempts: int = 0

    def send_email(self, **kwargs: Any) -> Any:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "SendEmail")
        response = self.real.send_email(**kwargs)
        self.sent.append(_parse(kwargs["Content"]["Raw"]["Data"]))
        return response

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.sent if address in m.to]


def flaky_ses() -> FlakySes:
    settings = get_settings()
    boto3.client("ses", region_name=settings.aws_region).verify_email_identity(EmailAddress="no-reply@sesh.example")
    return FlakySes(boto3.client("sesv2", region_name=settings.aws_region))


def user(
    api: Any, token_for: Any, *, locale: str = "en", timezone: str = "UTC", host: bool = False
) -> tuple[str, str, str]:
    """(token, user id, email) of a new user speaking `locale` in `timezone`."""
    token = token_for()
    if host:
        assert api.put("/v1/me/host", token=token, json_body={"kinds": ["game_master"], "headline": "GM"}).status == 200
    me = api.patch("/v1/me", token=token, json_body={"locale": locale, "timezone": timezone})
    assert me.status == 200, me.body
    return token, str(me.json["id"]), str(me.json["email"])


def feed(api: Any, token: str, **query: str) -> dict[str, Any]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    response = api.get("/v1/me/notifications" + (f"?{qs}" if qs else ""), token=token)
    assert response.status == 200, response.body
    return dict(response.json)


def sweep_at(moment: datetime) -> None:
    """Move the clock to `moment` and run the sweep over the minutes just before it (not over the
    days the clock jumped: nothing the tests wait for is due there)."""
    clock.freeze(moment)
    sweep.write_cursor(moment - timedelta(minutes=5))
    sweep.run(lookback_minutes=5, workers=1)  # one worker: moto's transactions are not thread-safe


@contextmanager
def push_platforms() -> Iterator[Any]:
    """SNS platform applications for iOS and Android on moto, used by the push adapter meanwhile."""
    from chalicelib.notifications import push

    client = boto3.client("sns", region_name="us-east-1")
    arns = [
        client.create_platform_application(Name=f"sesh-test-{p}", Platform=k, Attributes={})["PlatformApplicationArn"]
        for p, k in (("ios", "APNS"), ("android", "GCM"))
    ]
    push.use_client(client)
    try:
        yield client
    finally:
        push.use_client(None)
        for arn in arns:
            client.delete_platform_application(PlatformApplicationArn=arn)
