"""The entrepreneur's side of a session: see it, withdraw or cancel it (until the cut-off;
later, a message to the coach instead), take or turn down a time the coach proposed, ask to
move it, add it to the calendar. Only the session's entrepreneur may do any of it."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import notices, screens
from handlers.coaching.callbacks import SessionAction, SessionCB
from handlers.coaching.ics import session_file
from handlers.coaching.screens import moment_of
from handlers.coaching.texts import refusal_text, viewer_zone
from handlers.ui.filters import has_text, pressed
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send
from storage import coaching
from storage.base import WallClock, clean_text
from storage.coaching.tables import Coach, CoachingSession, Reason, Refused, Status
from storage.desks.places import Places
from storage.users import Person

MAX_NOTE = 500


class SessionNote(StatesGroup):
    writing = State()  # a message to the coach, when it is too late to cancel


async def _own(
    query: CallbackQuery, session: AsyncSession, session_id: int, person: Person
) -> tuple[CoachingSession, Coach] | None:
    try:
        booked = await coaching.own_session(session, session_id, person.id)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return None
    coach = await session.get(Coach, booked.coach_id)
    if coach is None:
        await query.answer(refusal_text(Refused(Reason.NOT_FOUND)), show_alert=True)
        return None
    return booked, coach


async def _show(
    query: CallbackQuery,
    session: AsyncSession,
    booked: CoachingSession,
    coach: Coach,
    places: Places,
    now: datetime,
    note: str = "",
) -> None:
    text, markup = await screens.for_user(session, booked, coach, places, now)
    await edit_or_send(query, f"{note}\n\n{text}" if note else text, markup)


async def view(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if (owned := await _own(query, session, callback_data.id, person)) is None:
        return
    await query.answer()
    await _show(query, session, *owned, places, wall_clock())


async def ask_cancel(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if (owned := await _own(query, session, callback_data.id, person)) is None:
        return
    booked, coach = owned
    now = wall_clock()
    reason = coaching.may_cancel(booked, now)
    if reason is Reason.TOO_LATE and booked.status == Status.CONFIRMED and booked.starts_at > now:
        await query.answer()
        rows = [
            [
                button(
                    _("✉️ Write to the coach"), SessionCB(action=SessionAction.MESSAGE, id=booked.id)
                )
            ],
            [button(_("« Back"), SessionCB(action=SessionAction.VIEW, id=booked.id))],
        ]
        await edit_or_send(
            query, refusal_text(Refused(reason)), InlineKeyboardMarkup(inline_keyboard=rows)
        )
        return
    if reason is not None:
        await query.answer(refusal_text(Refused(reason)), show_alert=True)
        await _show(query, session, booked, coach, places, now)
        return
    await query.answer()
    text, _markup = await screens.for_user(session, booked, coach, places, now)
    question = (
        _("Withdraw this request?")
        if booked.status != Status.CONFIRMED
        else _("Cancel this session? The coach will be told.")
    )
    rows = [[
        button(_("Yes"), SessionCB(action=SessionAction.CANCEL_YES, id=booked.id)),
        button(_("No, keep it"), SessionCB(action=SessionAction.VIEW, id=booked.id)),
    ]]  # fmt: skip
    await edit_or_send(
        query, f"{text}\n\n<b>{question}</b>", InlineKeyboardMarkup(inline_keyboard=rows)
    )


async def cancel(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        booked, was = await coaching.cancel_by_user(session, callback_data.id, person.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await notices.forget(session, booked)
    notices.tell_coach(
        session, booked, "cancelled" if was == Status.CONFIRMED else "withdrawn", now
    )
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    await query.answer(_("Cancelled: the coach is told."))
    await _show(query, session, booked, coach, places, now)


async def answer_proposal(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    take = callback_data.action == SessionAction.TAKE
    try:
        booked = await coaching.answer_proposal(session, callback_data.id, person.id, take, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        if (owned := await _own_quietly(session, callback_data.id, person)) is not None:
            await _show(query, session, *owned, places, now)
        return
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    if take:
        await notices.plan(session, booked, coach, now)
    notices.tell_coach(session, booked, "taken" if take else "refused", now)
    await query.answer(_("Confirmed.") if take else _("All right: the coach is told."))
    await _show(query, session, booked, coach, places, now)


async def _own_quietly(
    session: AsyncSession, session_id: int, person: Person
) -> tuple[CoachingSession, Coach] | None:
    try:
        booked = await coaching.own_session(session, session_id, person.id)
    except Refused:
        return None
    coach = await session.get(Coach, booked.coach_id)
    return (booked, coach) if coach is not None else None


async def send_ics(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
    bot: Bot,
) -> None:
    if (owned := await _own(query, session, callback_data.id, person)) is None:
        return
    booked, coach = owned
    await query.answer()
    await bot.send_document(
        person.id,
        session_file(booked, coach, places, wall_clock(), for_coach=False),
        caption=_("Open the file to add the session to your calendar."),
    )


async def move(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    """The coach's other free times, to ask for one instead (the session keeps its time until
    the coach accepts)."""
    if (owned := await _own(query, session, callback_data.id, person)) is None:
        return
    booked, coach = owned
    now = wall_clock()
    if booked.status != Status.CONFIRMED or booked.move_starts_at is not None or not coach.active:
        reason = Reason.MOVING if booked.move_starts_at is not None else Reason.ANSWERED
        await query.answer(refusal_text(Refused(reason)), show_alert=True)
        await _show(query, session, booked, coach, places, now)
        return
    await query.answer()
    any_free, markup = await screens.other_times(
        session, booked, coach, now, await viewer_zone(session, person.id, places, coach),
        callback_data.n,
        lambda at: SessionCB(action=SessionAction.MOVE_AT, id=booked.id, at=at),
        lambda page: SessionCB(action=SessionAction.MOVE, id=booked.id, n=page),
        SessionCB(action=SessionAction.VIEW, id=booked.id),
    )  # fmt: skip
    text = (
        _(
            "Which time would suit you better? Your session keeps its current time until the "
            "coach accepts the new one."
        )
        if any_free
        else _("The coach has no other free times at the moment.")
    )
    await edit_or_send(query, text, markup)


async def move_at(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        booked = await coaching.request_move(
            session, callback_data.id, person.id, moment_of(callback_data.at), now
        )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    notices.tell_coach(session, booked, "move", now)
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    await query.answer(_("Asked: the coach will answer."))
    await _show(query, session, booked, coach, places, now)


async def write_note(
    query: CallbackQuery,
    callback_data: SessionCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    if (owned := await _own(query, session, callback_data.id, person)) is None:
        return
    await state.set_state(SessionNote.writing)
    await state.update_data(session=owned[0].id)
    await query.answer()
    if query.bot is not None:
        await query.bot.send_message(
            person.id,
            _("Write your message to the coach (up to {limit} characters), or /cancel.").format(
                limit=MAX_NOTE
            ),
        )


async def note_written(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    text = clean_text(message.text or "", multiline=True).strip()
    if not 1 <= len(text) <= MAX_NOTE:
        await message.answer(
            _(
                "Please keep the message under {limit} characters (you wrote {n}), or /cancel."
            ).format(limit=MAX_NOTE, n=len(text))
        )
        return
    data = await state.get_data()
    await state.clear()
    try:
        booked = await coaching.own_session(session, int(data.get("session", 0)), person.id)
    except Refused as refused:
        await message.answer(refusal_text(refused))
        return
    notices.note_to_coach(session, booked, text, wall_clock())
    await message.answer(_("Sent to the coach."))


async def note_not_text(message: Message) -> None:
    await message.answer(_("Please write your message as text, or /cancel."))


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(view, pressed(SessionCB, SessionAction.VIEW))
    cb.register(ask_cancel, pressed(SessionCB, SessionAction.CANCEL))
    cb.register(cancel, pressed(SessionCB, SessionAction.CANCEL_YES))
    cb.register(answer_proposal, pressed(SessionCB, SessionAction.TAKE, SessionAction.REFUSE))
    cb.register(send_ics, pressed(SessionCB, SessionAction.ICS))
    cb.register(move, pressed(SessionCB, SessionAction.MOVE))
    cb.register(move_at, pressed(SessionCB, SessionAction.MOVE_AT))
    cb.register(write_note, pressed(SessionCB, SessionAction.MESSAGE))
    router.message.register(note_written, SessionNote.writing, has_text)
    router.message.register(note_not_text, SessionNote.writing)
    return router
