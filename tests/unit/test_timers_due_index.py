"""The due index's arithmetic: buckets, shards, sort keys, the sweep window and cursor, backoff."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core import due_index
from chalicelib.core.due_index import MINUTE, SETTLE_MINUTES, SHARDS

NOW = datetime(2030, 5, 17, 14, 23, 41, 123456, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))


def test_a_bucket_names_its_minute_and_shard() -> None:
    assert due_index.minute_of(NOW) == datetime(2030, 5, 17, 14, 23, tzinfo=UTC)
    assert due_index.bucket_key(NOW, 2) == "DUE#2030-05-17T14:23#2"
    assert due_index.buckets_of(NOW) == [f"DUE#2030-05-17T14:23#{s}" for s in range(SHARDS)]
    assert due_index.parse_minute("2030-05-17T14:23") == due_index.minute_of(NOW)


def test_times_in_other_zones_land_in_their_utc_minute() -> None:
    from zoneinfo import ZoneInfo

    local = NOW.astimezone(ZoneInfo("America/New_York"))
    assert due_index.bucket_key(local, 0) == "DUE#2030-05-17T14:23#0"
    with pytest.raises(ValueError):
        due_index.minute_of(datetime(2030, 1, 1))


def test_shards_are_stable_and_spread() -> None:
    assert due_index.shard_of("hold#bkg_1") == due_index.shard_of("hold#bkg_1")
    counts = Counter(due_index.shard_of(f"tmr_{i}") for i in range(4000))
    assert set(counts) == set(range(SHARDS))
    assert all(800 < n < 1200 for n in counts.values()), counts


@given(moments, moments)
def test_sort_keys_sort_like_the_times(a: datetime, b: datetime) -> None:
    assert (due_index.instant_key(a) < due_index.instant_key(b)) == (a < b)


def test_the_due_bound_takes_everything_due_at_or_before_now() -> None:
    _, at_now = due_index.position("tmr_a", NOW, NOW)
    _, later = due_index.position("tmr_a", NOW + timedelta(microseconds=1), NOW)
    assert at_now <= due_index.due_bound(NOW) < later


def test_a_future_item_sits_in_its_own_minute() -> None:
    due = NOW + timedelta(hours=2)
    bucket, sort_key = due_index.position("tmr_a", due, NOW)
    assert bucket == due_index.bucket_key(due, due_index.shard_of("tmr_a"))
    assert sort_key == f"{due_index.instant_key(due)}#tmr_a"


def test_an_item_already_due_goes_to_the_current_minute_and_keeps_its_time() -> None:
    due = NOW - timedelta(hours=3)
    bucket, sort_key = due_index.position("tmr_a", due, NOW)
    assert bucket == due_index.bucket_key(NOW, due_index.shard_of("tmr_a"))
    assert sort_key.startswith(due_index.instant_key(due))


def test_the_first_sweep_looks_back() -> None:
    window = due_index.sweep_window(None, NOW, lookback_minutes=10)
    assert window[0] == due_index.minute_of(NOW) - 10 * MINUTE
    assert window[-1] == due_index.minute_of(NOW)
    assert len(window) == 11


def test_a_regular_sweep_reads_from_the_minute_after_its_cursor() -> None:
    cursor = due_index.minute_of(NOW) - SETTLE_MINUTES * MINUTE
    window = due_index.sweep_window(cursor, NOW, lookback_minutes=60)
    assert window == [cursor + MINUTE, cursor + 2 * MINUTE]


@pytest.mark.parametrize("missed", [10, 180, 3 * 24 * 60])
def test_after_an_outage_the_window_covers_every_missed_minute(missed: int) -> None:
    cursor = due_index.minute_of(NOW) - missed * MINUTE
    window = due_index.sweep_window(cursor, NOW, lookback_minutes=60)
    assert len(window) == missed
    assert window == sorted(set(window))
    assert all(b - a == MINUTE for a, b in pairwise(window))


def test_a_cursor_ahead_of_the_clock_restarts_just_before_now() -> None:
    window = due_index.sweep_window(NOW + timedelta(hours=1), NOW, lookback_minutes=60)
    assert window[0] == due_index.minute_of(NOW) - SETTLE_MINUTES * MINUTE
    assert window[-1] == due_index.minute_of(NOW)


def test_the_cursor_stays_short_of_now_so_late_writes_are_read_again() -> None:
    window = due_index.sweep_window(None, NOW, lookback_minutes=10)
    settled = due_index.minute_of(NOW) - SETTLE_MINUTES * MINUTE
    assert due_index.next_cursor(window, window[-1], NOW) == settled
    assert due_index.next_cursor(window, window[3], NOW) == window[3]
    assert due_index.next_cursor(window, None, NOW) == window[0] - MINUTE
    # the next sweep, one second later, reads the settle minutes again
    again = due_index.sweep_window(settled, NOW + timedelta(seconds=1), lookback_minutes=10)
    assert len(again) == SETTLE_MINUTES


def test_the_last_minutes_are_split_off_to_go_first() -> None:
    window = due_index.sweep_window(None, NOW, lookback_minutes=180)
    recent, backlog = due_index.split_window(window, NOW)
    assert recent == window[-(SETTLE_MINUTES + 1) :]
    assert backlog == window[: -(SETTLE_MINUTES + 1)]
    regular = due_index.sweep_window(due_index.minute_of(NOW) - SETTLE_MINUTES * MINUTE, NOW, lookback_minutes=5)
    assert due_index.split_window(regular, NOW) == (regular, [])


def test_chunks_cover_the_window_in_order() -> None:
    window = due_index.sweep_window(None, NOW, lookback_minutes=64)
    parts = list(due_index.chunks(window, 30))
    assert [len(p) for p in parts] == [30, 30, 5]
    assert [m for p in parts for m in p] == window


def test_backoff_grows_is_capped_and_is_jittered_repeatably() -> None:
    delays = [due_index.backoff_seconds(n, "obx_1") for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        raw = min(30 * 2 ** (n - 1), 3600)
        assert raw * 0.8 <= delay <= raw * 1.2
    assert delays[0] < delays[1] < delays[2]
    assert max(delays) <= 3600 * 1.2
    assert due_index.backoff_seconds(3, "obx_1") == due_index.backoff_seconds(3, "obx_1")
    spread = {round(due_index.backoff_seconds(1, f"obx_{i}"), 3) for i in range(50)}
    assert len(spread) > 25  # items failing together do not retry in lockstep
    with pytest.raises(ValueError):
        due_index.backoff_seconds(0, "obx_1")
