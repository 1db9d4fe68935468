"""The email sink: what the app sent through SES, read from the moto server running in this process.

The app sends raw MIME through SES (v2); moto keeps every message, and here each is parsed back into
to / subject / text / html for GET /dev/mail.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from devstack.environment import REGION


@dataclass(frozen=True)
class Mail:
    id: str
    sender: str
    to: list[str]
    subject: str
    text: str | None
    html: str | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"] = data.pop("sender")
        return data


def _backend() -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID][REGION]


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    return str(part.get_content()) if part is not None else None


def _parse(stored: Any) -> Mail:
    if hasattr(stored, "raw_data"):
        message = email.message_from_string(stored.raw_data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        headers = [str(h) for h in message.get_all("To", []) + message.get_all("Cc", [])]
        to = [address for _, address in getaddresses(headers)]
        return Mail(
            id=stored.id,
            sender=str(message.get("From", stored.source)),
            to=to or list(stored.destinations),
            subject=str(message.get("Subject", "")),
            text=_body(message, "plain"),
            html=_body(message, "html"),
        )
    # A simple (non-raw) send: moto keeps one body, the HTML one if there was one.
    body = getattr(stored, "body", None)
    is_html = bool(body) and "<" in str(body)
    destinations = getattr(stored, "destinations", {}) or {}
    return Mail(
        id=stored.id,
        sender=getattr(stored, "source", ""),
        to=[a for key in ("ToAddresses", "CcAddresses") for a in destinations.get(key, [])],
        subject=getattr(stored, "subject", "") or "",
        text=None if is_html else body,
        html=body if is_html else None,
    )


def sent_mail() -> list[Mail]:
    """Every email sent since the stack started, newest first."""
    return [_parse(stored) for stored in reversed(_backend().sent_messages)]


def clear() -> None:
    _backend().sent_messages.clear()


def verify_sender(address: str) -> None:
    """SES (and moto) refuse to send from an unverified identity."""
    import boto3

    from chalicelib.core.settings import get_settings

    settings = get_settings()
    ses = boto3.client("ses", region_name=settings.aws_region, endpoint_url=settings.ses_endpoint_url)
    _, sender = getaddresses([address])[0]
    ses.verify_email_identity(EmailAddress=sender)
