"""Fixed time windows, for rate limits: pure arithmetic on epoch seconds."""

from __future__ import annotations

import math


def fixed_window(now_epoch: float, window_seconds: int) -> tuple[int, int]:
    """(start of the window holding `now`, seconds until it ends: the Retry-After, at least 1)."""
    start = int(now_epoch // window_seconds) * window_seconds
    return start, max(1, math.ceil(start + window_seconds - now_epoch))
