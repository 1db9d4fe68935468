"""Search planning as pure functions: facets, candidates, the choice, filters, keys, scopes."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.catalog import search_plan as plan

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
HORROR = plan.Facets(
    listing_id="lst_1",
    host_id="usr_1",
    category="one_shot",
    game_system="call_of_cthulhu",
    tool="foundry_vtt",
    tags=("horror", "investigation"),
    languages=("en", "de"),
    level="beginner",
    prices={"usd": 1500, "eur": 1400},
    words=("haunting", "hill"),
)
STUDIO = plan.Facets(
    listing_id="lst_2",
    host_id="usr_2",
    category="studio_time",
    tool="in_person",
    languages=("en",),
    mode="in_person",
    lat=52.52,
    lon=13.405,
    prices={"eur": 6000},
    words=("live", "room"),
)


def test_a_listing_is_indexed_under_each_facet():
    assert plan.facet_keys(HORROR) == [
        "all",
        "cat:one_shot",
        "host:usr_1",
        "sys:call_of_cthulhu",
        "tool:foundry_vtt",
        "tag:horror",
        "tag:investigation",
        "lang:en",
        "lang:de",
        "word:haunting",
        "word:hill",
    ]
    studio = plan.facet_keys(STUDIO)
    assert "g3:u33" in studio and "g4:u33d" in studio and "sys:None" not in studio


def test_candidates_and_the_choice_by_counts():
    filters = plan.Filters(starts_after=NOW, category="one_shot", tags=("horror",), language="en")
    options = plan.candidates(filters)
    assert [c.kind for c in options] == ["tag", "cat", "lang", "all"]
    # The fewest entries in the window wins, whatever the prior says.
    chosen = plan.choose(options[:3], {"tag:horror": 40, "cat:one_shot": 12, "lang:en": 900})
    assert chosen.keys == ("cat:one_shot",)
    assert plan.choose(options[:3], {}).kind == "tag"  # ties: the prior
    assert [c.kind for c in plan.candidates(plan.Filters(starts_after=NOW))] == ["all"]


def test_a_radius_reads_the_cells_around_the_point():
    small = plan.candidates(plan.Filters(starts_after=NOW, near=(52.5, 13.4), radius_km=10))[0]
    assert small.kind == "g4" and 1 <= len(small.keys) <= 9 and "g4:u33d" in small.keys
    large = plan.candidates(plan.Filters(starts_after=NOW, near=(52.5, 13.4), radius_km=100))[0]
    assert large.kind == "g3" and "g3:u33" in large.keys


def test_listing_filters():
    def match(**kw):
        return plan.facets_match(plan.Filters(starts_after=NOW, **kw), HORROR)

    assert match() and match(category="one_shot") and not match(category="campaign")
    assert match(tags=("horror",)) and not match(tags=("horror", "funk"))
    assert match(language="de") and not match(language="fr")
    assert match(level="beginner") and not match(level="experienced")
    assert plan.facets_match(plan.Filters(starts_after=NOW, level="experienced"), STUDIO)  # "any" fits all
    assert match(currency="eur", price_min=1000, price_max=1400) and not match(currency="eur", price_max=1000)
    assert not match(currency="jpy", price_min=0) and not match(currency="jpy", sort="price")
    assert match(currency="jpy")  # a currency alone only chooses how prices are shown
    assert match(words=("hill",)) and not match(words=("hill", "manor"))
    assert match(mode="online") and not match(mode="in_person") and not match(near=(52.5, 13.4))
    near = plan.Filters(starts_after=NOW, near=(52.5, 13.4), radius_km=5)
    assert plan.facets_match(near, STUDIO)
    assert not plan.facets_match(plan.Filters(starts_after=NOW, near=(48.1, 11.6), radius_km=100), STUDIO)


def test_windows_keys_and_buckets():
    start = datetime(2026, 3, 29, 17, 0, tzinfo=UTC)
    window = plan.Filters(starts_after=NOW, starts_before=start)
    assert plan.in_window(window, NOW) and not plan.in_window(window, start)
    assert plan.position(start, "ses_1") == "2026-03-29T17:00:00Z#ses_1"
    assert plan.bucket("all", start) == "2026-03-29" and plan.bucket("tag:x", start) == "2026-03"
    assert plan.price_key(1500, "lst_1") == "000000001500#lst_1" < plan.price_key(10000, "lst_0")


def test_facets_round_trip_and_scopes():
    assert plan.Facets.from_json(HORROR.to_json()) == HORROR
    one = plan.scope("sessions", {"tags": "horror", "limit": 5, "cursor": "x", "tz": "UTC"})
    assert one == plan.scope("sessions", {"tags": "horror"})
    assert one != plan.scope("listings", {"tags": "horror"}) != plan.scope("sessions", {"tags": "funk"})
