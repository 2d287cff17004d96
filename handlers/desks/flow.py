"""Booking a desk, first steps: location → calendar → the periods of a day.

Every button carries the whole choice so far, and every step checks it again: a forged or
stale button gets the rule it breaks and the nearest screen that still makes sense. The
next steps (desk, summary, confirm, waitlist) are in `handlers.desks.choice`.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks import keyboards as kb
from handlers.desks.callbacks import DeskAction, DeskCB
from handlers.desks.texts import (
    clock,
    closure_text,
    day_long,
    html,
    locale,
    months,
    own_desks_text,
    refusal_text,
)
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import desks
from storage.base import WallClock
from storage.desks import Reason, Refused
from storage.desks.opening import Period, Place
from storage.desks.places import Places


class BookDesk(StatesGroup):
    """Inside the flow: typed text is not a question, and /cancel says it left the flow."""

    choosing = State()


def parse_choice(data: DeskCB, places: Places) -> tuple[Place, date, Period | None] | None:
    """The location, day and period a button names, or None if it names nothing real."""
    place = places.get(data.loc)
    try:
        day = date.fromordinal(data.day) if data.day else date.min
        period = Period(data.period) if data.period else None
    except ValueError:
        return None
    return (place, day, period) if place is not None else None


async def chosen_day(
    query: CallbackQuery, data: DeskCB, places: Places
) -> tuple[Place, date] | None:
    """The location and day a button names; one naming nothing real is refused as stale."""
    parsed = parse_choice(data, places)
    if parsed is None:
        await refuse_stale(query)
        return None
    return parsed[0], parsed[1]


def with_note(note: str, text: str) -> str:
    """A screen with the reason it was shown instead of the one asked for, above it."""
    return f"{escape(note)}\n\n{text}" if note else text


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
    days = await desks.availability(
        session, place, place.bookable_days(now), now, locale(), query.from_user.id
    )
    text = _(
        "<b>{place}</b>\n{months}\nChoose a day. ✕ closed · ● fully booked "
        "(you can join the waitlist) · ✓ you already have a desk"
    ).format(place=html(place.name(locale())), months=months(days[0].day, days[-1].day))
    markup = kb.calendar_keyboard(place, days, several_places=len(places.all) > 1)
    await edit_or_send(query, with_note(note, text), markup)


async def show_day(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    chosen = await chosen_day(query, callback_data, places)
    if chosen is None:
        return
    place, day = chosen
    await query.answer()
    await day_screen(query, session, places, place, day, wall_clock())


async def day_screen(
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
    [state] = await desks.availability(session, place, [day], now, locale(), query.from_user.id)
    opens, closes = place.opening(day) or place.times(day, Period.FULL)
    text = _("<b>{place}</b>\n{day}\nOpen {opens}–{closes} local time.").format(
        place=html(place.name(locale())),
        day=day_long(day),
        opens=clock(opens),
        closes=clock(closes),
    )
    if state.mine:  # what they hold already, on a line of its own, before any choice
        text += "\n" + own_desks_text(state, places) + ("" if state.all_mine else "\n")
    if not state.all_mine:
        text += ("" if state.mine else " ") + _("Choose a time:")
    await edit_or_send(query, with_note(note, text), kb.periods_keyboard(place, state))


async def explain_closed(
    query: CallbackQuery,
    callback_data: DeskCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    chosen = await chosen_day(query, callback_data, places)
    if chosen is None:
        return
    place, day = chosen
    try:
        await desks.check_bookable(session, place, day, Period.AFTERNOON, wall_clock(), locale())
        await query.answer()  # reopened since the calendar was drawn
        await day_screen(query, session, places, place, day, wall_clock())
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
    cb.register(show_places, pressed(MenuCB, MenuAction.DESK))
    cb.register(show_places, pressed(DeskCB, DeskAction.PLACES))
    cb.register(show_calendar, pressed(DeskCB, DeskAction.CALENDAR))
    cb.register(show_day, pressed(DeskCB, DeskAction.DAY))
    cb.register(explain_closed, pressed(DeskCB, DeskAction.CLOSED))
    cb.register(noop, pressed(DeskCB, DeskAction.NOOP))
    return router
