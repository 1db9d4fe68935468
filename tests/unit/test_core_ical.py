"""core.ical, the one place iCalendar documents are built: events shown in their own zone, a VTIMEZONE
per zone used, cancelled events kept with STATUS:CANCELLED, and icalendar loaded only when a document
is built."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from chalicelib.core import ical

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 28, 18, tzinfo=UTC)  # 19:00 in Berlin, the day before DST starts


def _event(uid: str, zone: str) -> ical.Event:
    return ical.Event(
        uid=uid,
        summary="Curse of Strahd",
        starts_at=AT,
        ends_at=AT + timedelta(hours=3),
        timezone=zone,
        stamp=AT,
    )


def test_a_calendar_shows_each_event_in_its_zone_with_a_vtimezone_per_zone() -> None:
    body = ical.calendar(
        [
            replace(_event("a@sesh", "Europe/Berlin"), sequence=2, location="Berlin", description="Bring dice."),
            replace(_event("b@sesh", "America/New_York"), cancelled=True),
        ],
        name="Sesh",
        prodid="-//Sesh//Test//EN",
        method="PUBLISH",
    )
    parsed = Calendar.from_ical(body)
    assert str(parsed["prodid"]) == "-//Sesh//Test//EN" and str(parsed["x-wr-calname"]) == "Sesh"
    assert {str(z["tzid"]) for z in parsed.walk("VTIMEZONE")} == {"Europe/Berlin", "America/New_York"}
    berlin, new_york = parsed.walk("VEVENT")
    assert berlin["dtstart"].dt.hour == 19 and berlin["dtstart"].params["TZID"] == "Europe/Berlin"
    assert str(berlin["status"]) == "CONFIRMED" and int(berlin["sequence"]) == 2
    assert str(berlin["location"]) == "Berlin" and str(berlin["description"]) == "Bring dice."
    assert str(new_york["status"]) == "CANCELLED" and int(new_york["sequence"]) == 0
    assert "location" not in new_york and "description" not in new_york


def test_an_empty_calendar_has_no_timezones() -> None:
    parsed = Calendar.from_ical(ical.calendar([], name="Empty", prodid="-//Sesh//Test//EN"))
    assert parsed.walk("VEVENT") == [] and parsed.walk("VTIMEZONE") == []


def test_importing_core_ical_does_not_load_icalendar() -> None:
    code = "import json, sys; from chalicelib.core import ical; print(json.dumps('icalendar' in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) is False
