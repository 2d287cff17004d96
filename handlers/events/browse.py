"""Events for entrepreneurs: the list (kind and language filters, pages), the card, Register
(a seat, or a place in line when full), Unregister or leave the line (asked first), and Add to
calendar."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.events import notices, screens
from handlers.events.callbacks import EventAction, EventCB
from handlers.events.ics import event_file
from handlers.events.texts import refusal_text, title
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send, refuse_stale
from storage.base import WallClock
from storage.desks.places import Places
from storage.events import listing, seats
from storage.events.tables import HOLDING, Event, EventStatus, Reason, Refused, Seat
from storage.users import Person

LANGS = ("", "en", "ru", "fi")


async def open_events(
    query: CallbackQuery, session: AsyncSession, state: FSMContext, wall_clock: WallClock
) -> None:
    await state.clear()
    await query.answer()
    await edit_or_send(
        query, *await screens.list_screen(session, wall_clock(), page=0, kind=0, lang="")
    )


async def show_list(
    query: CallbackQuery, callback_data: EventCB, session: AsyncSession, wall_clock: WallClock
) -> None:
    if callback_data.lang not in LANGS:
        await refuse_stale(query)
        return
    await query.answer()
    screen = await screens.list_screen(
        session, wall_clock(), page=callback_data.page, kind=callback_data.kind,
        lang=callback_data.lang,
    )  # fmt: skip
    await edit_or_send(query, *screen)


async def show_filter(query: CallbackQuery, callback_data: EventCB) -> None:
    if callback_data.lang not in LANGS:
        await refuse_stale(query)
        return
    await query.answer()
    build = (
        screens.kinds_screen if callback_data.action == EventAction.KINDS else screens.langs_screen
    )
    await edit_or_send(query, *build(callback_data.kind, callback_data.lang))


async def show_card(
    query: CallbackQuery,
    callback_data: EventCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    event = await session.get(Event, callback_data.id)
    if event is None or (event.status == EventStatus.DRAFT and not person.is_admin):
        await query.answer(refusal_text(Refused(Reason.NOT_FOUND)), show_alert=True)
        return
    await query.answer()
    await edit_or_send(query, *await screens.card(session, event, person.id, places, wall_clock()))


async def register(
    query: CallbackQuery,
    callback_data: EventCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        taken = await seats.register(session, callback_data.id, person.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        await _refresh(query, session, callback_data.id, person, places, now)
        return
    event = await session.get(Event, callback_data.id)
    assert event is not None  # registering found it
    if taken.seated:
        await notices.plan(session, taken.registration, event, now)
        toast = _("You are registered.")
    else:
        toast = _("The event is full: you are number {place} on the waitlist.").format(
            place=taken.place
        )
    await query.answer(toast, show_alert=not taken.seated)
    await edit_or_send(query, *await screens.card(session, event, person.id, places, now))


async def ask_leave(
    query: CallbackQuery, callback_data: EventCB, session: AsyncSession, person: Person
) -> None:
    event = await session.get(Event, callback_data.id)
    mine = await seats.own(session, callback_data.id, person.id)
    if event is None or mine is None or mine.status not in HOLDING:
        await query.answer(refusal_text(Refused(Reason.NOT_REGISTERED)), show_alert=True)
        return
    await query.answer()
    question = (
        _("Give up your seat at {title}? It goes to the next person in line.")
        if mine.status == Seat.REGISTERED
        else _("Leave the waitlist for {title}?")
    ).format(title=title(event))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("Yes"), EventCB(action=EventAction.LEAVE_YES, id=event.id)),
                button(_("No, keep it"), EventCB(action=EventAction.CARD, id=event.id)),
            ]
        ]
    )
    await edit_or_send(query, question, markup)


async def leave(
    query: CallbackQuery,
    callback_data: EventCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        mine, was_seat, freed = await seats.leave(session, callback_data.id, person.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        await _refresh(query, session, callback_data.id, person, places, now)
        return
    await notices.forget(session, [mine])
    await notices.seated(session, callback_data.id, freed.promoted, now)
    await query.answer(
        _("Your registration is cancelled.") if was_seat else _("You have left the waitlist.")
    )
    event = await session.get(Event, callback_data.id)
    assert event is not None
    await edit_or_send(query, *await screens.card(session, event, person.id, places, now))


async def send_ics(
    query: CallbackQuery,
    callback_data: EventCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    bot: Bot,
    wall_clock: WallClock,
) -> None:
    event = await session.get(Event, callback_data.id)
    mine = await seats.own(session, callback_data.id, person.id)
    status = mine.status if mine is not None else None
    if event is None or status not in (Seat.REGISTERED, Seat.CANCELLED):
        await query.answer(refusal_text(Refused(Reason.NOT_REGISTERED)), show_alert=True)
        return
    parts = await listing.parts(session, event.id)
    await query.answer()
    caption = (
        _("Open the file to remove the event from your calendar.")
        if event.status == EventStatus.CANCELLED
        else _("Open the file to add the event to your calendar.")
    )
    await bot.send_document(
        person.id, event_file(event, parts, places, wall_clock(), link=True), caption=caption
    )


async def _refresh(
    query: CallbackQuery,
    session: AsyncSession,
    event_id: int,
    person: Person,
    places: Places,
    now: datetime,
) -> None:
    event = await session.get(Event, event_id)
    if event is not None:
        await edit_or_send(query, *await screens.card(session, event, person.id, places, now))


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(open_events, pressed(MenuCB, MenuAction.EVENTS))
    cb.register(show_list, pressed(EventCB, EventAction.LIST))
    cb.register(show_filter, pressed(EventCB, EventAction.KINDS, EventAction.LANGS))
    cb.register(show_card, pressed(EventCB, EventAction.CARD))
    cb.register(register, pressed(EventCB, EventAction.REGISTER))
    cb.register(ask_leave, pressed(EventCB, EventAction.LEAVE))
    cb.register(leave, pressed(EventCB, EventAction.LEAVE_YES))
    cb.register(send_ics, pressed(EventCB, EventAction.ICS))
    return router
