"""A booking as an iCalendar file that any calendar app can import."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import gettext as _
from icalendar import Calendar, Event

from handlers.desks.texts import desk_label, locale
from storage.desks import DeskBooking, Status
from storage.desks.opening import Place

PRODID = "-//OpenINNO Concierge//Business Oasis desk bookings//EN"
UID_DOMAIN = "concierge.openinno"


def booking_uid(booking: DeskBooking) -> str:
    """Stable for the life of the booking, so a calendar updates the event instead of adding."""
    return f"desk-booking-{booking.id}@{UID_DOMAIN}"


def booking_calendar(place: Place, booking: DeskBooking, stamp: datetime) -> bytes:
    """VEVENT in the location's time zone (VTIMEZONE included); cancelled ones cancel it."""
    cancelled = booking.status not in (Status.ACTIVE, Status.HELD)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.starts_at.astimezone(place.timezone))
    event.add("dtend", booking.ends_at.astimezone(place.timezone))
    desk = place.desk(booking.desk_id)
    event.add(
        "summary",
        _("{desk} · {place}").format(
            desk=desk_label(place, desk, with_features=False), place=place.name(locale())
        ),
    )
    event.add("location", place.address(locale()))
    event.add("description", _("Desk booking in the Business Oasis, made with the OpenINNO bot."))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def booking_file(place: Place, booking: DeskBooking, stamp: datetime) -> BufferedInputFile:
    return BufferedInputFile(
        booking_calendar(place, booking, stamp), filename=f"oasis-desk-{booking.id}.ics"
    )
