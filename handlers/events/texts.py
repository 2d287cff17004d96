"""Texts of events: kinds, titles in the reader's language, times in the event's zone (and
the reader's when it differs), where, seats, refusals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from handlers.coaching.texts import zone_name
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


def _text(texts: dict[str, str], default: str) -> tuple[str, bool]:
    """The text in the reader's language, else the default language's (True: a fallback)."""
    if text := texts.get(locale()):
        return text, False
    if text := texts.get(default):
        return text, True
    return next(iter(texts.values()), ""), True


def title(event: Event, default: str = "en") -> str:
    return html(_text(event.titles, default)[0])


def description(event: Event, default: str = "en") -> str:
    return html(_text(event.descriptions, default)[0])


def span(part: EventPart | Event, zone: ZoneInfo, viewer: ZoneInfo | None = None) -> str:
    """Thursday, 21 January 2027, 17:00–19:00 (Helsinki), and the reader's clock when their
    zone differs at that moment."""
    start, end = part.starts_at.astimezone(zone), part.ends_at.astimezone(zone)
    text = _("{day}, {start}–{end} ({zone})").format(
        day=day_long(start.date()), start=clock(start.time()), end=clock(end.time()),
        zone=zone_name(zone),
    )  # fmt: skip
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
