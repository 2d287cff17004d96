"""An event as an iCalendar file: one VEVENT per part (a course has several), each with a
stable UID; SEQUENCE is the event's version, so a moved event updates the same calendar
entries and a cancelled one removes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.types import BufferedInputFile
from icalendar import Calendar
from icalendar import Event as Entry

from handlers.desks.ics import UID_DOMAIN
from handlers.desks.texts import locale
from handlers.events.texts import plain_title, zone_of
from storage.desks.places import Places
from storage.events.tables import Event, EventPart, EventStatus

PRODID = "-//OpenINNO Concierge//Events//EN"


def part_uid(event: Event, part: EventPart) -> str:
    return f"event-{event.id}-{part.position}@{UID_DOMAIN}"


def event_calendar(
    event: Event, parts: Sequence[EventPart], places: Places, stamp: datetime, *, link: bool
) -> bytes:
    cancelled = event.status == EventStatus.CANCELLED
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    zone = zone_of(event)
    title = plain_title(event)
    place = places.get(event.location_id or 0)
    for part in parts:
        entry = Entry()
        entry.add("uid", part_uid(event, part))
        entry.add("sequence", event.version)
        entry.add("dtstamp", stamp)
        entry.add("dtstart", part.starts_at.astimezone(zone))
        entry.add("dtend", part.ends_at.astimezone(zone))
        entry.add("summary", title)
        if event.location_id is None and event.link and link:
            entry.add("location", event.link)
            entry.add("url", event.link)
        elif place is not None:
            where = f"{place.name(locale())}, {place.address(locale())}"
            entry.add("location", f"{where}, {event.room}" if event.room else where)
        entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_file(
    event: Event, parts: Sequence[EventPart], places: Places, stamp: datetime, *, link: bool
) -> BufferedInputFile:
    return BufferedInputFile(
        event_calendar(event, parts, places, stamp, link=link), filename=f"event-{event.id}.ics"
    )
