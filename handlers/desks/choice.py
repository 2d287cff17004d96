"""Booking a desk, last steps: which desk, the summary, the booking itself, and the
waitlist when the period is full. Each step checks the whole choice again."""

from __future__ import annotations

from datetime import date, datetime

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from babel.dates import format_timedelta
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks import keyboards as kb
from handlers.desks import notices
from handlers.desks.callbacks import DeskAction, DeskCB
from handlers.desks.flow import day_screen, parse_choice
from handlers.desks.texts import (
    booking_lines,
    check_in_line,
    desk_label,
    format_locale,
    html,
    locale,
    refusal_text,
    slot_lines,
)
from handlers.ui.filters import pressed
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import desks
from storage.base import WallClock
from storage.desks import Reason, Refused, waitlist
from storage.desks.opening import Desk, Period, Place
from storage.desks.places import Places
from storage.users import Person


async def _chosen_period(
    query: CallbackQuery, data: DeskCB, places: Places
) -> tuple[Place, date, Period] | None:
    """The location, day and period a button names; one naming less is refused as stale."""
    parsed = parse_choice(data, places)
    if parsed is not None and (period := parsed[2]) is not None:
        return parsed[0], parsed[1], period
    await refuse_stale(query)
    return None


async def _still_bookable(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    place: Place,
    day: date,
    period: Period,
    now: datetime,
) -> bool:
    """True if `period` of `day` can still be booked; else the day is shown with the reason."""
    try:
        await desks.check_bookable(session, place, day, period, now, locale())
    except Refused as refused:
        await day_screen(query, session, places, place, day, now, refusal_text(refused))
        return False
    return True


async def _free_desks_or_day(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    place: Place,
    day: date,
    period: Period,
    now: datetime,
    zone_id: int | None = None,
) -> list[Desk]:
    """The desks still free for the choice; none, and the day is shown with the reason."""
    if not await _still_bookable(query, session, places, place, day, period, now):
        return []
    free = await desks.free_desks(session, place, day, period, zone_id)
    if not free:
        taken = refusal_text(Refused(Reason.TAKEN))
        await day_screen(query, session, places, place, day, now, taken)
    return free


async def show_zones(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    chosen = await _chosen_period(query, callback_data, places)
    if chosen is None:
        return
    place, day, period = chosen
    now = wall_clock()
    await query.answer()
    free = await _free_desks_or_day(query, session, places, place, day, period, now)
    if not free:
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
    chosen = await _chosen_period(query, callback_data, places)
    if chosen is None:
        return
    place, day, period = chosen
    if (zone := place.zone(callback_data.zone)) is None:
        await refuse_stale(query)
        return
    now = wall_clock()
    await query.answer()
    free = await _free_desks_or_day(query, session, places, place, day, period, now, zone.id)
    if not free:
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
    chosen = await _chosen_period(query, callback_data, places)
    if chosen is None:
        return
    place, day, period = chosen
    desk = place.desk(callback_data.desk) if callback_data.desk else None
    zone = place.zone(callback_data.zone) if callback_data.zone else None
    if (callback_data.desk and desk is None) or (callback_data.zone and zone is None):
        await query.answer(refusal_text(Refused(Reason.NO_DESK)), show_alert=True)
        return
    now = wall_clock()
    await query.answer()
    if not await _still_bookable(query, session, places, place, day, period, now):
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
    chosen = await _chosen_period(query, callback_data, places)
    if chosen is None:
        return
    place, day, period = chosen
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
    await notices.plan(session, place, booking, now)
    await state.clear()
    await query.answer(_("Booked!"))
    text = _("✅ <b>Your desk is booked!</b>\n\n{details}").format(
        details=booking_lines(place, booking)
    ) + check_in_line(place, booking)
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
    await day_screen(query, session, places, place, day, now, text)


async def join_waitlist(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    person: Person,
    wall_clock: WallClock,
    state: FSMContext,
) -> None:
    chosen = await _chosen_period(query, callback_data, places)
    if chosen is None:
        return
    place, day, period = chosen
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
        window=format_timedelta(place.rules.offer_window, threshold=2, locale=format_locale()),
    )
    await edit_or_send(query, text, kb.my_bookings_keyboard())


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(show_zones, pressed(DeskCB, DeskAction.PERIOD))
    cb.register(show_desks, pressed(DeskCB, DeskAction.ZONE))
    cb.register(show_summary, pressed(DeskCB, DeskAction.SUMMARY))
    cb.register(confirm, pressed(DeskCB, DeskAction.CONFIRM))
    cb.register(join_waitlist, pressed(DeskCB, DeskAction.WAIT))
    return router
