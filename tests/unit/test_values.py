"""Ids, the movable clock and the validated value types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core import clock, ids
from chalicelib.core.validators import check_currency, check_locale, check_timezone


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()


def test_ids_are_prefixed_and_sort_by_creation():
    clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    first = ids.new_id("bkg")
    clock.advance(1)
    second = ids.new_id("bkg")
    assert first.startswith("bkg_") and ids.is_id(first, "bkg")
    assert first < second
    assert not ids.is_id(first, "usr")
    assert not ids.is_id("bkg_short", "bkg")
    with pytest.raises(ValueError):
        ids.new_id("nope")


def test_clock_moves_and_freezes():
    start = clock.now()
    moved = clock.advance(3600)
    assert 3599 <= (moved - start).total_seconds() <= 3700
    moment = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    clock.freeze(moment)
    assert clock.now() == moment
    clock.advance(90)
    assert clock.to_wire(clock.now()) == "2030-05-01T12:01:30Z"
    with pytest.raises(ValueError):
        clock.set_now(datetime(2030, 1, 1))


@pytest.mark.parametrize(
    ("raw", "normal"), [("en", "en"), ("de-at", "de-AT"), ("pt-BR", "pt-BR"), ("zh-hant-tw", "zh-Hant-TW")]
)
def test_locales_are_normalised(raw, normal):
    assert check_locale(raw) == normal


@pytest.mark.parametrize("bad", ["", "english", "e", "en_US", "xx", "en-ZZZZ-QQ", "123"])
def test_unknown_locales_are_refused(bad):
    with pytest.raises(ValueError):
        check_locale(bad)


def test_timezones_and_currencies():
    assert check_timezone("America/Sao_Paulo") == "America/Sao_Paulo"
    for bad in ("CEST", "Europe/Atlantis", "utc+2"):
        with pytest.raises(ValueError):
            check_timezone(bad)
    assert check_currency("JPY") == "jpy"
    for bad in ("yen", "XXQ", "us"):
        with pytest.raises(ValueError):
            check_currency(bad)
