"""My bookings: upcoming desks with Cancel, Add to calendar and I'm here, offers, places in
line, coaching sessions and events (each opens its own screen)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching.screens import coaching_lines
from handlers.desks import keyboards as kb
from handlers.desks import notices
from handlers.desks.callbacks import BookingAction, BookingCB
from handlers.desks.ics import booking_file
from handlers.desks.texts import (
    booking_lines,
    check_in_line,
    day_short,
    desk_label,
    html,
    local_clock,
    locale,
    period_name,
    period_times,
    refusal_text,
)
from handlers.events import screens as event_screens
from handlers.events.callbacks import EventAction, EventCB
from handlers.events.texts import plain_title
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.screens import edit_or_send
from storage import coaching, desks
from storage.base import WallClock
from storage.desks import DeskBooking, Reason, Refused, Status, checkin, waitlist
from storage.desks.opening import Period, Place
from storage.desks.places import Places
from storage.events import listing as event_listing
from storage.events import seats as event_seats
from storage.events.tables import Seat
from storage.users import Person

MAX_LISTED = 10


async def show_bookings(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
    state: FSMContext,
) -> None:
    await state.clear()  # the list is not a flow: leaving the booking flow for it ends it
    await query.answer()
    await _list(query, session, person, places, wall_clock())


async def _list(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    places: Places,
    now: datetime,
) -> None:
    bookings = await desks.upcoming(session, person.id, now)
    since = min((place.today(now) for place in places.all), default=now.date())
    entries = [
        (entry, place)
        for entry in await waitlist.in_line(session, person.id, since)
        if (place := places.get(entry.location_id)) is not None
        and not place.started(entry.day, Period(entry.period), now)
    ]
    sessions = await coaching.upcoming(session, person.id, now)
    registrations = await event_listing.mine(session, person.id, now)
    lines = [_("<b>My bookings</b>")]
    rows: list[list[InlineKeyboardButton]] = []
    if not bookings and not entries and not sessions and not registrations:
        lines.append(_("You have no upcoming bookings."))
    for number, booking in enumerate(bookings[:MAX_LISTED], 1):
        place = places.get(booking.location_id)
        if place is None:
            continue
        period = Period(booking.period)
        line = _("{n}. {day} · {period} {times}\n    {place}, {desk}").format(
            n=number,
            day=day_short(booking.day),
            period=period_name(period),
            times=period_times(place, booking.day, period),
            place=html(place.name(locale())),
            desk=html(desk_label(place, place.desk(booking.desk_id), with_features=False)),
        )
        if booking.status == Status.HELD and booking.hold_expires_at is not None:
            line += "\n    " + _("🎉 Offered to you until {time}").format(
                time=local_clock(place, booking.hold_expires_at)
            )
            rows.append(
                [
                    kb.button(
                        _("✅ Take #{n}").format(n=number),
                        BookingCB(action=BookingAction.ACCEPT, id=booking.id),
                    ),
                    kb.button(
                        _("No, thanks #{n}").format(n=number),
                        BookingCB(action=BookingAction.DECLINE, id=booking.id),
                    ),
                ]
            )
        else:
            if booking.checked_in_at is not None:
                line += "\n    " + _("✅ Checked in")
            elif checkin.may_check_in(places, booking, now):
                here = BookingCB(action=BookingAction.CHECK_IN, id=booking.id)
                rows.append([kb.button(_("📍 I'm here #{n}").format(n=number), here)])
            rows.append(
                [
                    kb.button(
                        _("📅 Calendar #{n}").format(n=number),
                        BookingCB(action=BookingAction.ICS, id=booking.id),
                    ),
                    kb.button(
                        _("✖ Cancel #{n}").format(n=number),
                        BookingCB(action=BookingAction.CANCEL, id=booking.id),
                    ),
                ]
            )
        lines.append(line)
    if len(bookings) > MAX_LISTED:
        lines.append(_("…and {count} more.").format(count=len(bookings) - MAX_LISTED))
    if entries:
        lines.append("\n" + _("<b>Waitlist</b>"))
    for entry, place in entries[:MAX_LISTED]:
        period = Period(entry.period)
        lines.append(
            _("• {day} · {period} · {place}: number {position} in line").format(
                day=day_short(entry.day),
                period=period_name(period),
                place=html(place.name(locale())),
                position=await waitlist.position(session, entry),
            )
        )
        rows.append(
            [
                kb.button(
                    _("Leave the waitlist: {day}").format(day=day_short(entry.day)),
                    BookingCB(action=BookingAction.LEAVE, id=entry.id),
                )
            ]
        )
    if sessions:
        lines.append("\n" + _("<b>Coaching sessions</b>"))
        lines += await coaching_lines(session, places, sessions, rows)
    if registrations:
        lines.append("\n" + _("<b>Events</b>"))
    for registration, event in registrations[:MAX_LISTED]:
        line = event_screens.short_line(event, registration.status)
        if registration.status == Seat.WAITING:
            place = await event_seats.place_in_line(session, registration)
            line += " · " + _("number {position} in line").format(position=place)
        lines.append(line)
        rows.append(
            [
                kb.button(
                    plain_title(event)[: event_screens.LABEL],
                    EventCB(action=EventAction.CARD, id=event.id),
                )
            ]
        )
    rows.append([kb.button(_("Book a desk"), MenuCB(action=MenuAction.DESK)), kb.home_button()])
    text = "\n".join(lines)
    await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def _own(
    query: CallbackQuery, session: AsyncSession, person: Person, places: Places, booking_id: int
) -> tuple[DeskBooking, Place] | None:
    """The person's own booking and its location; anything else gets a clear refusal."""
    booking = await desks.own_booking(session, booking_id, person.id)
    place = places.get(booking.location_id) if booking is not None else None
    if booking is None or place is None:
        await query.answer(refusal_text(Refused(Reason.NOT_FOUND)), show_alert=True)
        return None
    return booking, place


