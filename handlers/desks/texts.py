"""What the desk screens say: dates and times in the location's zone and the user's language."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from html import escape

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date, format_skeleton, format_time

from storage.desks import DayAvailability, DeskBooking, Reason, Refused
from storage.desks.opening import Closure, ClosureKind, Desk, Period, Place
from storage.desks.places import Places


def html(text: str) -> str:
    """Curated or typed text placed into an HTML message."""
    return escape(text, quote=False)


def locale() -> str:
    return get_i18n().current_locale


# English for places in Europe: 24-hour times and the day before the month (13:00, 2 Dec),
# as people in St. Petersburg and Lappeenranta read them.
FORMAT_LOCALES = {"en": "en_150"}


def format_locale() -> str:
    """The Babel locale that writes dates and times in the user's language."""
    language = locale()
    return FORMAT_LOCALES.get(language, language)


# Babel's formatting is exact but not cheap; the same few days and times are written over and
# over, so each is formatted once per language.
CACHED_FORMATS = 4096


def day_long(day: date) -> str:
    """Tuesday, 1 December 2026"""
    return _day_long(day, format_locale())


@lru_cache(maxsize=CACHED_FORMATS)
def _day_long(day: date, language: str) -> str:
    return format_date(day, "full", locale=language)


def day_short(day: date) -> str:
    """Tue, 1 Dec"""
    return _skeleton("MMMEd", day, format_locale())


@lru_cache(maxsize=CACHED_FORMATS)
def _skeleton(skeleton: str, day: date, language: str) -> str:
    return format_skeleton(skeleton, day, locale=language)


def months(first: date, last: date) -> str:
    """December 2026, or December 2026 – January 2027"""
    names = [_skeleton("yMMMM", day, format_locale()) for day in (first, last)]
    return names[0] if names[0] == names[1] else f"{names[0]} – {names[1]}"


def clock(moment: time) -> str:
    return _clock(moment, format_locale())


@lru_cache(maxsize=CACHED_FORMATS)
def _clock(moment: time, language: str) -> str:
    return format_time(moment, "short", locale=language)


def local_clock(place: Place, moment: datetime) -> str:
    """A UTC moment as the location's local time of day."""
    return clock(moment.astimezone(place.timezone).time())


def period_name(period: Period) -> str:
    return {
        Period.FULL: _("Full day"),
        Period.MORNING: _("Morning"),
        Period.AFTERNOON: _("Afternoon"),
    }[period]


def period_times(place: Place, day: date, period: Period) -> str:
    start, end = place.times(day, period)
    return f"{clock(start)}–{clock(end)}"


def feature_names(features: tuple[str, ...]) -> list[str]:
    names = {
        "monitor": _("monitor"),
        "standing": _("standing desk"),
        "window": _("by the window"),
        "accessible": _("wheelchair accessible"),
    }
    return [names[feature] for feature in features if feature in names]


def desk_label(place: Place, desk: Desk | None, *, with_features: bool = True) -> str:
    if desk is None:
        return _("a desk that is no longer offered")
    zone = place.zone(desk.zone_id)
    parts = [zone.name(locale())] if zone else []
    if with_features:
        parts += feature_names(desk.features)
    text = _("Desk {label}").format(label=desk.label)
    return f"{text} ({', '.join(parts)})" if parts else text


def slot_lines(place: Place, day: date, period: Period) -> str:
    return _("📍 {place}\n📅 {day}\n🕘 {period}, {times} local time").format(
        place=html(place.name(locale())),
        day=day_long(day),
        period=period_name(period),
        times=period_times(place, day, period),
    )


def booking_lines(place: Place, booking: DeskBooking) -> str:
    """Everything about a booking, in the location's local time."""
    period = Period(booking.period)
    return "{slot}\n{desk}\n🏢 {address}".format(
        slot=slot_lines(place, booking.day, period),
        desk="💺 " + html(desk_label(place, place.desk(booking.desk_id))),
        address=html(place.address(locale())),
    )


