"""The payments contract (so far: the answer to Stripe's webhook deliveries)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.core.money import MAX_AMOUNT, Money
from chalicelib.core.pagination import DEFAULT_LIMIT, MAX_LIMIT


class WebhookAck(BaseModel):
    received: bool
    id: str
    duplicate: bool


# Marketplace payments: payout accounts, transactions, earnings, receipts, admin refunds.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PayoutStatusOut(BaseModel):
    onboarded: bool = Field(description="A connected account exists")
    account_id: str | None
    details_submitted: bool
    payouts_enabled: bool
    requirements_due: list[str]


class OnboardingOut(BaseModel):
    url: str = Field(description="Stripe's onboarding page for the host's Express account (single use)")
    status: PayoutStatusOut


class TransactionsQuery(_Strict):
    role: Literal["player", "host"] = "player"
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=2048)


class TransactionOut(BaseModel):
    id: str
    type: str = Field(
        description="charge, platform_fee, refund, platform_fee_refund, transfer, transfer_reversal, "
        "dispute_debit or dispute_credit"
    )
    booking_id: str
    amount: Money
    effect: int = Field(
        description="What it does to your balance (player: paid -, refunded +; host: earnings +/-), minor units"
    )
    reference: str
    reason: str | None
    occurred_at: str


class TransactionList(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None


class EarningsOut(BaseModel):
    currency: str
    pending: int = Field(description="Earned but not due yet (before completion + hold, or held by a dispute)")
    available: int = Field(description="Due and not transferred yet")
    paid_out: int = Field(description="Transferred to your Stripe account, net of reversals")


class EarningsList(BaseModel):
    items: list[EarningsOut]


class ReceiptLine(BaseModel):
    type: str
    amount: Money
    reference: str
    reason: str | None
    occurred_at: str


class ReceiptOut(BaseModel):
    booking_id: str
    currency: str
    charged: Money
    platform_fee: Money = Field(description="The platform's fee kept (percent + fixed of the charge)")
    fee_rule: dict[str, int] = Field(description="percent_bps and fixed (minor units) applied at the charge")
    refunded: Money
    paid: Money = Field(description="What the player paid net of refunds and lost disputes")
    host_share: Money
    paid_out: Money
    dispute: str | None = Field(description="open, won or lost")
    lines: list[ReceiptLine]


class AdminRefundIn(_Strict):
    amount: Annotated[
        int, Field(ge=1, le=MAX_AMOUNT, strict=True, description="Minor units, at most what remains refundable")
    ]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AdminRefundOut(BaseModel):
    booking_id: str
    refunded: Money
    refundable: Money
