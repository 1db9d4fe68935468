"""Fixed windows of the rate limits: the window holding now, and a Retry-After that reaches the next."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core.windows import fixed_window


@pytest.mark.parametrize(
    ("now", "start", "retry_after"),
    [(1000.0, 1000, 10), (1000.1, 1000, 10), (1009.0, 1000, 1), (1009.9, 1000, 1), (1010.0, 1010, 10)],
)
def test_fixed_window(now, start, retry_after):
    assert fixed_window(now, 10) == (start, retry_after)


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False), st.integers(min_value=1, max_value=3600))
def test_a_window_holds_now_and_retry_after_reaches_the_next(now, window):
    start, retry_after = fixed_window(now, window)
    assert start <= now < start + window
    assert 1 <= retry_after <= window
    assert now + retry_after >= start + window  # waiting Retry-After lands in a fresh window
