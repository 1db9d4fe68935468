"""Timer handlers of notifications, registered by name. Each imports its use case when it runs, so
the modules that schedule these timers may import this one without a cycle.

Both are idempotent and state-checking: a reminder checks that its entry is still confirmed and
still starts when the timer was set for; a digest checks that its marker is still there.
"""

from __future__ import annotations

from chalicelib.core import timers

REMINDER = "notifications.reminder"
CHAT_DIGEST = "notifications.chat_digest"


@timers.handler(REMINDER)
def _reminder(timer: timers.Timer) -> None:
    from chalicelib.notifications import subscribers

    subscribers.remind(timer.payload, timer.timer_id)


@timers.handler(CHAT_DIGEST)
def _chat_digest(timer: timers.Timer) -> None:
    from chalicelib.notifications import chat_digest

    chat_digest.send_digest(str(timer.payload["user_id"]))


def register() -> list[str]:
    """Called by the sweep's entry point so that its Lambda knows these handlers (and the senders)."""
    from chalicelib.notifications import chat_digest, service  # noqa: F401 (register their outbox senders)

    return [REMINDER, CHAT_DIGEST]
