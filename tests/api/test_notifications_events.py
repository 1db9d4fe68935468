"""Events → notifications: the right message to the right people, in their language and timezone,
on the channels they chose; a repeated event sends nothing twice; SES failing for a while is retried
by the sweep and sends once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.notifications import email as email_adapter
from tests.api.booking_helpers import FREE, book, listing_with_sessions
from tests.api.catalog_helpers import NOW
from tests.api.notification_helpers import FlakySes, feed, flaky_ses, user


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


@pytest.fixture
def ses() -> Iterator[FlakySes]:
    fake = flaky_ses()
    email_adapter.use_client(fake)
    yield fake
    email_adapter.use_client(None)


def test_free_booking_confirmed_in_german_with_invitation(api: Any, token_for: Any, ses: FlakySes) -> None:
    setup = listing_with_sessions(api, token_for, **FREE)
    token, player_id, address = user(api, token_for, locale="de-DE", timezone="Europe/Berlin")
    booked = book(api, token, setup.session_id)
    assert booked.status == 201, booked.body
    items = feed(api, token)
    assert [n["kind"] for n in items["items"]] == ["booking_confirmed"]
    assert items["unread_count"] == 1
    mails = ses.to(address)
    assert len(mails) == 1
    print(mails[0].subject, mails[0].text, mails[0].html)
    assert mails[0].subject.startswith("Gebucht:")
    assert "Sonntag, 1. Februar 2026, 19:00" in mails[0].text
    assert "invite.ics" in mails[0].attachments
