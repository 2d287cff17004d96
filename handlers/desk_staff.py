"""Staff tools for the Oasis: occupancy of a day, a CSV export, closing and reopening dates."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.dates import parse_date
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import desk_notices
from handlers.ui.callbacks import StaffAction, StaffCB
from handlers.ui.desk_texts import (
    closure_text,
    day_long,
    desk_label,
    html,
    locale,
    period_name,
    period_times,
    refusal_text,
)
from handlers.ui.screens import edit_or_send
from storage import closures, desks, waitlist
from storage import places as places_store
from storage.base import WallClock
from storage.desks import DeskBooking, Refused, Status
from storage.engine import SessionFactory
from storage.opening import Period, Place
from storage.places import Places
from storage.users import Person, User, users_by_id

MAX_TEXT = 3800  # leaves room under Telegram's 4096 for the closing line
MAX_EXPORT_DAYS = 366


def parse_day(text: str) -> date | None:
    """A date typed as 2026-12-01, 1.12.2026 (day first, as in Russia and Finland), or in the
    user's own format with slashes (12/1/2026 in English)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        if "." in text:
            return datetime.strptime(text.rstrip("."), "%d.%m.%Y").date()
        return parse_date(text, locale=locale())
    except (ValueError, IndexError):
        return None


def _staff_only(person: Person) -> str | None:
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
    if (refusal := _staff_only(person)) is not None:
        await message.answer(refusal)
        return
    now = wall_clock()
    day = parse_day(command.args) if command.args else None
    if command.args and day is None:
        await message.answer(_("Please give the date as 2026-12-01, e.g. /occupancy 2026-12-01."))
        return
    blocks = []
    for place in places.all:
        blocks.append(await _occupancy_of(session, place, day or place.today(now)))
    text = "\n\n".join(blocks)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT].rsplit("\n", 1)[0] + "\n" + _("…the list is cut here.")
    await message.answer(text)


async def _occupancy_of(session: AsyncSession, place: Place, day: date) -> str:
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
    for booking in bookings:
        desk = html(desk_label(place, place.desk(booking.desk_id), with_features=False))
        lines.append(
            "• {desk}: {period} — {who}{held}".format(
                desk=desk,
                period=period_name(Period(booking.period)),
                who=escape(person_name(people.get(booking.user_id), booking.user_id)),
                held=" " + _("(offered, not yet accepted)")
                if booking.status == Status.HELD
                else "",
            )
        )
    if not bookings:
        lines.append(_("No bookings."))
    return "\n".join(lines)


async def export_bookings(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
    bot: Bot,
) -> None:
    if (refusal := _staff_only(person)) is not None:
        await message.answer(refusal)
        return
    parts = (command.args or "").split()
    days = [parse_day(part) for part in parts]
    if len(days) != 2 or None in days:
        await message.answer(
            _("Please give two dates, from and to: /export_bookings 2026-12-01 2026-12-31")
        )
        return
    first, last = days
    assert first is not None and last is not None
    if first > last or (last - first).days >= MAX_EXPORT_DAYS:
        await message.answer(
            _("The first date must not be after the second, and at most {days} days apart.").format(
                days=MAX_EXPORT_DAYS
            )
        )
        return
    bookings = await desks.between(session, first, last)
    people = await users_by_id(session, (b.user_id for b in bookings))
    data = bookings_csv(places, bookings, people)
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


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (a name like "=HYPERLINK(...)") is quoted."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


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
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _places_keyboard(places: Places, action: StaffAction, day: date) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=place.name(locale()),
                callback_data=StaffCB(action=action, loc=place.id, day=day.toordinal()).pack(),
            )
        ]
        for place in places.all
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def close_command(
    message: Message,
    command: CommandObject,
    person: Person,
    places: Places,
    state: FSMContext,
) -> None:
    if (refusal := _staff_only(person)) is not None:
        await message.answer(refusal)
        return
    date_text, _sep, reason = (command.args or "").strip().partition(" ")
    day = parse_day(date_text) if date_text else None
    if day is None:
        await message.answer(
            _(
                "Please give the date and, if you like, the reason: "
                "/close_day 2026-12-01 maintenance"
            )
        )
        return
    reasons = dict((await state.get_data()).get("close_reasons") or {})
    reasons[str(day.toordinal())] = reason.strip()[:500]
    await state.update_data(close_reasons=reasons)
    await message.answer(
        _("Which location closes on {day}?").format(day=day_long(day)),
        reply_markup=_places_keyboard(places, StaffAction.CLOSE, day),
    )


