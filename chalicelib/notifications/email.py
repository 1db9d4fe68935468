"""The email adapter: sends through Amazon SES (v2), as a MIME message with a text and an HTML part.

The message is built here (stdlib `email`) and sent as raw content, so what SES delivers is exactly
what we built: both parts, our headers, and the same bytes the local stack's mail sink shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.core.settings import get_settings


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=PUBLISH"
    data: bytes


_client_override: list[Any] = []


def use_client(client: Any | None) -> None:
    """Send through `client` (an object with sesv2's `send_email`) instead of the SES client, or
    back to SES with None: the seam tests and the local stack use to put a failing SES in front."""
    _client_override.clear()
    if client is not None:
        _client_override.append(client)


def client() -> Any:
    return _client_override[0] if _client_override else _ses()


@lru_cache(maxsize=1)
def _ses() -> Any:
    settings = get_settings()
    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("sesv2", region_name=settings.aws_region, endpoint_url=settings.ses_endpoint_url, config=config)


def build_message(email: Email, sender: str) -> EmailMessage:
    if not email.to:
        raise ValueError("an email needs at least one recipient")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=extra
        )
    return message


def send(email: Email) -> str:
    """Send one email; returns SES's message id. Errors (throttling, rejection) propagate to the
    caller, which is the outbox: it retries later."""
    sender = get_settings().email_from
    message = build_message(email, sender)
    response = client().send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": list(email.to)},
        Content={"Raw": {"Data": message.as_bytes()}},
    )
    return str(response["MessageId"])
