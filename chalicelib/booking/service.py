"""What other packages read of booking (its face): the facts of one booking, a player's bookings and
waitlist entries, a session's roster."""

from __future__ import annotations

from chalicelib.booking.queries import BookingFacts as BookingFacts
from chalicelib.booking.queries import booking_facts as booking_facts
from chalicelib.booking.queries import my_bookings as my_bookings
from chalicelib.booking.queries import roster as roster
from chalicelib.booking.schemas import MyBookingsQuery as MyBookingsQuery
from chalicelib.booking.waitlist import mine as my_waitlist

__all__ = ["BookingFacts", "MyBookingsQuery", "booking_facts", "my_bookings", "my_waitlist", "roster"]
