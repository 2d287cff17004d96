"""The coach's side of a request: accept, decline (a preset or a typed reason), propose another
time, answer a change of time, cancel a confirmed session, add it to the calendar.

The role comes first (only an active coach), then ownership (only this request's coach),
then the state (a request answered, withdrawn or expired meanwhile gets how it stands now,
and the pressed message is redrawn so its buttons match)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import notices, screens
from handlers.coaching.callbacks import AnswerAction, AnswerCB
from handlers.coaching.ics import session_file
from handlers.coaching.screens import moment_of
from handlers.coaching.texts import decline_preset, refusal_text, zone_of
from handlers.ui.filters import has_text, pressed
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send
from storage import coaching
from storage.base import WallClock, clean_text
from storage.coaching.sessions import MAX_REASON
from storage.coaching.tables import Coach, CoachingSession, Reason, Refused
from storage.desks.places import Places
from storage.users import Person


class CoachAnswer(StatesGroup):
    reason = State()  # writing why a request is declined or a session cancelled


async def _show(
    query: CallbackQuery,
    session: AsyncSession,
    booked: CoachingSession,
    coach: Coach,
    places: Places,
    now: datetime,
) -> None:
    text, markup = await screens.for_coach(session, booked, coach, places, now)
    await edit_or_send(query, text, markup)


async def _refused(
    query: CallbackQuery,
    session: AsyncSession,
    refused: Refused,
    session_id: int,
    person: Person,
    places: Places,
    now: datetime,
) -> None:
    """The rule the press broke; where it is the coach's own request that moved on, the
    pressed message is redrawn as it stands."""
    await query.answer(refusal_text(refused), show_alert=True)
    if refused.reason in (Reason.ANSWERED, Reason.TAKEN, Reason.NO_SLOT):
        try:
            coach, booked = await coaching.coach_request(session, session_id, person.id)
        except Refused:
            return
        await _show(query, session, booked, coach, places, now)


async def _request_of(
    query: CallbackQuery, session: AsyncSession, session_id: int, person: Person
) -> tuple[Coach, CoachingSession] | None:
    """The request, if the presser is its coach (role first); else the rule, as an alert."""
    try:
        return await coaching.coach_request(session, session_id, person.id)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return None


async def view(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if (found := await _request_of(query, session, callback_data.id, person)) is None:
        return
    coach, booked = found
    await query.answer()
    await _show(query, session, booked, coach, places, wall_clock())


async def accept(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        booked = await coaching.accept(session, callback_data.id, person.id, now)
    except Refused as refused:
        await _refused(query, session, refused, callback_data.id, person, places, now)
        return
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    await notices.plan(session, booked, coach, now)
    notices.tell_user(session, booked, "confirmed", now)
    await query.answer(_("Accepted: the entrepreneur is told."))
    await _show(query, session, booked, coach, places, now)


def _reasons(
    session_id: int, preset: AnswerAction, back: AnswerAction = AnswerAction.VIEW
) -> InlineKeyboardMarkup:
    rows = [
        [button(decline_preset(n), AnswerCB(action=preset, id=session_id, n=n))] for n in (1, 2, 3)
    ]
    rows.append(
        [
            button(
                _("✏️ Write a reason"),
                AnswerCB(
                    action=AnswerAction.TYPE,
                    id=session_id,
                    n=int(preset == AnswerAction.CANCEL_REASON),
                ),
            )
        ]
    )
    if preset == AnswerAction.REASON:
        rows.append(
            [button(_("Decline without a reason"), AnswerCB(action=preset, id=session_id, n=0))]
        )
    rows.append([button(_("« Back"), AnswerCB(action=back, id=session_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def ask_reason(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    """Decline or cancel: first, why (the entrepreneur reads it in the coach's words)."""
    now = wall_clock()
    if (found := await _request_of(query, session, callback_data.id, person)) is None:
        return
    coach, booked = found
    cancelling = callback_data.action == AnswerAction.CANCEL
    wanted = coaching.Status.CONFIRMED if cancelling else coaching.Status.PENDING
    if booked.status != wanted or booked.ends_at <= now:
        await _refused(query, session, Refused(Reason.ANSWERED), booked.id, person, places, now)
        return
    await query.answer()
    text, _markup = await screens.for_coach(session, booked, coach, places, now)
    question = (
        _("Why do you cancel the session? The entrepreneur will read this.")
        if cancelling
        else _("Why do you decline? The entrepreneur will read this.")
    )
    preset = AnswerAction.CANCEL_REASON if cancelling else AnswerAction.REASON
    await edit_or_send(query, f"{text}\n\n<b>{question}</b>", _reasons(booked.id, preset))


async def decline(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    reason = f"#{callback_data.n}" if 1 <= callback_data.n <= 3 else ""
    await _end(query, session, person, places, wall_clock(), callback_data.id, reason, cancel=False)


async def cancel(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if not 1 <= callback_data.n <= 3:
        await query.answer(refusal_text(Refused(Reason.ANSWERED)), show_alert=True)
        return
    await _end(
        query,
        session,
        person,
        places,
        wall_clock(),
        callback_data.id,
        f"#{callback_data.n}",
        cancel=True,
    )


async def _end(
    query: CallbackQuery | None,
    session: AsyncSession,
    person: Person,
    places: Places,
    now: datetime,
    session_id: int,
    reason: str,
    *,
    cancel: bool,
) -> CoachingSession | Refused:
    """Decline a request or cancel a session; the entrepreneur is told."""
    try:
        if cancel:
            booked, _was = await coaching.cancel_by_coach(
                session, session_id, person.id, reason, now
            )
        else:
            booked = await coaching.decline(session, session_id, person.id, reason, now)
    except Refused as refused:
        if query is not None:
            await _refused(query, session, refused, session_id, person, places, now)
        return refused
    await notices.forget(session, booked)
    notices.tell_user(session, booked, "cancelled" if cancel else "declined", now)
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    if query is not None:
        await query.answer(_("Done: the entrepreneur is told."))
        await _show(query, session, booked, coach, places, now)
    return booked


async def type_reason(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    if await _request_of(query, session, callback_data.id, person) is None:
        return
    await state.set_state(CoachAnswer.reason)
    await state.update_data(session=callback_data.id, cancel=bool(callback_data.n))
    await query.answer()
    if query.bot is not None:
        await query.bot.send_message(
            person.id,
            _("Write the reason in one message (up to {limit} characters), or /cancel.").format(
                limit=MAX_REASON
            ),
        )


async def reason_written(
    message: Message,
    session: AsyncSession,
    person: Person,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    reason = clean_text(message.text or "").strip()
    if not 1 <= len(reason) <= MAX_REASON:
        await message.answer(
            _(
                "Please keep the reason under {limit} characters (you wrote {n}), or /cancel."
            ).format(limit=MAX_REASON, n=len(reason))
        )
        return
    data = await state.get_data()
    await state.clear()
    now = wall_clock()
    result = await _end(
        None,
        session,
        person,
        places,
        now,
        int(data.get("session", 0)),
        reason,
        cancel=bool(data.get("cancel")),
    )
    if isinstance(result, Refused):
        await message.answer(refusal_text(result))
        return
    coach = await session.get(Coach, result.coach_id)
    assert coach is not None
    text, markup = await screens.for_coach(session, result, coach, places, now)
    await message.answer(_("Done: the entrepreneur is told.") + "\n\n" + text, reply_markup=markup)


async def reason_not_text(message: Message) -> None:
    await message.answer(_("Please write the reason as text, or /cancel."))


async def propose(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    """Another of the coach's free times for a pending request, a page at a time."""
    now = wall_clock()
    if (found := await _request_of(query, session, callback_data.id, person)) is None:
        return
    coach, booked = found
    if booked.status != coaching.Status.PENDING:
        await _refused(query, session, Refused(Reason.ANSWERED), booked.id, person, places, now)
        return
    await query.answer()
    any_free, markup = await screens.other_times(
        session, booked, coach, now, zone_of(coach), callback_data.n,
        lambda at: AnswerCB(action=AnswerAction.PROPOSE_AT, id=booked.id, at=at),
        lambda page: AnswerCB(action=AnswerAction.PROPOSE, id=booked.id, n=page),
        AnswerCB(action=AnswerAction.VIEW, id=booked.id),
    )  # fmt: skip
    text = (
        _(
            "Which time would you like to propose instead? The entrepreneur can take it or turn "
            "it down."
        )
        if any_free
        else _(
            "You have no other free times to propose. Add windows to your availability, or decline."
        )
    )
    await edit_or_send(query, text, markup)


async def propose_at(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    try:
        booked = await coaching.propose(
            session, callback_data.id, person.id, moment_of(callback_data.at), now
        )
    except Refused as refused:
        await _refused(query, session, refused, callback_data.id, person, places, now)
        return
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    await notices.forget(session, booked)
    notices.tell_user(session, booked, "proposed", now)
    await query.answer(_("Proposed: the entrepreneur is asked."))
    await _show(query, session, booked, coach, places, now)


async def answer_move(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    take = callback_data.action == AnswerAction.MOVE_YES
    try:
        booked, _asked = await coaching.answer_move(session, callback_data.id, person.id, take, now)
    except Refused as refused:
        await _refused(query, session, refused, callback_data.id, person, places, now)
        return
    coach = await session.get(Coach, booked.coach_id)
    assert coach is not None
    if take:
        await notices.plan(session, booked, coach, now)
    notices.tell_user(session, booked, "moved" if take else "kept", now)
    await query.answer(_("Done: the entrepreneur is told."))
    await _show(query, session, booked, coach, places, now)


async def send_ics(
    query: CallbackQuery,
    callback_data: AnswerCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
    bot: Bot,
) -> None:
    if (found := await _request_of(query, session, callback_data.id, person)) is None:
        return
    coach, booked = found
    await query.answer()
    await bot.send_document(
        person.id,
        session_file(booked, coach, places, wall_clock(), for_coach=True),
        caption=_("Open the file to add the session to your calendar."),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(view, pressed(AnswerCB, AnswerAction.VIEW))
    cb.register(accept, pressed(AnswerCB, AnswerAction.ACCEPT))
    cb.register(ask_reason, pressed(AnswerCB, AnswerAction.DECLINE, AnswerAction.CANCEL))
    cb.register(decline, pressed(AnswerCB, AnswerAction.REASON))
    cb.register(cancel, pressed(AnswerCB, AnswerAction.CANCEL_REASON))
    cb.register(type_reason, pressed(AnswerCB, AnswerAction.TYPE))
    cb.register(propose, pressed(AnswerCB, AnswerAction.PROPOSE))
    cb.register(propose_at, pressed(AnswerCB, AnswerAction.PROPOSE_AT))
    cb.register(answer_move, pressed(AnswerCB, AnswerAction.MOVE_YES, AnswerAction.MOVE_NO))
    cb.register(send_ics, pressed(AnswerCB, AnswerAction.ICS))
    router.message.register(reason_written, CoachAnswer.reason, has_text)
    router.message.register(reason_not_text, CoachAnswer.reason)
    return router
