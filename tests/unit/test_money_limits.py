"""Which amounts cards can be charged: the currencies, the smallest and largest charge, and the
request/response split of money. Expected values are Stripe's published figures, written out here
(https://docs.stripe.com/currencies, "Supported presentment currencies" and "Minimum and maximum
charge amounts"), not read from the code under test."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.core import money
from chalicelib.core.money import ChargeCurrency, Money, Price

# Stripe's minimum charge table, in minor units (e.g. usd $0.50, gbp £0.30, huf 175.00 Ft, jpy ¥50).
STRIPE_MINIMUMS = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
    "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}  # fmt: skip
EIGHT_DIGITS = 99_999_999  # "up to eight digits for all other currencies"
TWELVE_DIGITS = 999_999_999_999  # "up to twelve digits for IDR"
# Stripe's presentment currencies for cards, as the page lists them (XCG: its newer revisions).
_PRESENTMENT = """
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn bzd
    cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq
    gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr lrd lsl mad
    mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln
    pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs
    uah ugx uyu uzs vnd vuv wst xaf xcd xcg xof xpf yer zar zmw
"""
STRIPE_PRESENTMENT = set(_PRESENTMENT.split())


def _refused(amount: int, currency: str) -> money.Refusal:
    refused = money.refusal(amount, currency)
    assert refused is not None, (amount, currency)
    return refused


def test_the_chargeable_currencies_are_stripes_presentment_currencies() -> None:
    assert {c for c in STRIPE_PRESENTMENT if money.chargeable(c)} == STRIPE_PRESENTMENT
    assert money.chargeable("EUR") and money.chargeable("vnd")
    # ISO-4217 codes that are no money cards are charged in: testing, none, gold, silver, SDR; and
    # the three-decimal currencies, which Stripe's card list leaves out.
    for code in ("xxx", "xts", "xau", "xag", "xdr", "kwd", "bhd", "irr"):
        assert not money.chargeable(code), code
        refused = money.refusal(1000, code)
        assert refused is not None and refused.reason == "currency_not_chargeable" and refused.field == "currency"
        assert refused.message == f"{code} is not a currency cards can be charged in"


@pytest.mark.parametrize(("currency", "minimum"), sorted(STRIPE_MINIMUMS.items()))
def test_stripes_table_is_the_smallest_charge(currency: str, minimum: int) -> None:
    assert money.min_charge(currency) == minimum
    assert money.refusal(minimum, currency) is None
    refused = money.refusal(minimum - 1, currency)
    assert refused is not None and refused.reason == "amount_too_small" and refused.field == "amount"


def test_the_smallest_charge_is_named_as_money() -> None:
    assert _refused(49, "usd").message == "at least 0.50 USD"
    assert _refused(49, "eur").message == "at least 0.50 EUR"
    assert _refused(29, "gbp").message == "at least 0.30 GBP"
    assert _refused(49, "jpy").message == "at least 50 JPY"


def test_every_other_chargeable_currency_has_a_smallest_charge_of_its_own() -> None:
    # Outside Stripe's table the rule is "$0.50 US or equivalent": each currency has a figure, and
    # weak currencies' figures are far above 50 minor units (about a dollar's worth).
    for code in STRIPE_PRESENTMENT - set(STRIPE_MINIMUMS):
        assert money.min_charge(code) >= 1, code
        assert money.refusal(money.min_charge(code) - 1, code) is not None, code
    assert money.min_charge("vnd") >= 12_500  # 0.50 USD is about 13,000 VND
    assert money.min_charge("idr") >= 800_000  # 0.50 USD is about 8,000.00 IDR
    assert money.min_charge("krw") >= 700  # 0.50 USD is about 700 KRW


def test_the_largest_charge_is_eight_digits_and_twelve_for_idr() -> None:
    for code in ("usd", "eur", "jpy", "vnd", "huf"):
        assert money.max_charge(code) == EIGHT_DIGITS
        assert money.refusal(EIGHT_DIGITS, code) is None
        refused = money.refusal(EIGHT_DIGITS + 1, code)
        assert refused is not None and refused.reason == "amount_too_large"
    assert _refused(EIGHT_DIGITS + 1, "usd").message == "at most 999999.99 USD"
    assert _refused(EIGHT_DIGITS + 1, "vnd").message == "at most 99999999 VND"
    assert money.max_charge("idr") == TWELVE_DIGITS
    assert money.refusal(TWELVE_DIGITS, "idr") is None
    assert _refused(TWELVE_DIGITS + 1, "idr").reason == "amount_too_large"


def test_isk_is_charged_in_whole_kronur() -> None:
    # "The amount value must be evenly divisible by 100" (Stripe's special cases).
    assert money.refusal(100_000, "isk") is None
    assert _refused(100_050, "isk").reason == "amount_not_whole"


def test_a_price_is_free_or_chargeable_and_names_the_wrong_part() -> None:
    assert Price(amount=0, currency="XAF") == Price(amount=0, currency="xaf")  # free: any chargeable currency
    assert Price(amount=50, currency="usd").amount == 50
    assert Price(amount=EIGHT_DIGITS, currency="usd").amount == EIGHT_DIGITS
    assert Price(amount=TWELVE_DIGITS, currency="idr").amount == TWELVE_DIGITS
    cases = [
        ({"amount": 1500, "currency": "xau"}, "currency", "xau is not a currency cards can be charged in"),
        ({"amount": 0, "currency": "xts"}, "currency", "xts is not a currency cards can be charged in"),
        ({"amount": 49, "currency": "usd"}, "amount", "at least 0.50 USD (or 0 for free)"),
        ({"amount": EIGHT_DIGITS + 1, "currency": "usd"}, "amount", "at most 999999.99 USD"),
        ({"amount": TWELVE_DIGITS + 1, "currency": "idr"}, "amount", None),
        ({"amount": -1, "currency": "usd"}, "amount", None),
    ]
    for data, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            Price.model_validate(data)
        (error,) = caught.value.errors()
        assert error["loc"] == (field,), data
        if message:
            assert error["msg"] == message


def test_a_response_carries_stored_amounts_past_one_charge() -> None:
    assert Money(amount=100_000_000, currency="vnd").amount == 100_000_000
    assert Money(amount=2**53 - 1, currency="usd").amount == 2**53 - 1
    assert Money(amount=1, currency="xau").currency == "xau"  # display currencies stay ISO-4217
    with pytest.raises(ValidationError):
        Money(amount=2**53, currency="usd")


def test_charge_currency_type() -> None:
    from pydantic import TypeAdapter

    adapter = TypeAdapter(ChargeCurrency)
    assert adapter.validate_python("EUR") == "eur"
    for bad in ("xau", "zzz", "us", "usdd"):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
