"""Staff tools for the Oasis: occupancy of a day and a CSV export of the bookings."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    Message,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import parse_date
from sqlalchemy.ext.asyncio import AsyncSession

from content.spreadsheet import safe_cell
from handlers.desks.texts import (
    closure_text,
    day_long,
    desk_label,
    format_locale,
    html,
    local_clock,
    locale,
    period_name,
    period_times,
)
from handlers.ui.filters import staff_router
from storage import audit, desks
from storage.base import WallClock
from storage.desks import DeskBooking, Status, waitlist
from storage.desks import places as places_store
from storage.desks.opening import Period, Place
from storage.desks.places import Places
from storage.users import Person, User, users_by_id

MAX_TEXT = 3800  # leaves room under Telegram's 4096 for the closing line
MAX_EXPORT_DAYS = 366


def parse_day(text: str) -> date | None:
    """A date typed as 2026-12-01, 1.12.2026 (day first, as in Russia and Finland), or in the
    user's own format with slashes (1/12/2026 in English, day first as in Europe)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        if "." in text:
            return datetime.strptime(text.rstrip("."), "%d.%m.%Y").date()
        return parse_date(text, locale=format_locale())
    except (ValueError, IndexError):
        return None


def date_range(args: str | None, command: str) -> tuple[date, date] | str:
    """FROM TO of an export or a report, or what is wrong with them (the answer to send)."""
    days = [parse_day(part) for part in (args or "").split()]
    if len(days) != 2 or None in days:
        return _("Please give two dates, from and to: {command} 2026-12-01 2026-12-31").format(
            command=command
        )
    first, last = days
    assert first is not None and last is not None
    if first > last or (last - first).days >= MAX_EXPORT_DAYS:
        return _(
            "The first date must not be after the second, and at most {days} days apart."
        ).format(days=MAX_EXPORT_DAYS)
    return first, last


def staff_only(person: Person) -> str | None:
    return None if person.is_admin else _("This command is for the programme staff.")


def person_name(user: User | None, user_id: int) -> str:
    if user is None:
        return str(user_id)
    name = " ".join(part for part in (user.first_name, user.last_name) if part) or str(user_id)
    return f"{name} (@{user.username})" if user.username else f"{name} (id {user_id})"


async def occupancy(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    now = wall_clock()
    day = parse_day(command.args) if command.args else None
    if command.args and day is None:
        await message.answer(_("Please give the date as 2026-12-01, e.g. /occupancy 2026-12-01."))
        return
    intro = ""
    if day is None and not [
        booking
        for place in places.all
        for booking in await desks.on_day(session, place, place.today(now))
    ]:
        # nobody today: the next day someone comes is what the staff want to see
        today = min(place.today(now) for place in places.all)
        if (day := await desks.next_booked_day(session, today)) is not None:
            intro = _("No bookings today. The next booked day:") + "\n\n"
    blocks = []
    for place in places.all:
        blocks.append(await _occupancy_of(session, place, day or place.today(now), now))
    text = intro + "\n\n".join(blocks)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT].rsplit("\n", 1)[0] + "\n" + _("…the list is cut here.")
    await message.answer(text)


async def _occupancy_of(session: AsyncSession, place: Place, day: date, now: datetime) -> str:
    title = _("<b>{place}</b>, {day}").format(place=html(place.name(locale())), day=day_long(day))
    closure = await places_store.closure_on(session, place, day, locale())
    if closure is not None:
        return f"{title}\n{escape(closure_text(closure))}"
    bookings = await desks.on_day(session, place, day)
    waiting = await waitlist.counts(session, place, day)
    total = len(place.desks)
    lines = [title]
    for period in (Period.MORNING, Period.AFTERNOON):
        booked = sum(1 for b in bookings if period.halves[0] in Period(b.period).halves)
        line = _("{period} {times}: {booked}/{total} desks booked").format(
            period=period_name(period),
            times=period_times(place, day, period),
            booked=booked,
            total=total,
        )
        lines.append(line)
    queued = sum(waiting.values())
    if queued:
        lines.append(
            ngettext(
                "{count} person on the waitlist", "{count} people on the waitlist", queued
            ).format(count=queued)
        )
    people = await users_by_id(session, (b.user_id for b in bookings))
    today = day == place.today(now)
    for booking in bookings:
        desk = html(desk_label(place, place.desk(booking.desk_id), with_features=False))
        period = period_name(Period(booking.period))
        who = escape(person_name(people.get(booking.user_id), booking.user_id))
        lines.append(f"• {desk}: {period} — {who}{_presence(place, booking, today)}")
    if not bookings:
        lines.append(_("No bookings."))
    return "\n".join(lines)


def _presence(place: Place, booking: DeskBooking, today: bool) -> str:
    """An offer not yet taken; and today, where the location asks for check-in, who is in."""
    if booking.status == Status.HELD:
        return " " + _("(offered, not yet accepted)")
    if not today or place.check_in_by(booking.day, Period(booking.period)) is None:
        return ""
    if booking.checked_in_at is not None:
        return " · " + _("✅ checked in at {time}").format(
            time=local_clock(place, booking.checked_in_at)
        )
    return " · " + _("⏳ not checked in yet")


async def export_bookings(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
    bot: Bot,
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    span = date_range(command.args, "/export_bookings")
    if isinstance(span, str):
        await message.answer(span)
        return
    first, last = span
    bookings = await desks.between(session, first, last)
    people = await users_by_id(session, (b.user_id for b in bookings))
    data = bookings_csv(places, bookings, people)
    audit.record(
        session,
        person.id,
        audit.Action.EXPORT,
        target=f"desk bookings {first}..{last}",
        details={"rows": len(bookings)},
    )
    await bot.send_document(
        message.chat.id,
        BufferedInputFile(data, filename=f"desk-bookings-{first}-{last}.csv"),
        caption=ngettext(
            "{count} booking from {first} to {last}.",
            "{count} bookings from {first} to {last}.",
            len(bookings),
        ).format(count=len(bookings), first=first, last=last),
    )


CSV_COLUMNS = (
    "booking_id", "location", "desk", "zone", "date", "period", "starts_local", "ends_local",
    "timezone", "status", "cancel_reason", "user_id", "first_name", "last_name", "username",
    "created_at_utc", "updated_at_utc",
)  # fmt: skip


def bookings_csv(places: Places, bookings: Sequence[DeskBooking], people: dict[int, User]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Cyrillic and ä right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for b in bookings:
        place = places.get(b.location_id)
        desk = place.desk(b.desk_id) if place else None
        zone = place.zone(desk.zone_id) if place and desk else None
        zone_name = zone.name("en") if zone else ""
        tz = place.timezone if place else None
        user = people.get(b.user_id)
        row = [
            b.id, place.key if place else b.location_id, desk.label if desk else b.desk_id,
            zone_name, b.day.isoformat(), Period(b.period).name.lower(),
            b.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            b.ends_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            str(tz) if tz else "", b.status, b.cancel_reason or "", b.user_id,
            user.first_name if user else "", (user.last_name or "") if user else "",
            (user.username or "") if user else "",
            b.created_at.isoformat(timespec="seconds"),
            b.updated_at.isoformat(timespec="seconds"),
        ]  # fmt: skip
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(occupancy, Command("occupancy"))
    router.message.register(export_bookings, Command("export_bookings"))
    return router
