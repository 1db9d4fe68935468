"""What other packages read of booking (its face): the facts of one booking."""

from __future__ import annotations

from chalicelib.booking.queries import BookingFacts as BookingFacts
from chalicelib.booking.queries import booking_facts as booking_facts
