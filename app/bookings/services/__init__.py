"""Booking rules as plain functions: the acting user and ``now`` come in as arguments.

- ``policy``: the admin's settings and the time rules derived from them;
- ``engine``: book, cancel, reschedule — the race-safe core;
- ``waitlist``: join, offers held against capacity, accept, expire;
- ``desk``: the front desk — walk-ins, check-in, no-shows, closing sessions;
- ``stopping``: publishing and stopping (停诊) a session.
"""
