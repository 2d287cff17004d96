"""Staff closing a date at a location (everyone booked or waiting is told), and reopening it."""

from __future__ import annotations

from datetime import date
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks import notices
from handlers.desks.callbacks import StaffAction, StaffCB
from handlers.desks.keyboards import button
from handlers.desks.staff import parse_day, staff_only
from handlers.desks.texts import (
    day_long,
    html,
    locale,
    refusal_text,
)
from handlers.ui.filters import pressed, staff_router
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import audit, desks
from storage.base import WallClock
from storage.desks import Refused, Status, closures, waitlist
from storage.desks import places as places_store
from storage.desks.opening import Place
from storage.desks.places import Places
from storage.users import Person


def _places_keyboard(places: Places, action: StaffAction, day: date) -> InlineKeyboardMarkup:
    rows = [
        [button(place.name(locale()), StaffCB(action=action, loc=place.id, day=day.toordinal()))]
        for place in places.all
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def close_command(
    message: Message,
    command: CommandObject,
    person: Person,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if (refusal := staff_only(person)) is not None:
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
    now = wall_clock()
    if all(day < place.today(now) for place in places.all):
        await message.answer(
            _("This day is already over: {day}. Only today or a later day can be closed.").format(
                day=day_long(day)
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


async def _forget_reason(state: FSMContext, day: date) -> None:
    """The closure of that date was done or cancelled: its reason is no longer waiting."""
    reasons = dict((await state.get_data()).get("close_reasons") or {})
    reasons.pop(str(day.toordinal()), None)
    await state.update_data(close_reasons=reasons)


async def _staff_target(
    query: CallbackQuery, callback_data: StaffCB, person: Person, places: Places
) -> tuple[Place, date] | None:
    """The location and date a staff button names. The role is checked before anything the
    button says is looked at; anyone else, and a forged button, get the stale-button answer
    (nothing tells a non-admin that staff buttons exist)."""
    if not person.is_admin:
        await refuse_stale(query)
        return None
    place = places.get(callback_data.loc)
    if place is None or not callback_data.day:
        await refuse_stale(query)
        return None
    return place, date.fromordinal(callback_data.day)


async def ask_close(
    query: CallbackQuery,
    callback_data: StaffCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    state: FSMContext,
) -> None:
    target = await _staff_target(query, callback_data, person, places)
    if target is None:
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
    keep = StaffCB(action=StaffAction.CLOSE_NO, loc=place.id, day=day.toordinal())
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[button(_("Close and notify"), confirm), button(_("✖ Cancel"), keep)]]
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
) -> None:
    target = await _staff_target(query, callback_data, person, places)
    if target is None:
        return
    place, day = target
    reason = await _close_reason(state, day)
    try:
        now = wall_clock()
        closed = await closures.close_day(session, place, day, reason, person.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    # The notices join the closure's transaction: both are committed before anyone is told.
    told = await notices.day_closed(session, place, closed, escape(reason), now)
    audit.record(
        session,
        person.id,
        audit.Action.DAY_CLOSED,
        target=f"{place.key} {day}",
        details={"cancelled": len(closed.cancelled)},
    )
    await query.answer()
    await _forget_reason(state, day)
    text = _(
        "{place} is closed on {day}. Bookings cancelled: {cancelled}; people to be told: {told}."
    ).format(
        place=html(place.name(locale())),
        day=day_long(day),
        cancelled=len(closed.cancelled),
        told=told,
    )
    await edit_or_send(query, text)  # the closure and its messages are committed first


async def keep_open(
    query: CallbackQuery,
    callback_data: StaffCB,
    person: Person,
    places: Places,
    state: FSMContext,
) -> None:
    """Cancel on the confirm screen: nothing changes, and the reason typed is forgotten."""
    target = await _staff_target(query, callback_data, person, places)
    if target is None:
        return
    place, day = target
    await _forget_reason(state, day)
    await query.answer()
    text = _("Nothing was closed: {place} stays open on {day}.").format(
        place=html(place.name(locale())), day=day_long(day)
    )
    await edit_or_send(query, text)


async def reopen_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    places: Places,
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    day = parse_day(command.args or "")
    if day is None:
        await message.answer(_("Please give the date: /reopen_day 2026-12-01"))
        return
    closed = await places_store.admin_closed_on(session, day)
    if not closed:
        await message.answer(
            _("Nothing to reopen: the staff closed no location on that day ({day}).").format(
                day=day_long(day)
            )
        )
        return
    shown = Places(tuple(place for place in places.all if place.id in closed))
    await message.answer(
        _("Which location reopens on {day}?").format(day=day_long(day)),
        reply_markup=_places_keyboard(shown, StaffAction.REOPEN, day),
    )


async def reopen(
    query: CallbackQuery,
    callback_data: StaffCB,
    session: AsyncSession,
    person: Person,
    places: Places,
) -> None:
    target = await _staff_target(query, callback_data, person, places)
    if target is None:
        return
    place, day = target
    await query.answer()
    if await places_store.reopen(session, place, day):
        audit.record(session, person.id, audit.Action.DAY_REOPENED, target=f"{place.key} {day}")
        text = _("{place} is open again on {day}. Cancelled bookings stay cancelled.")
    else:
        text = _("{place} was not closed by the staff on {day}; nothing to reopen.")
    await edit_or_send(query, text.format(place=html(place.name(locale())), day=day_long(day)))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(close_command, Command("close_day"))
    router.message.register(reopen_command, Command("reopen_day"))
    router.callback_query.register(ask_close, pressed(StaffCB, StaffAction.CLOSE))
    router.callback_query.register(close_day, pressed(StaffCB, StaffAction.CLOSE_YES))
    router.callback_query.register(keep_open, pressed(StaffCB, StaffAction.CLOSE_NO))
    router.callback_query.register(reopen, pressed(StaffCB, StaffAction.REOPEN))
    return router
