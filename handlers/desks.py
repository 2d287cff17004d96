"""Booking a desk: location → day → period → desk → confirm, and the waitlist for full days.

Every button carries the whole choice so far, and every step checks it again: a forged or
stale button gets the rule it breaks and the nearest screen that still makes sense.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from babel.dates import format_timedelta
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.ui import desk_keyboards as kb
from handlers.ui.callbacks import DeskAction, DeskCB, MenuAction, MenuCB
from handlers.ui.desk_texts import (
    booking_lines,
    clock,
    closure_text,
    day_long,
    desk_label,
    html,
    locale,
    months,
    refusal_text,
    slot_lines,
)
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import desks, waitlist
from storage.base import WallClock
from storage.desks import Reason, Refused
from storage.opening import Period, Place
from storage.places import Places
from storage.users import Person


class BookDesk(StatesGroup):
    """Inside the flow: typed text is not a question, and /cancel says it left the flow."""

    choosing = State()


def _parse(data: DeskCB, places: Places) -> tuple[Place, date, Period | None] | None:
    """The location, day and period a button names, or None if it names nothing real."""
    place = places.get(data.loc)
    try:
        day = date.fromordinal(data.day) if data.day else date.min
        period = Period(data.period) if data.period else None
    except ValueError:
        return None
    return (place, day, period) if place is not None else None


async def show_places(
    query: CallbackQuery,
    places: Places,
    session: AsyncSession,
    wall_clock: WallClock,
    state: FSMContext,
) -> None:
    await state.set_state(BookDesk.choosing)
    await query.answer()
    if len(places.all) == 1:
        await _calendar(query, session, places, places.all[0], wall_clock())
        return
    lines = [_("<b>Book a desk</b>\nWhere would you like to work?"), ""]
    lines += [
        f"• <b>{html(p.name(locale()))}</b> — {html(p.address(locale()))}" for p in places.all
    ]
    await edit_or_send(query, "\n".join(lines), kb.places_keyboard(places.all))


async def show_calendar(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
    state: FSMContext,
) -> None:
    place = places.get(callback_data.loc)
    if place is None:
        await refuse_stale(query)
        return
    await state.set_state(BookDesk.choosing)
    await query.answer()
    await _calendar(query, session, places, place, wall_clock())


async def _calendar(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    place: Place,
    now: datetime,
    note: str = "",
) -> None:
    days = await desks.availability(session, place, place.bookable_days(now), now, locale())
    text = _(
        "<b>{place}</b>\n{months}\nChoose a day. ✕ closed · ● fully booked "
        "(you can join the waitlist)"
    ).format(place=html(place.name(locale())), months=months(days[0].day, days[-1].day))
    markup = kb.calendar_keyboard(place, days, several_places=len(places.all) > 1)
    await edit_or_send(query, f"{escape(note)}\n\n{text}" if note else text, markup)


async def show_day(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    parsed = _parse(callback_data, places)
    if parsed is None:
        await refuse_stale(query)
        return
    place, day, _period = parsed
    await query.answer()
    await _day(query, session, places, place, day, wall_clock())


async def _day(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    place: Place,
    day: date,
    now: datetime,
    note: str = "",
) -> None:
    """The periods of a day, or the calendar with the reason if the day cannot be booked."""
    try:
        await desks.check_bookable(session, place, day, Period.AFTERNOON, now, locale())
    except Refused as refused:
        await _calendar(query, session, places, place, now, refusal_text(refused))
        return
    [state] = await desks.availability(session, place, [day], now, locale())
    opens, closes = place.opening(day) or place.times(day, Period.FULL)
    text = _("<b>{place}</b>\n{day}\nOpen {opens}–{closes} local time. Choose a time:").format(
        place=html(place.name(locale())),
        day=day_long(day),
        opens=clock(opens),
        closes=clock(closes),
    )
    await edit_or_send(
        query, f"{escape(note)}\n\n{text}" if note else text, kb.periods_keyboard(place, state)
    )


async def show_zones(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    parsed = _parse(callback_data, places)
    if parsed is None or parsed[2] is None:
        await refuse_stale(query)
        return
    place, day, period = parsed
    assert period is not None
    now = wall_clock()
    await query.answer()
    try:
        await desks.check_bookable(session, place, day, period, now, locale())
    except Refused as refused:
        await _day(query, session, places, place, day, now, refusal_text(refused))
        return
    free = await desks.free_desks(session, place, day, period)
    if not free:
        await _day(query, session, places, place, day, now, refusal_text(Refused(Reason.TAKEN)))
        return
    text = _("{slot}\n\nWhich desk would you like?").format(slot=slot_lines(place, day, period))
    await edit_or_send(query, text, kb.zones_keyboard(place, day, period, free))


async def show_desks(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    parsed = _parse(callback_data, places)
    zone = parsed[0].zone(callback_data.zone) if parsed else None
    if parsed is None or parsed[2] is None or zone is None:
        await refuse_stale(query)
        return
    place, day, period = parsed
    assert period is not None
    now = wall_clock()
    await query.answer()
    try:
        await desks.check_bookable(session, place, day, period, now, locale())
    except Refused as refused:
        await _day(query, session, places, place, day, now, refusal_text(refused))
        return
    free = await desks.free_desks(session, place, day, period, zone.id)
    if not free:
        await _day(query, session, places, place, day, now, refusal_text(Refused(Reason.TAKEN)))
        return
    text = _("{slot}\n\nChoose a desk in {zone}:").format(
        slot=slot_lines(place, day, period), zone=html(zone.name(locale()))
    )
    await edit_or_send(query, text, kb.desks_keyboard(place, day, period, zone, free))


async def show_summary(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    parsed = _parse(callback_data, places)
    if parsed is None or parsed[2] is None:
        await refuse_stale(query)
        return
    place, day, period = parsed
    assert period is not None
    desk = place.desk(callback_data.desk) if callback_data.desk else None
    zone = place.zone(callback_data.zone) if callback_data.zone else None
    if (callback_data.desk and desk is None) or (callback_data.zone and zone is None):
        await query.answer(refusal_text(Refused(Reason.NO_DESK)), show_alert=True)
        return
    now = wall_clock()
    await query.answer()
    try:
        await desks.check_bookable(session, place, day, period, now, locale())
    except Refused as refused:
        await _day(query, session, places, place, day, now, refusal_text(refused))
        return
    if desk is not None:
        which = html(desk_label(place, desk))
    elif zone is not None:
        which = _("any free desk in {zone}").format(zone=html(zone.name(locale())))
    else:
        which = _("any free desk")
    text = _("<b>Please check your booking</b>\n\n{slot}\n💺 {desk}\n🏢 {address}").format(
        slot=slot_lines(place, day, period), desk=which, address=html(place.address(locale()))
    )
    await edit_or_send(query, text, kb.confirm_keyboard(callback_data))


async def confirm(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    person: Person,
    wall_clock: WallClock,
    state: FSMContext,
) -> None:
    parsed = _parse(callback_data, places)
    if parsed is None or parsed[2] is None:
        await refuse_stale(query)
        return
    place, day, period = parsed
    assert period is not None
    now = wall_clock()
    try:
        booking = await desks.book(
            session,
            place,
            person.id,
            day,
            period,
            now,
            desk_id=callback_data.desk or None,
            zone_id=callback_data.zone or None,
            exempt=person.is_admin,
            language=locale(),
        )
    except Refused as refused:
        await _refused(query, session, places, place, day, now, refused)
        return
    await state.clear()
    await query.answer(_("Booked!"))
    text = _("✅ <b>Your desk is booked!</b>\n\n{details}").format(
        details=booking_lines(place, booking)
    )
    await edit_or_send(query, text, kb.booking_keyboard(booking.id))


async def _refused(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    place: Place,
    day: date,
    now: datetime,
    refused: Refused,
) -> None:
    """Say which rule refused, then show what can still be done."""
    text = refusal_text(refused)
    if refused.reason in (Reason.QUOTA, Reason.TWICE):
        await query.answer(text, show_alert=True)
        await edit_or_send(query, text, kb.my_bookings_keyboard())
        return
    if refused.reason is Reason.NO_DESK:  # as on the summary step: an alert, then the day
        await query.answer(text, show_alert=True)
    else:
        await query.answer()
    if refused.reason is Reason.TAKEN:
        text = _("{sorry} Here is what is still free:").format(sorry=text)
    await _day(query, session, places, place, day, now, text)


async def join_waitlist(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    person: Person,
    wall_clock: WallClock,
    state: FSMContext,
) -> None:
    parsed = _parse(callback_data, places)
    if parsed is None or parsed[2] is None:
        await refuse_stale(query)
        return
    place, day, period = parsed
    assert period is not None
    now = wall_clock()
    try:
        _entry, position = await waitlist.join(
            session, place, person.id, day, period, now, exempt=person.is_admin, language=locale()
        )
    except Refused as refused:
        await _refused(query, session, places, place, day, now, refused)
        return
    await state.clear()
    await query.answer(_("You are on the waitlist."))
    text = _(
        "⏳ <b>You are on the waitlist</b> (number {position} in line)\n\n{slot}\n\n"
        "If a desk frees up, I will offer it to you here. The offer is held for you for "
        "{window}, or until the time starts if that is sooner."
    ).format(
        position=position,
        slot=slot_lines(place, day, period),
        window=format_timedelta(place.rules.offer_window, threshold=2, locale=locale()),
    )
    await edit_or_send(query, text, kb.my_bookings_keyboard())


async def explain_closed(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    parsed = _parse(callback_data, places)
    if parsed is None:
        await refuse_stale(query)
        return
    place, day, _period = parsed
    try:
        await desks.check_bookable(session, place, day, Period.AFTERNOON, wall_clock(), locale())
        await query.answer()  # reopened since the calendar was drawn
        await _day(query, session, places, place, day, wall_clock())
    except Refused as refused:
        text = refusal_text(refused)
        if refused.reason is Reason.CLOSED and refused.closure is not None:
            text = closure_text(refused.closure)
        elif refused.reason is Reason.STARTED:
            text = _("Nothing can be booked for the rest of this day.")
        await query.answer(f"{day_long(day)}: {text}", show_alert=True)


async def noop(query: CallbackQuery) -> None:
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(show_places, MenuCB.filter(F.action == MenuAction.DESK))
    cb.register(show_places, DeskCB.filter(F.action == DeskAction.PLACES))
    cb.register(show_calendar, DeskCB.filter(F.action == DeskAction.CALENDAR))
    cb.register(show_day, DeskCB.filter(F.action == DeskAction.DAY))
    cb.register(show_zones, DeskCB.filter(F.action == DeskAction.PERIOD))
    cb.register(show_desks, DeskCB.filter(F.action == DeskAction.ZONE))
    cb.register(show_summary, DeskCB.filter(F.action == DeskAction.SUMMARY))
    cb.register(confirm, DeskCB.filter(F.action == DeskAction.CONFIRM))
    cb.register(join_waitlist, DeskCB.filter(F.action == DeskAction.WAIT))
    cb.register(explain_closed, DeskCB.filter(F.action == DeskAction.CLOSED))
    cb.register(noop, DeskCB.filter(F.action == DeskAction.NOOP))
    return router
