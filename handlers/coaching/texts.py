"""What the coaching screens say: topics, coaches, sessions, times in the reader's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import get_timezone, get_timezone_location
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks.texts import clock, day_long, day_short, format_locale, html, locale
from handlers.ui.keyboards import LANGUAGE_NAMES
from storage.coaching.coaches import expertise_of, languages_of, modes_of
from storage.coaching.tables import Coach, CoachingSession, Reason, Refused, Status
from storage.desks import bookings as desk_bookings
from storage.desks.places import Places


def expertise_name(key: str) -> str:
    names = {
        "business_plan": _("Business plan"),
        "funding": _("Funding"),
        "marketing": _("Marketing and sales"),
        "legal": _("IP and legal"),
        "international": _("International expansion"),
        "pitching": _("Pitching"),
        "technology": _("Technology"),
        "accounting": _("Accounting and taxes"),
    }
    return names.get(key, key)


def mode_name(mode: str) -> str:
    return _("online") if mode == "online" else _("in person")


def zone_of(coach: Coach) -> ZoneInfo:
    return ZoneInfo(coach.timezone)


async def viewer_zone(
    session: AsyncSession, user_id: int, places: Places, coach: Coach
) -> ZoneInfo:
    """The zone an entrepreneur reads times in: that of the Oasis they last booked a desk at,
    else the coach's."""
    location_id = await desk_bookings.last_location(session, user_id)
    place = places.get(location_id) if location_id is not None else None
    return place.timezone if place is not None else zone_of(coach)


def zone_name(zone: ZoneInfo) -> str:
    return _zone_name(str(zone), format_locale())


@lru_cache(maxsize=64)
def _zone_name(zone: str, language: str) -> str:
    return str(get_timezone_location(get_timezone(zone), locale=language, return_city=True))


def zone_note(viewer: ZoneInfo, coach: Coach, moment: datetime) -> str:
    """A line naming the zone of the times shown, when it is not the coach's."""
    if str(viewer) == coach.timezone:
        return ""
    return "\n" + _("🕒 Times are in {zone} time; the coach is in {coach_zone}.").format(
        zone=zone_name(viewer), coach_zone=zone_name(zone_of(coach))
    )


def when(moment: datetime, zone: ZoneInfo, minutes: int) -> str:
    """Tuesday, 8 December 2026, 14:00–15:00 (Helsinki)"""
    local = moment.astimezone(zone)
    end = (moment + timedelta(minutes=minutes)).astimezone(zone)
    return _("{day}, {start}–{end} ({zone})").format(
        day=day_long(local.date()),
        start=clock(local.time()),
        end=clock(end.time()),
        zone=zone_name(zone),
    )


def slot_label(moment: datetime, zone: ZoneInfo) -> str:
    return clock(moment.astimezone(zone).time())


def day_label(moment: datetime, zone: ZoneInfo) -> str:
    return day_short(moment.astimezone(zone).date())


