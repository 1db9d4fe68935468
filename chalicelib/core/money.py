"""Money: integer minor units plus an ISO-4217 currency (`{"amount": 1500, "currency": "usd"}`), as
Stripe does. Never floats. Zero-decimal currencies (JPY, KRW...) count whole units.

Two shapes: `Money` is money as the API answers it (what is stored, up to `MAX_STORED_AMOUNT`, in any
ISO-4217 currency); `Price` is money a client asks to be charged (a listing's prices): a currency
cards can be charged in (`ChargeCurrency`) and 0 or an amount between that currency's smallest and
largest charge. `refusal()` is the one answer to "can this amount in this currency be charged".

Facts from Stripe's "Supported currencies" page (https://docs.stripe.com/currencies): the
presentment currencies for card payments, the zero- and three-decimal lists, the ISK special case,
and "Minimum and maximum charge amounts".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from chalicelib.core.validators import Currency

# Stripe: "The amount value supports up to twelve digits for IDR ..., and up to eight digits for all
# other currencies" (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MAX_AMOUNT = 99_999_999  # one charge, in minor units, in every currency but those below
MAX_CHARGE: dict[str, int] = {"idr": 999_999_999_999}
MAX_PRICE_AMOUNT = max(MAX_AMOUNT, *MAX_CHARGE.values())  # a request's bound before the per-currency one
# What a response carries: stored amounts (sums, and rows written before the limits were checked)
# may exceed one charge. 2**53 - 1 is the largest integer every JSON reader (JavaScript) reads exactly.
MAX_STORED_AMOUNT = 2**53 - 1

# Stripe's lists: amounts in these are whole units (no minor unit) or thousandths.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# ISK is charged in whole krónur written with two decimals: the amount must be a multiple of 100.
WHOLE_UNITS_ONLY = frozenset({"isk"})

# Stripe's presentment currencies for card payments (docs.stripe.com/currencies#presentment-currencies),
# plus XCG, the Caribbean guilder that replaces ANG (on the list in its 2025 revisions). Babel's ISO
# list (`validators.Currency`) is wider: metals (XAU), testing and no-currency codes (XTS, XXX),
# and currencies Stripe does not charge (KWD...); it stays the type of display currencies.
_PRESENTMENT = """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd
    cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq
    gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad
    mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln
    pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs
    uah ugx uyu uzs vnd vuv wst xaf xcd xcg xof xpf yer zar zmw
