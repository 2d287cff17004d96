"""The .ics of a desk booking opens in a standard parser, at the location's local times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from icalendar import Calendar, Component

from bot.app import Runtime
from handlers.desks.ics import booking_calendar
from storage import desks
from storage.desks import DeskBooking
from storage.desks.opening import Period, Place
from storage.engine import unit_of_work
from storage.users import Profile, touch

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
DAY = date(2026, 12, 2)
ANNA, BORIS = 1001, 1002


def place(runtime: Runtime, key: str) -> Place:
    return next(p for p in runtime.places.all if p.key == key)


async def book(runtime: Runtime, key: str, user_id: int, period: Period) -> DeskBooking:
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(user_id, "Anna", None, None), is_admin=False)
        return await desks.book(session, place(runtime, key), user_id, DAY, period, NOW)


def export(runtime: Runtime, key: str, booking: DeskBooking, stamp: datetime = NOW) -> Calendar:
    with runtime.i18n.context(), runtime.i18n.use_locale("en"):
        return Calendar.from_ical(booking_calendar(place(runtime, key), booking, stamp))


def the_event(calendar: Calendar) -> Component:
    (event,) = calendar.walk("VEVENT")
    return event


@pytest.mark.parametrize(
    ("key", "period", "zone", "opens", "closes"),
    [
        ("lpr", Period.MORNING, "Europe/Helsinki", time(9), time(13)),
        ("spb", Period.FULL, "Europe/Moscow", time(9), time(18)),
    ],
    ids=["lappeenranta-morning", "st-petersburg-full-day"],
)
async def test_the_event_is_at_the_locations_local_time(
    runtime: Runtime, key: str, period: Period, zone: str, opens: time, closes: time
) -> None:
    booking = await book(runtime, key, ANNA, period)
    calendar = export(runtime, key, booking)
    event = the_event(calendar)
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert (start.date(), start.time(), end.time()) == (DAY, opens, closes)  # local wall time
    assert (start, end) == (booking.starts_at, booking.ends_at)  # the same instants as stored
    assert event["DTSTART"].params["TZID"] == event["DTEND"].params["TZID"] == zone
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [zone]
    assert (str(calendar["METHOD"]), str(event["STATUS"]), int(event["SEQUENCE"])) == (
        "PUBLISH",
        "CONFIRMED",
        0,
    )
    assert str(event["SUMMARY"]) == f"Desk A1 (Open space) · {place(runtime, key).name('en')}"


async def test_the_uid_stays_with_the_booking(runtime: Runtime) -> None:
    anna = await book(runtime, "lpr", ANNA, Period.MORNING)
    boris = await book(runtime, "lpr", BORIS, Period.MORNING)
    first = the_event(export(runtime, "lpr", anna))
    later = the_event(export(runtime, "lpr", anna, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))
    other = the_event(export(runtime, "lpr", boris))
    assert str(first["UID"]) == str(later["UID"]) != str(other["UID"])


async def test_a_cancelled_booking_cancels_the_event(runtime: Runtime) -> None:
    booking = await book(runtime, "lpr", ANNA, Period.MORNING)
    before = the_event(export(runtime, "lpr", booking))
    async with unit_of_work(runtime.factory) as session:
        cancelled = await desks.cancel(session, booking.id, ANNA, NOW)
    calendar = export(runtime, "lpr", cancelled)
    after = the_event(calendar)
    assert str(after["UID"]) == str(before["UID"])
    assert (str(calendar["METHOD"]), str(after["STATUS"]), int(after["SEQUENCE"])) == (
        "CANCEL",
        "CANCELLED",
        1,
    )
    assert after.decoded("dtstart") == booking.starts_at