def check_in_line(place: Place, booking: DeskBooking) -> str:
    """What a booked person must do where the location asks for check-in ("" elsewhere)."""
    deadline = place.check_in_by(booking.day, Period(booking.period))
    if deadline is None or booking.created_at >= deadline:  # (an offer taken after it)
        return ""
    return "\n\n" + _(
        "📍 On the day, tap “I'm here” when you arrive, by {time}: a desk nobody has "
        "checked in to by then is released for others."
    ).format(time=local_clock(place, deadline))


def own_desks_text(state: DayAvailability, places: Places) -> str:
    """The desks the person already has on a day (here or at the other location), and why
    those times are not offered again."""
    halves_at: dict[int, set[str]] = {}
    for half, location_id in state.mine.items():
        halves_at.setdefault(location_id, set()).add(half)
    lines = []
    for location_id, halves in halves_at.items():
        place = places.get(location_id)
        if place is None:
            continue
        period = next(p for p in (Period.FULL, Period.MORNING, Period.AFTERNOON)
                      if set(p.halves) == halves)  # fmt: skip
        lines.append(
            _("✓ You already have a desk on this day: {period} {times}, {place}.").format(
                period=period_name(period),
                times=period_times(place, state.day, period),
                place=html(place.name(locale())),
            )
        )
    if state.all_mine:
        lines.append(
            _("Nobody holds two desks at the same time, so there is nothing more to book for "
              "you on this day. “My bookings” shows it, and lets you cancel it.")
        )  # fmt: skip
    return "\n".join(lines)


def closure_text(closure: Closure) -> str:
    if closure.kind is ClosureKind.WEEKLY:
        return _("The Oasis is not open on this day of the week.")
    if closure.kind is ClosureKind.HOLIDAY:
        from handlers.desks.holidays import holiday_name  # it needs the dates of this module

        return _("The Oasis is closed for a public holiday: {name}.").format(
            name=holiday_name(closure.reason)
        )
    if closure.reason:
        return _("The Oasis is closed that day: {reason}.").format(reason=closure.reason)
    return _("The Oasis is closed that day.")


def refusal_text(refused: Refused) -> str:
    """Which rule said no, and what the person can do instead."""
    reason = refused.reason
    if reason is Reason.CLOSED and refused.closure is not None:
        return closure_text(refused.closure) + " " + _("Please choose another day.")
    messages = {
        Reason.CLOSED: _("The Oasis is closed that day. Please choose another day."),
        Reason.PAST: _("That day is already over. Please choose a day from today on."),
        Reason.HORIZON: ngettext(
            "Desks can be booked up to {days} day ahead. Please choose a day in the calendar.",
            "Desks can be booked up to {days} days ahead. Please choose a day in the calendar.",
            refused.limit,
        ).format(days=refused.limit),
        Reason.STARTED: _(
            "That time has already started, so it can no longer be booked. "
            "Please choose a later time or another day."
        ),
        Reason.QUOTA: ngettext(
            "You already have {limit} upcoming desk booking, the most you can hold at once. "
            "Cancel it in My bookings to book another.",
            "You already have {limit} upcoming desk bookings, the most you can hold at once. "
            "Cancel one in My bookings to book another.",
            refused.limit,
        ).format(limit=refused.limit),
        Reason.TWICE: _(
            "You already have a desk at that time. You can see or cancel it in My bookings."
        ),
        Reason.TAKEN: _("Sorry, that desk was just taken by someone else."),
        Reason.NO_DESK: _("That desk is no longer offered. Please choose another one."),
        Reason.NOT_FOUND: _("This booking is not active any more. Open My bookings to see yours."),
        Reason.TOO_LATE: _(
            "This booking has already started, so it can no longer be cancelled. "
            "If you cannot come, please let the Oasis staff know."
        ),
        Reason.OFFER_GONE: _("This offer is no longer open: it expired or was already answered."),
        Reason.NOT_FULL: _("There are free desks for that time, so you can simply book one."),
        Reason.WAITING: _("You are already on the waitlist for that time."),
        Reason.EARLY: _("Check-in opens an hour before your booking starts."),
        Reason.NO_CHECK_IN: _("This Oasis does not ask for check-in: just come in."),
    }
    return messages[reason]
