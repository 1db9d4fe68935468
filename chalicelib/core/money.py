"""Money: integer minor units plus an ISO-4217 currency (`{"amount": 1500, "currency": "usd"}`), as
Stripe does. Never floats. Zero-decimal currencies (JPY, KRW...) count whole units."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.validators import Currency

MAX_AMOUNT = 99_999_999  # Stripe's ceiling for one charge, in minor units
# Stripe's lists: amounts in these are whole units (no minor unit) or thousandths.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT, strict=True)]


class Money(BaseModel):
    """An amount in minor units (cents; yen for JPY) and a lowercase currency code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: Amount
    currency: Currency


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has: usd 2, jpy 0, kwd 3."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_text(amount: int, currency: str) -> str:
    """Plain, locale-free text for places without a renderer (calendar descriptions): '15.00 USD'."""
    places = exponent(currency)
    if places == 0:
        return f"{amount} {currency.upper()}"
    whole, fraction = divmod(amount, 10**places)
    return f"{whole}.{fraction:0{places}d} {currency.upper()}"