async def ask_cancel(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    owned = await _own(query, session, person, places, callback_data.id)
    if owned is None:
        return
    booking, place = owned
    if booking.status != Status.ACTIVE or booking.starts_at <= wall_clock():
        reason = Reason.NOT_FOUND if booking.status != Status.ACTIVE else Reason.TOO_LATE
        await query.answer(refusal_text(Refused(reason)), show_alert=True)
        return
    await query.answer()
    text = _("Cancel this booking?\n\n{details}").format(details=booking_lines(place, booking))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                kb.button(
                    _("Yes, cancel it"), BookingCB(action=BookingAction.CANCEL_YES, id=booking.id)
                ),
                kb.button(_("No, keep it"), BookingCB(action=BookingAction.LIST)),
            ]
        ]
    )
    await edit_or_send(query, text, markup)


async def cancel(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        booking = await desks.cancel(session, callback_data.id, person.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    place = places.get(booking.location_id)
    assert place is not None
    await notices.forget(session, [booking])
    await _pass_on(session, places, booking, now)
    await query.answer(_("Cancelled."))
    text = _("Your booking is cancelled.\n\n{details}").format(
        details=booking_lines(place, booking)
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                kb.button(
                    _("📅 Remove from my calendar"),
                    BookingCB(action=BookingAction.ICS, id=booking.id),
                )
            ],
            [kb.button(_("My bookings"), BookingCB(action=BookingAction.LIST)), kb.home_button()],
        ]
    )
    await edit_or_send(query, text, markup)


async def send_ics(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
    bot: Bot,
) -> None:
    owned = await _own(query, session, person, places, callback_data.id)
    if owned is None:
        return
    booking, place = owned
    await query.answer()
    await bot.send_document(
        person.id,
        booking_file(place, booking, wall_clock()),
        caption=_("Open the file to add the booking to your calendar."),
    )


async def accept_offer(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    owned = await _own(query, session, person, places, callback_data.id)
    if owned is None:
        return
    held, place = owned
    now = wall_clock()
    try:
        booking = await waitlist.accept(
            session, place, held.id, person.id, now, exempt=person.is_admin
        )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await notices.plan(session, place, booking, now)
    await query.answer(_("Booked!"))
    text = _("✅ <b>The desk is yours!</b>\n\n{details}").format(
        details=booking_lines(place, booking)
    ) + check_in_line(place, booking)
    await edit_or_send(query, text, kb.booking_keyboard(booking.id))


async def decline_offer(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        booking = await waitlist.decline(session, callback_data.id, person.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await _pass_on(session, places, booking, now)
    await query.answer()
    await edit_or_send(
        query,
        _("All right, the desk goes to the next person in line."),
        kb.book_again_keyboard(),
    )


async def _pass_on(
    session: AsyncSession, places: Places, freed: DeskBooking, now: datetime
) -> None:
    """A desk freed up: hold it for the next people in line, who are told through the
    outbox in the same transaction."""
    notices.offer_desks(session, await waitlist.refill_after(session, places, [freed], now), now)


async def check_in(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    try:
        booking = await checkin.check_in(session, places, callback_data.id, person.id, wall_clock())
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    place = places.get(booking.location_id)
    assert place is not None
    await query.answer(_("Checked in."))
    text = _("✅ <b>You are checked in.</b> Have a good day!\n\n{details}").format(
        details=booking_lines(place, booking)
    )
    await edit_or_send(query, text, kb.my_bookings_keyboard())


async def leave_waitlist(
    query: CallbackQuery,
    callback_data: BookingCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        await waitlist.leave(session, callback_data.id, person.id, now)
    except Refused:
        await query.answer(_("You are not on that waitlist any more."), show_alert=True)
        return
    await query.answer(_("You have left the waitlist."))
    await _list(query, session, person, places, now)


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(show_bookings, pressed(MenuCB, MenuAction.BOOKINGS))
    cb.register(show_bookings, pressed(BookingCB, BookingAction.LIST))
    cb.register(ask_cancel, pressed(BookingCB, BookingAction.CANCEL))
    cb.register(cancel, pressed(BookingCB, BookingAction.CANCEL_YES))
    cb.register(send_ics, pressed(BookingCB, BookingAction.ICS))
    cb.register(accept_offer, pressed(BookingCB, BookingAction.ACCEPT))
    cb.register(decline_offer, pressed(BookingCB, BookingAction.DECLINE))
    cb.register(leave_waitlist, pressed(BookingCB, BookingAction.LEAVE))
    cb.register(check_in, pressed(BookingCB, BookingAction.CHECK_IN))
    return router