def minutes_of(booked: CoachingSession) -> int:
    return int((booked.ends_at - booked.starts_at).total_seconds() // 60)


def coach_card(coach: Coach, places: Places) -> str:
    """Name, bio, topics, languages and where the coach meets."""
    lines = [f"<b>{html(coach.name)}</b>"]
    if coach.bio:
        lines += [html(coach.bio), ""]
    topics = ", ".join(expertise_name(key) for key in expertise_of(coach))
    languages = ", ".join(LANGUAGE_NAMES.get(code, code) for code in languages_of(coach))  # type: ignore[call-overload]
    lines.append(_("🎯 Topics: {topics}").format(topics=topics or "—"))
    lines.append(_("🗣 Languages: {languages}").format(languages=languages or "—"))
    lines.append(_("📍 Meets: {where}").format(where=meets(coach, places)))
    lines.append(
        ngettext("⏱ Sessions of {n} minute", "⏱ Sessions of {n} minutes", coach.session_minutes)
        .format(n=coach.session_minutes)
    )  # fmt: skip
    return "\n".join(lines)


def meets(coach: Coach, places: Places) -> str:
    parts = []
    for mode in modes_of(coach):
        if mode == "online":
            parts.append(_("online"))
        else:
            place = places.get(coach.location_id or 0)
            parts.append(html(place.name(locale())) if place else _("in person"))
    return _(" or ").join(parts) if parts else "—"


def where_line(mode: str, coach: Coach, places: Places, *, with_link: bool) -> str:
    if mode == "online":
        if with_link and coach.meeting_link:
            return _("💻 Online: {link}").format(link=html(coach.meeting_link))
        return _("💻 Online (the link comes with the confirmation)")
    place = places.get(coach.location_id or 0)
    if place is None:
        return _("📍 In person")
    return _("📍 {place}, {address}").format(
        place=html(place.name(locale())), address=html(place.address(locale()))
    )


def status_line(booked: CoachingSession) -> str:
    if booked.move_starts_at is not None and booked.status == Status.CONFIRMED:
        return _("🔁 A new time is asked for; this one stands until the coach answers")
    return {
        Status.PENDING: _("⏳ Waiting for the coach's answer"),
        Status.PROPOSED: _("🔁 The coach proposed this time: waiting for your answer"),
        Status.CONFIRMED: _("✅ Confirmed"),
        Status.DECLINED: _("✖ Declined"),
        Status.EXPIRED: _("⌛ Expired: not answered in time"),
        Status.CANCELLED: _("✖ Cancelled"),
    }.get(Status(booked.status), booked.status)


def session_lines(
    booked: CoachingSession,
    coach: Coach,
    places: Places,
    zone: ZoneInfo,
    *,
    who: str,
    with_link: bool = False,
) -> str:
    """The session as either side reads it; `who` names the other side."""
    lines = [
        _("👤 {who}").format(who=html(who)),
        _("📅 {when}").format(when=when(booked.starts_at, zone, minutes_of(booked))),
        where_line(booked.mode, coach, places, with_link=with_link),
        _("💬 {topic}").format(topic=html(booked.topic)),
    ]
    return "\n".join(lines)


def left(until: datetime, now: datetime) -> str:
    """How long until a moment, roughly: "5 h 20 min", "40 min"."""
    minutes = max(0, int((until - now).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("{h} h {m} min").format(h=hours, m=minutes)
    return _("{m} min").format(m=minutes)


def decline_preset(number: int) -> str:
    """The reasons a coach can pick when declining (1-based; 0: none)."""
    presets = {
        1: _("I am not available at that time."),
        2: _("This topic is outside my expertise."),
        3: _("Another coach can help you better with this."),
    }
    return presets.get(number, "")


def reason_text(value: str | None) -> str:
    """A decline's or cancellation's reason: a preset (stored by its key, so each side reads it
    in their own language) or the coach's own words."""
    if not value:
        return ""
    if value.startswith("#"):
        presets = {
            "#retired": _("The coach no longer takes sessions."),
            "#day": _("The coach cannot hold sessions today."),
        }
        if value[1:].isdigit():
            return decline_preset(int(value[1:]))
        return presets.get(value, "")
    return value


def refusal_text(refused: Refused) -> str:
    messages = {
        Reason.NOT_COACH: _("Only coaches can do this."),
        Reason.NOT_OWNER: _("This is not your session."),
        Reason.RETIRED: _("This coach no longer takes sessions."),
        Reason.NOT_FOUND: _("This session does not exist any more."),
        Reason.ANSWERED: _("This has changed meanwhile; here is how it stands now."),
        Reason.TAKEN: _("Sorry, that time was just taken. Please choose another one."),
        Reason.NO_SLOT: _("That time is no longer free. Please choose another one."),
        Reason.LIMIT_COACH: ngettext(
            "You already have {n} pending or upcoming session with this coach, the most at once.",
            "You already have {n} pending or upcoming sessions with this coach, the most at once.",
            refused.limit,
        ).format(n=refused.limit),
        Reason.LIMIT_TOTAL: ngettext(
            "You already have {n} pending or upcoming coaching session, the most at once.",
            "You already have {n} pending or upcoming coaching sessions, the most at once.",
            refused.limit,
        ).format(n=refused.limit),
        Reason.BUSY: _("You already have another coaching session at that time."),
        Reason.TOO_LATE: _(
            "It is less than 12 hours to the session, too late to cancel or move it here. "
            "You can write to the coach instead."
        ),
        Reason.SELF: _("You cannot book a session with yourself."),
        Reason.MOVING: _("A new time is already asked for; wait for the coach's answer."),
        Reason.INVITE_USED: _("This invite link has already been used."),
        Reason.INVITE_EXPIRED: _(
            "This invite link has expired. Ask the programme staff for a new one."
        ),
        Reason.INVITE_UNKNOWN: _("This invite link is not valid."),
    }
    return messages[refused.reason]
