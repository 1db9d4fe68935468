"""Money, tags and title words, overlaps, listing states, geohash cells."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.catalog import domain, geo
from chalicelib.core.money import Money, Price, exponent, to_text


def test_money_is_integer_minor_units_of_a_known_currency():
    assert Money(amount=1500, currency="USD") == Money(amount=1500, currency="usd")
    assert Money(amount=0, currency="jpy").amount == 0
    # What is stored may exceed one charge (sums; rows written before limits were checked): answered.
    assert Money(amount=10**9, currency="usd").amount == 10**9
    for bad in (
        {"amount": -1, "currency": "usd"},
        {"amount": 1.5, "currency": "usd"},
        {"amount": "100", "currency": "usd"},
        {"amount": 2**53, "currency": "usd"},
        {"amount": 1, "currency": "zzz"},
    ):
        with pytest.raises(ValidationError):
            Money.model_validate(bad)
    # A price a client sets keeps the charge limits.
    with pytest.raises(ValidationError):
        Price.model_validate({"amount": 10**9, "currency": "usd"})


def test_minor_units_per_currency():
    assert (exponent("usd"), exponent("JPY"), exponent("krw"), exponent("kwd")) == (2, 0, 0, 3)
    assert to_text(1500, "usd") == "15.00 USD"
    assert to_text(1500, "jpy") == "1500 JPY"
    assert to_text(5, "eur") == "0.05 EUR"
    assert to_text(1234, "kwd") == "1.234 KWD"


def test_tags_are_normalised_and_bounded():
    assert domain.normalise_tags(["Horror", " horror ", "Mörk Borg", "sci_fi"]) == ["horror", "mork-borg", "sci-fi"]
    with pytest.raises(ValueError):
        domain.normalise_tags([f"t{i}" for i in range(11)])
    with pytest.raises(ValueError):
        domain.normalise_tag("!!!")
    with pytest.raises(ValueError):
        domain.normalise_tag("x" * 31)


def test_title_words_drop_stopwords_and_accents():
    assert domain.words("The Haunting of Hill House: a Call of Cthulhu one-shot") == [
        "haunting",
        "hill",
        "house",
        "call",
        "cthulhu",
        "one",
        "shot",
    ]
    assert domain.words("Mörk Borg für Anfänger") == ["mork", "borg", "anfanger"]
    assert len(domain.words(" ".join(f"w{i}" for i in range(30)))) == domain.MAX_TITLE_WORDS


def test_overlaps():
    t = datetime(2026, 2, 1, 18, tzinfo=UTC)
    hour = timedelta(hours=1)
    existing = [domain.Slot("a", t, t + 3 * hour)]
    assert domain.first_overlap([domain.Slot("n", t + 3 * hour, t + 4 * hour)], existing) is None  # back to back
    clash = domain.first_overlap([domain.Slot("n", t + 2 * hour, t + 4 * hour)], existing)
    assert clash is not None and clash[1].session_id == "a"
    assert domain.first_overlap([domain.Slot("a", t + hour, t + 2 * hour)], existing) is None  # itself, moved
    among_new = [domain.Slot("x", t, t + 2 * hour), domain.Slot("y", t + hour, t + 3 * hour)]
    assert domain.first_overlap(among_new, []) is not None


def test_listing_states():
    assert domain.next_status("draft", "publish") == "published"
    assert domain.next_status("published", "unpublish") == "unpublished"
    assert domain.next_status("unpublished", "publish") == "published"
    assert domain.next_status("published", "publish") is None
    assert domain.next_status("archived", "publish") is None
    assert domain.next_status("draft", "archive") == "archived"


def _point_at(origin: tuple[float, float], km: float, bearing_degrees: float) -> tuple[float, float]:
    bearing = math.radians(bearing_degrees)
    lat = origin[0] + km / geo.KM_PER_DEGREE * math.cos(bearing)
    lon = origin[1] + km / (geo.KM_PER_DEGREE * math.cos(math.radians(lat))) * math.sin(bearing)
    return lat, lon


def test_geohash_cells_cover_a_radius():
    assert geo.encode(57.64911, 10.40744, 6) == "u4pruy"  # the reference example
    berlin = (52.52, 13.405)
    for radius in (5, 20, 50, 100):
        precision = geo.precision_for(radius)
        cells = set(geo.cover(*berlin, radius, precision))
        assert len(cells) <= 16
        for bearing in range(0, 360, 15):  # points just inside the circle, all around it
            assert geo.encode(*_point_at(berlin, radius * 0.999, bearing), precision) in cells, (radius, bearing)
    assert round(geo.distance_km(52.52, 13.405, 48.137, 11.575)) == 504  # Berlin to Munich
