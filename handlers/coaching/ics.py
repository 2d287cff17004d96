"""A coaching session as an iCalendar file: one event per session for its whole life (a
stable UID; SEQUENCE grows with every change, so a moved session updates the same event and a
cancelled one removes it)."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _
from icalendar import Calendar, Event

from handlers.coaching.texts import zone_of
from handlers.desks.ics import UID_DOMAIN
from handlers.desks.texts import locale
from storage.coaching.tables import LIVE, Coach, CoachingSession
from storage.desks.places import Places

PRODID = "-//OpenINNO Concierge//Coaching sessions//EN"


def session_uid(booked: CoachingSession) -> str:
    return f"coaching-session-{booked.id}@{UID_DOMAIN}"


def session_calendar(
    booked: CoachingSession, coach: Coach, places: Places, stamp: datetime, *, for_coach: bool
) -> bytes:
    cancelled = booked.status not in LIVE
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", session_uid(booked))
    event.add("sequence", booked.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", booked.starts_at.astimezone(zone_of(coach)))
    event.add("dtend", booked.ends_at.astimezone(zone_of(coach)))
    summary = _("Coaching session") if for_coach else _("Coaching session with {coach}")
    event.add("summary", summary.format(coach=coach.name))
    place = places.get(coach.location_id or 0)
    if booked.mode == "online" and coach.meeting_link:
        event.add("location", coach.meeting_link)
        event.add("url", coach.meeting_link)
    elif place is not None:
        event.add("location", f"{place.name(locale())}, {place.address(locale())}")
    event.add("description", booked.topic)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def session_file(
    booked: CoachingSession, coach: Coach, places: Places, stamp: datetime, *, for_coach: bool
) -> BufferedInputFile:
    return BufferedInputFile(
        session_calendar(booked, coach, places, stamp, for_coach=for_coach),
        filename=f"coaching-session-{booked.id}.ics",
    )
