"""The timer sweep, every second: what the `@app.schedule` rule does every minute in AWS.

It calls the app's one public sweep function (`chalicelib.core.sweep.run`) on the movable clock, in a
thread of its own. Moving the clock wakes it at once, so a timer made due by `/dev/clock` fires
without waiting for the next tick; a run cut short by its time budget is followed by the next at once.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("devstack.sweep")


def app_sweep() -> Callable[[], Any]:
    from chalicelib import timer_jobs
    from chalicelib.core import sweep

    timer_jobs.register_all()  # as app.sweep_timers does

    # Short runs: after a jump of the clock, the catch-up over the skipped minutes is spread over
    # several runs, so a wake (the clock moved again) is served by a run that sweeps the new "now"
    # first, a moment later, not after the whole catch-up. The budget is checked between rounds, so
    # rounds are small too (5 minutes: 20 Queries, not 120). A fresh database need not start by
    # reading a day of empty minutes.
    return functools.partial(sweep.run, time_budget_seconds=0.2, lookback_minutes=60, chunk_minutes=5)


class Sweeper:
    def __init__(self, run_once: Callable[[], Any], interval: float = 1.0) -> None:
        self._run_once = run_once
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="devstack-sweep", daemon=True)
        self.runs = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # a wake during the run below makes the next run start at once
            caught_up = True
            try:
                caught_up = getattr(self._run_once(), "complete", True)
                self.last_error = None
            except Exception as exc:  # keep sweeping: the next run retries what this one missed
                if str(exc) != self.last_error:
                    log.exception("sweep failed")
                self.last_error = str(exc)
            self.runs += 1
            if caught_up:  # a run that stopped short (its time budget) goes on at once
                self._wake.wait(self._interval)
