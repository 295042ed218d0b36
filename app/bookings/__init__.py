"""Bookings, waitlists, policies and check-in (the booking issue fills this in)."""