"""
CHARGE_CURRENCIES = frozenset(_PRESENTMENT.split())

# Stripe's "Minimum and maximum charge amounts" table, in minor units (docs.stripe.com/currencies).
# fmt: off
MIN_CHARGE: dict[str, int] = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
    "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}
# fmt: on

# Every other chargeable currency: Stripe's rule is "$0.50 US or equivalent in charge currency", and
# Sesh keeps no exchange rates. These are Sesh's own conservative figures, not Stripe's: about USD 1
# (twice the rule, so a rate moving by half keeps prices chargeable) at approximate 2025 mid-market
# rates (official ones where a currency is managed), rounded up to whole units. In major units;
# review them yearly and when a currency devalues sharply (ARS, TRY, LBP...).
# fmt: off
_MIN_CHARGE_ESTIMATE_UNITS: dict[str, int] = {
    "afn": 75, "all": 100, "amd": 400, "ang": 2, "aoa": 1000, "ars": 2000, "awg": 2, "azn": 2, "bam": 2,
    "bbd": 2, "bdt": 130, "bif": 3000, "bmd": 1, "bnd": 2, "bob": 7, "bsd": 1, "bwp": 15, "byn": 4,
    "bzd": 2, "cdf": 3000, "clp": 1000, "cny": 8, "cop": 4500, "crc": 550, "cve": 110, "djf": 180, "dop": 65,
    "dzd": 140, "egp": 55, "etb": 160, "fjd": 3, "fkp": 1, "gel": 3, "gip": 1, "gmd": 75, "gnf": 9000,
    "gtq": 8, "gyd": 210, "hnl": 27, "htg": 135, "idr": 17000, "ils": 4, "isk": 150, "jmd": 170, "kes": 130,
    "kgs": 90, "khr": 4100, "kmf": 450, "krw": 1500, "kyd": 1, "kzt": 550, "lak": 22000, "lbp": 90000, "lkr": 310,
    "lrd": 200, "lsl": 19, "mad": 10, "mdl": 18, "mga": 4600, "mkd": 55, "mmk": 2200, "mnt": 3600, "mop": 9,
    "mur": 47, "mvr": 16, "mwk": 1800, "mzn": 65, "nad": 19, "ngn": 1600, "nio": 37, "npr": 140, "pab": 1,
    "pen": 4, "pgk": 5, "php": 60, "pkr": 290, "pyg": 8000, "qar": 4, "rsd": 110, "rub": 100, "rwf": 1500,
    "sar": 4, "sbd": 9, "scr": 15, "shp": 1, "sle": 25, "sos": 600, "srd": 40, "std": 22000, "szl": 19,
    "tjs": 11, "top": 3, "try": 50, "ttd": 7, "twd": 35, "tzs": 2700, "uah": 45, "ugx": 3800, "uyu": 45,
    "uzs": 13000, "vnd": 27000, "vuv": 130, "wst": 3, "xaf": 650, "xcd": 3, "xcg": 2, "xof": 650, "xpf": 120,
    "yer": 3000, "zar": 19, "zmw": 30,
}
# fmt: on


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has: usd 2, jpy 0, kwd 3."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


MIN_CHARGE_ESTIMATE: dict[str, int] = {c: units * 10 ** exponent(c) for c, units in _MIN_CHARGE_ESTIMATE_UNITS.items()}


def to_text(amount: int, currency: str) -> str:
    """Plain, locale-free text for places without a renderer (calendar descriptions): '15.00 USD'."""
    places = exponent(currency)
    if places == 0:
        return f"{amount} {currency.upper()}"
    whole, fraction = divmod(amount, 10**places)
    return f"{whole}.{fraction:0{places}d} {currency.upper()}"


def chargeable(currency: str) -> bool:
    """Whether cards can be charged in the currency (Stripe's presentment currencies)."""
    return currency.lower() in CHARGE_CURRENCIES


def min_charge(currency: str) -> int:
    """The smallest charge in the currency, minor units: Stripe's table, else Sesh's estimate."""
    code = currency.lower()
    return MIN_CHARGE.get(code) or MIN_CHARGE_ESTIMATE[code]


def max_charge(currency: str) -> int:
    """The largest charge in the currency, minor units (8 digits; 12 for IDR)."""
    return MAX_CHARGE.get(currency.lower(), MAX_AMOUNT)


@dataclass(frozen=True)
class Refusal:
    """Why an amount cannot be charged: which part of the money is wrong and a sentence for people."""

    reason: Literal["currency_not_chargeable", "amount_too_small", "amount_too_large", "amount_not_whole"]
    field: Literal["currency", "amount"]
    message: str


def refusal(amount: int, currency: str) -> Refusal | None:
    """None when cards can be charged `amount` (minor units) in `currency`, else why not."""
    code = currency.lower()
    if code not in CHARGE_CURRENCIES:
        return Refusal("currency_not_chargeable", "currency", f"{code} is not a currency cards can be charged in")
    if amount < min_charge(code):
        return Refusal("amount_too_small", "amount", f"at least {to_text(min_charge(code), code)}")
    if amount > max_charge(code):
        return Refusal("amount_too_large", "amount", f"at most {to_text(max_charge(code), code)}")
    if code in WHOLE_UNITS_ONLY and amount % 10 ** exponent(code):
        return Refusal("amount_not_whole", "amount", f"whole {code.upper()} only (a multiple of 100)")
    return None


def check_charge_currency(value: str) -> str:
    code = value.lower()
    if code not in CHARGE_CURRENCIES:
        raise PydanticCustomError("charge_currency", "{code} is not a currency cards can be charged in", {"code": code})
    return code


ChargeCurrency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(check_charge_currency)]


class Money(BaseModel):
    """An amount in minor units (cents; yen for JPY) and a lowercase currency code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0, le=MAX_STORED_AMOUNT, strict=True)
    currency: Currency


class Price(BaseModel):
    """A price as a host sets it, in minor units: 0 (free), or an amount cards can be charged in its
    currency (at least the currency's smallest charge, e.g. 50 for usd and eur, 30 for gbp; at most
    99999999, or 999999999999 for idr)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0, le=MAX_PRICE_AMOUNT, strict=True)
    currency: ChargeCurrency

    @model_validator(mode="after")
    def _chargeable(self) -> Price:
        refused = refusal(self.amount, self.currency) if self.amount else None
        if refused is not None:  # named at the field, as the other field errors are
            message = refused.message + (" (or 0 for free)" if refused.reason == "amount_too_small" else "")
            error = PydanticCustomError(refused.reason, message)
            raise ValidationError.from_exception_data(
                "Price", [InitErrorDetails(type=error, loc=(refused.field,), input=self.amount)]
            )
        return self
