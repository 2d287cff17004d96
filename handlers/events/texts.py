"""Texts of events: kinds, titles in the reader's language, times in the event's zone (and
the reader's when it differs), where, seats, refusals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from content.text import LANGUAGES
from handlers.coaching.texts import when, zone_name
from handlers.desks.texts import clock, day_long, html, locale
from storage.desks.places import Places
from storage.events.tables import Event, EventPart, Reason, Refused

KINDS = ("workshop", "training", "pitching", "networking", "course")


def kind_name(kind: str) -> str:
    return {
        "workshop": _("Workshop"),
        "training": _("Training"),
        "pitching": _("Pitching"),
        "networking": _("Networking"),
        "course": _("Course"),
    }.get(kind, kind)


def language_name(code: str) -> str:
    return {"en": _("English"), "ru": _("Russian"), "fi": _("Finnish")}.get(code, code)


def zone_of(event: Event) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def _text(texts: dict[str, str], default: str) -> str:
    """The text in the reader's language, else the default language's, else any."""
    return texts.get(locale()) or texts.get(default) or next(iter(texts.values()), "")


def plain_title(event: Event, default: str = "en") -> str:
    """The title as plain text (a button, a calendar entry)."""
    return _text(event.titles, default)


def title(event: Event, default: str = "en") -> str:
    return html(plain_title(event, default))


def description(event: Event, default: str = "en") -> str:
    return html(_text(event.descriptions, default))


def span(part: EventPart | Event, zone: ZoneInfo, viewer: ZoneInfo | None = None) -> str:
    """Thursday, 21 January 2027, 17:00–19:00 (Helsinki), and the reader's clock when their
    zone differs at that moment."""
    minutes = int((part.ends_at - part.starts_at).total_seconds() // 60)
    text = when(part.starts_at, zone, minutes)
    start = part.starts_at.astimezone(zone)
    if viewer is not None and part.starts_at.astimezone(viewer).utcoffset() != start.utcoffset():
        theirs = part.starts_at.astimezone(viewer)
        text += " " + _("= {start} {zone} time").format(
            start=clock(theirs.time()), zone=zone_name(viewer)
        )
    return text


def where(event: Event, places: Places, *, with_link: bool) -> str:
    if event.location_id is None:
        if with_link and event.link:
            return _("💻 Online: {link}").format(link=html(event.link))
        return _("💻 Online (the link is sent to registered people)")
    place = places.get(event.location_id)
    if place is None:
        return ""
    text = _("📍 {place}, {address}").format(
        place=html(place.name(locale())), address=html(place.address(locale()))
    )
    if event.room:
        text += _(", room: {room}").format(room=html(event.room))
    return text


def missing_texts(event: Event) -> list[str]:
    """Warnings for staff: the languages an event has no title or no description in."""
    lines = []
    for texts, warning in (
        (event.titles, _("⚠️ No title in {languages}: those readers see another language.")),
        (
            event.descriptions,
            _("⚠️ No description in {languages}: those readers see another language."),
        ),
    ):
        missing = [language_name(code) for code in LANGUAGES if not texts.get(code)]
        if missing:
            lines.append(warning.format(languages=", ".join(missing)))
    return lines


def seats_line(event: Event) -> str:
    free = max(event.capacity - event.taken, 0)
    if free == 0:
        return _("🪑 Full: the waitlist is open.")
    return ngettext("🪑 {n} seat left of {total}", "🪑 {n} seats left of {total}", free).format(
        n=free, total=event.capacity
    )


def refusal_text(refused: Refused) -> str:
    return {
        Reason.NOT_FOUND: _("This event is no longer available."),
        Reason.CANCELLED: _("This event has been cancelled."),
        Reason.NOT_OPEN: _("Registration for this event has not opened yet."),
        Reason.CLOSED: _("Registration for this event has closed, and so has the waitlist."),
        Reason.STARTED: _("This event has already started."),
        Reason.ALREADY: _("You are already registered or in line for this event."),
        Reason.NOT_REGISTERED: _("You are not registered for this event."),
        Reason.BELOW_TAKEN: _("The capacity cannot be below the seats already taken."),
        Reason.PUBLISHED: _("This event is published already."),
    }[refused.reason]


def opens_line(event: Event, now: datetime) -> str:
    zone = zone_of(event)
    if now < event.opens_at:
        local = event.opens_at.astimezone(zone)
        return _("Registration opens {day} at {time}.").format(
            day=day_long(local.date()), time=clock(local.time())
        )
    if now < event.closes_at:
        local = event.closes_at.astimezone(zone)
        return _("Registration closes {day} at {time}.").format(
            day=day_long(local.date()), time=clock(local.time())
        )
    return _("Registration has closed.")
