"""Issue #16, item 1: a slot tells its state before the tap — on the session page and in
every list: not yet released (放号 time), open (places left), full (waitlist), closed."""

import re
from datetime import time, timedelta

from tests.factories import TODAY, create_session, create_township, create_venue

# The tests' clock: 2026-12-01 09:00 in Liling. Online booking opens 7 days before at
# 08:00 and closes an hour before the slot (the default policy).
STATE = re.compile(r'<span class="state state-([\w_]+)">([^<]+)</span>')


def _book_links(html: str) -> list[str]:
    return re.findall(r'href="/slots/(\d+)/book"', html)


def test_a_slot_tells_its_state_before_the_tap(db, client):
    later = create_session(day=TODAY + timedelta(days=10), slots=1)  # opens Dec 4, 08:00
    today = create_session(start=time(9, 30), hours=1, slots=2)  # 09:30 and 10:00
    soon = create_session(day=TODAY + timedelta(days=2), slots=2, capacity=5)
    soon.slots[0].booked_count = 5
    soon.slots[1].booked_count = 2
    db.session.commit()

    page = client.get(f"/sessions/{later.id}").text
    assert STATE.findall(page) == [("soon", "12月4日 08:00 放号")]
    assert _book_links(page) == []

    page = client.get(f"/sessions/{today.id}").text
    # 09:30 closed at 08:30; 10:00 closes at 09:00, which is now.
    assert STATE.findall(page) == [("closed", "已截止 · 请到现场挂号")] * 2
    assert _book_links(page) == []

    page = client.get(f"/sessions/{soon.id}").text
    assert STATE.findall(page) == [("full", "约满 · 可候补"), ("open", "余 3")]
    assert _book_links(page) == [str(soon.slots[0].id), str(soon.slots[1].id)]
    assert re.search(r'class="button" href="/slots/\d+/book">候补<', page)
    assert re.search(r'class="button primary" href="/slots/\d+/book">预约<', page)

    client.set_cookie("lang", "en")
    page = client.get(f"/sessions/{soon.id}").text
    assert [label for _, label in STATE.findall(page)] == ["Full · join the waitlist",
                                                             "3 left"]


def test_lists_tell_each_sessions_state(db, client):
    town = create_township()
    venue = create_venue(township=town)
    later = create_session(venue=venue, day=TODAY + timedelta(days=10), slots=1)
    closed = create_session(venue=venue, start=time(9, 30), hours=1, slots=2)
    full = create_session(venue=venue, day=TODAY + timedelta(days=1), slots=1, capacity=2)
    full.slots[0].booked_count = 2
    db.session.commit()

    listing = client.get(f"/schedule?township={town.id}&days=30").text
    states = dict(zip(re.findall(r'href="/sessions/(\d+)"', listing),
                      STATE.findall(listing), strict=True))
    assert states == {
        str(closed.id): ("closed", "已截止 · 请到现场挂号"),
        str(full.id): ("full", "约满 · 可候补"),
        str(later.id): ("soon", "12月4日 08:00 放号"),
    }


def test_a_list_counts_only_the_places_still_open_online(db, client):
    """At 09:00 a session of 08:00–13:00: the slots up to 10:00 have closed online
    (an hour before each) with places left; a list counts the later slots' only."""
    town = create_township()
    venue = create_venue(township=town)
    session = create_session(venue=venue, hours=5, slots=5, capacity=5)  # 8, 9, … 12
    session.slots[3].booked_count = 3
    session.slots[4].booked_count = 5
    full_later = create_session(venue=venue, hours=5, slots=5, capacity=5)
    full_later.slots[3].booked_count = full_later.slots[4].booked_count = 5
    db.session.commit()

    listing = client.get(f"/schedule?township={town.id}").text
    states = dict(zip(re.findall(r'href="/sessions/(\d+)"', listing),
                      STATE.findall(listing), strict=True))
    assert states == {str(session.id): ("open", "余 2"),
                      str(full_later.id): ("full", "约满 · 可候补")}
