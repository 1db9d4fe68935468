"""The payments contract (so far: the answer to Stripe's webhook deliveries)."""

from __future__ import annotations

from pydantic import BaseModel


class WebhookAck(BaseModel):
    received: bool
    id: str
    duplicate: bool
