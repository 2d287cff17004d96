"""After a session: "How was it?" to the entrepreneur (1–5 and an optional comment), a private
note and a no-show mark for the coach, and `/coaching_report FROM TO` for the staff: sessions
and ratings per coach (never the coach's notes), with a CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.spreadsheet import safe_cell
from handlers.coaching.callbacks import AfterAction, AfterCB
from handlers.coaching.screens import person_name
from handlers.coaching.texts import html, minutes_of, refusal_text, when, zone_of
from handlers.desks.staff import date_range, staff_only
from handlers.ui.filters import has_text, pressed, staff_router
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send
from scheduler.delivery import Rendered, Renderer
from storage import audit, coaching
from storage.base import WallClock
from storage.coaching import afterwards
from storage.coaching.sessions import coach_request, own_session
from storage.coaching.tables import Coach, CoachingSession, Reason, Refused, Status
from storage.outbox import OutboxMessage
from storage.users import Person, User, users_by_id

ASK_RATING, WRAP_UP = "coach.rate", "coach.wrap_up"
STARS = "★"


class AfterSession(StatesGroup):
    comment = State()  # the entrepreneur's comment on a rated session
    note = State()  # the coach's private note


def stars_keyboard(session_id: int) -> InlineKeyboardMarkup:
    row = [
        button(str(n), AfterCB(action=AfterAction.STARS, id=session_id, n=n)) for n in range(1, 6)
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def wrap_up_keyboard(booked: CoachingSession) -> InlineKeyboardMarkup:
    mark = _("✅ They came after all") if booked.no_show else _("🚫 They did not come")
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("📝 Private note"), AfterCB(action=AfterAction.NOTE, id=booked.id))],
            [button(mark, AfterCB(action=AfterAction.NO_SHOW, id=booked.id))],
        ]
    )


def renderers() -> dict[str, Renderer]:
    async def found(
        session: AsyncSession, row: OutboxMessage
    ) -> tuple[CoachingSession, Coach] | None:
        pair = await coaching.with_coach(session, row.ref)
        return pair if pair is not None and pair[0].status == Status.CONFIRMED else None

    async def ask_rating(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None or pair[0].rating is not None:
            return None
        booked, coach = pair
        text = _(
            "How was your session with {coach}? Tap 1 (poor) to 5 (excellent); only the "
            "programme staff see the ratings."
        ).format(coach=html(coach.name))
        return [Rendered(text, stars_keyboard(booked.id))]

    async def wrap_up(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        booked, coach = pair
        user = await session.get(User, booked.user_id)
        text = _(
            "Your session with {who} ({when}) has ended. You can write a private note (only you "
            "see it) or mark that they did not come."
        ).format(
            who=html(person_name(user)),
            when=when(booked.starts_at, zone_of(coach), minutes_of(booked)),
        )
        return [Rendered(text, wrap_up_keyboard(booked))]

    return {ASK_RATING: ask_rating, WRAP_UP: wrap_up}


async def rate(
    query: CallbackQuery,
    callback_data: AfterCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    try:
        booked = await afterwards.rate(
            session, callback_data.id, person.id, callback_data.n, wall_clock()
        )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer(_("Thank you!"))
    rows = [[button(_("💬 Add a comment"), AfterCB(action=AfterAction.COMMENT, id=booked.id))]]
    text = _("Thank you! You rated the session {stars}.").format(
        stars=STARS * booked.rating if booked.rating else ""
    )
    await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def ask_text(
    query: CallbackQuery,
    callback_data: AfterCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    """A comment (the entrepreneur, once rated) or a private note (the coach)."""
    try:
        if callback_data.action == AfterAction.NOTE:
            await coach_request(session, callback_data.id, person.id)
        else:
            booked = await own_session(session, callback_data.id, person.id)
            if booked.rating is None:
                raise Refused(Reason.ANSWERED)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    note = callback_data.action == AfterAction.NOTE
    await state.set_state(AfterSession.note if note else AfterSession.comment)
    await state.update_data(session=callback_data.id)
    await query.answer()
    prompt = (
        _(
            "Write your note (up to {limit} characters); only you will see it. /cancel stops."
        ).format(limit=afterwards.MAX_NOTE)
        if note
        else _("Write your comment (up to {limit} characters), or /cancel.").format(
            limit=afterwards.MAX_COMMENT
        )
    )
    await edit_or_send(query, prompt, None)


async def text_written(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    note = await state.get_state() == AfterSession.note.state
    data = await state.get_data()
    text = message.text or ""
    limit = afterwards.MAX_NOTE if note else afterwards.MAX_COMMENT
    if len(text) > limit:
        await message.answer(
            _("Please keep it under {limit} characters (you wrote {n}), or /cancel.").format(
                limit=limit, n=len(text)
            )
        )
        return
    await state.clear()
    try:
        if note:
            await afterwards.note(
                session, int(data.get("session", 0)), person.id, text, wall_clock()
            )
        else:
            await afterwards.comment(
                session, int(data.get("session", 0)), person.id, text, wall_clock()
            )
    except Refused as refused:
        await message.answer(refusal_text(refused))
        return
    await message.answer(_("Saved."))


async def text_not_text(message: Message) -> None:
    await message.answer(_("Please write it as text, or /cancel."))


async def no_show(
    query: CallbackQuery,
    callback_data: AfterCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    try:
        booked = await afterwards.mark_no_show(session, callback_data.id, person.id, wall_clock())
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    await query.answer(
        _("Marked: they did not come.") if booked.no_show else _("Marked: they came.")
    )
    message = query.message
    if isinstance(message, Message) and message.chat.id == person.id and message.text:
        await message.edit_reply_markup(reply_markup=wrap_up_keyboard(booked))


async def report(
    message: Message, command: CommandObject, session: AsyncSession, person: Person, bot: Bot
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    args = (command.args or "").split()
    as_csv = bool(args) and args[-1].lower() == "csv"
    span = date_range(" ".join(args[:-1] if as_csv else args), "/coaching_report")
    if isinstance(span, str):
        await message.answer(span)
        return
    first, last = span
    sessions = await afterwards.between(session, first, last)
    coaches = {c.user_id: c for c in await session.scalars(select(Coach))}
    lines = [_("<b>Coaching from {first} to {last}</b>").format(first=first, last=last)]
    for row in afterwards.figures(sessions, coaches):
        average = f"{row.average:.1f}" if row.average is not None else "—"
        line = _(
            "• <b>{coach}</b>: {requested} requested, {confirmed} confirmed, {declined} "
            "declined, {expired} expired, {cancelled} cancelled, {no_show} no-shows; rating "
            "{average} ({ratings})"
        )
        lines.append(
            line.format(
                coach=html(row.name), requested=row.requested, confirmed=row.confirmed,
                declined=row.declined, expired=row.expired, cancelled=row.cancelled,
                no_show=row.no_show, average=average, ratings=row.ratings,
            )
        )  # fmt: skip
    if not sessions:
        lines.append(_("No sessions in those days."))
    elif not as_csv:
        lines.append(
            _("Add csv for the list of sessions: /coaching_report {first} {last} csv").format(
                first=first, last=last
            )
        )
    await message.answer("\n".join(lines))
    if as_csv and sessions:
        people = await users_by_id(session, {s.user_id for s in sessions})
        data = sessions_csv(sessions, coaches, people)
        audit.record(
            session,
            person.id,
            audit.Action.EXPORT,
            target=f"coaching sessions {first}..{last}",
            details={"rows": len(sessions)},
        )
        await bot.send_document(
            message.chat.id, BufferedInputFile(data, filename=f"coaching-{first}-{last}.csv")
        )


CSV_COLUMNS = (
    "session_id", "coach", "coach_id", "starts_local", "ends_local", "timezone", "mode", "status",
    "ended_by", "rating", "comment", "no_show", "user_id", "first_name", "username",
    "topic", "created_at_utc",
)  # fmt: skip


def sessions_csv(
    sessions: Sequence[CoachingSession], coaches: dict[int, Coach], people: dict[int, User]
) -> bytes:
    """UTF-8 with a byte-order mark; never the coach's private notes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in sessions:
        coach = coaches.get(s.coach_id)
        zone = zone_of(coach) if coach else None
        user = people.get(s.user_id)
        row = [
            s.id, coach.name if coach else "", s.coach_id,
            s.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            s.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), str(zone or ""), s.mode,
            s.status, s.ended_by or "", s.rating or "", s.comment or "", int(s.no_show),
            s.user_id, user.first_name if user else "", (user.username or "") if user else "",
            s.topic, s.created_at.isoformat(timespec="seconds"),
        ]  # fmt: skip
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(rate, pressed(AfterCB, AfterAction.STARS))
    cb.register(ask_text, pressed(AfterCB, AfterAction.COMMENT, AfterAction.NOTE))
    cb.register(no_show, pressed(AfterCB, AfterAction.NO_SHOW))
    router.message.register(text_written, AfterSession.comment, has_text)
    router.message.register(text_written, AfterSession.note, has_text)
    router.message.register(text_not_text, AfterSession.comment)
    router.message.register(text_not_text, AfterSession.note)
    staff = staff_router(f"{__name__}.staff")
    staff.message.register(report, Command("coaching_report"))
    router.include_router(staff)
    return router