async def _close_reason(state: FSMContext, day: date) -> str:
    """The reason typed with /close_day for that date (kept per date: an admin may prepare
    several closures before confirming them)."""
    reasons = (await state.get_data()).get("close_reasons") or {}
    return str(reasons.get(str(day.toordinal()), ""))


def _staff_target(
    callback_data: StaffCB, person: Person, places: Places
) -> tuple[Place, date] | None:
    place = places.get(callback_data.loc)
    if not person.is_admin or place is None:
        return None
    try:
        return place, date.fromordinal(callback_data.day)
    except ValueError:
        return None


async def ask_close(
    query: CallbackQuery,
    callback_data: StaffCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    state: FSMContext,
) -> None:
    target = _staff_target(callback_data, person, places)
    if target is None:
        await query.answer(_("This button is for the programme staff."), show_alert=True)
        return
    place, day = target
    booked = sum(1 for b in await desks.on_day(session, place, day) if b.status == Status.ACTIVE)
    queued = sum((await waitlist.counts(session, place, day)).values())
    reason = await _close_reason(state, day)
    await query.answer()
    text = _(
        "Close <b>{place}</b> on {day}?\n"
        "Bookings to cancel: {booked}. People on the waitlist: {queued}.\n"
        "Reason they will see: {reason}\n\nEveryone affected gets a message."
    ).format(
        place=html(place.name(locale())),
        day=day_long(day),
        booked=booked,
        queued=queued,
        reason=escape(reason) or "—",
    )
    confirm = StaffCB(action=StaffAction.CLOSE_YES, loc=place.id, day=day.toordinal())
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Close and notify"), callback_data=confirm.pack())]
        ]
    )
    await edit_or_send(query, text, markup)


async def close_day(
    query: CallbackQuery,
    callback_data: StaffCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
    bot: Bot,
    i18n: I18n,
    session_factory: SessionFactory,
) -> None:
    target = _staff_target(callback_data, person, places)
    if target is None:
        await query.answer(_("This button is for the programme staff."), show_alert=True)
        return
    place, day = target
    reason = await _close_reason(state, day)
    try:
        closed = await closures.close_day(session, place, day, reason, person.id, wall_clock())
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer()
    reasons = dict((await state.get_data()).get("close_reasons") or {})
    reasons.pop(str(day.toordinal()), None)
    await state.update_data(close_reasons=reasons)
    admin_locale = locale()

    async def tell_everyone(own: AsyncSession) -> None:
        told = await desk_notices.day_closed(bot, i18n, own, place, closed, escape(reason))
        with i18n.use_locale(admin_locale):
            text = _(
                "{place} is closed on {day}. Bookings cancelled: {cancelled}; people told: {told}."
            ).format(
                place=html(place.name(locale())),
                day=day_long(day),
                cancelled=len(closed.cancelled),
                told=told,
            )
        await edit_or_send(query, text)

    desk_notices.after_commit_send(session, session_factory, i18n, tell_everyone)


async def reopen_command(
    message: Message, command: CommandObject, person: Person, places: Places
) -> None:
    if (refusal := _staff_only(person)) is not None:
        await message.answer(refusal)
        return
    day = parse_day(command.args or "")
    if day is None:
        await message.answer(_("Please give the date: /reopen_day 2026-12-01"))
        return
    await message.answer(
        _("Which location reopens on {day}?").format(day=day_long(day)),
        reply_markup=_places_keyboard(places, StaffAction.REOPEN, day),
    )


async def reopen(
    query: CallbackQuery,
    callback_data: StaffCB,
    session: AsyncSession,
    person: Person,
    places: Places,
) -> None:
    target = _staff_target(callback_data, person, places)
    if target is None:
        await query.answer(_("This button is for the programme staff."), show_alert=True)
        return
    place, day = target
    await query.answer()
    if await places_store.reopen(session, place, day):
        text = _("{place} is open again on {day}. Cancelled bookings stay cancelled.")
    else:
        text = _("{place} was not closed by the staff on {day}; nothing to reopen.")
    await edit_or_send(query, text.format(place=html(place.name(locale())), day=day_long(day)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(occupancy, Command("occupancy"))
    router.message.register(export_bookings, Command("export_bookings"))
    router.message.register(close_command, Command("close_day"))
    router.message.register(reopen_command, Command("reopen_day"))
    router.callback_query.register(ask_close, StaffCB.filter(F.action == StaffAction.CLOSE))
    router.callback_query.register(close_day, StaffCB.filter(F.action == StaffAction.CLOSE_YES))
    router.callback_query.register(reopen, StaffCB.filter(F.action == StaffAction.REOPEN))
    return router
