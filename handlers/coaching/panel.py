"""The coach's panel (`/coach`): today and the next 7 days, what waits for an answer (oldest
first, with the time left), and the one-tap "running late" and "cancel today" that tell every
entrepreneur concerned."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import notices
from handlers.coaching.callbacks import (
    AnswerAction,
    AnswerCB,
    EditAction,
    EditCB,
    PanelAction,
    PanelCB,
)
from handlers.coaching.texts import day_label, html, left, refusal_text, slot_label, zone_of
from handlers.ui.filters import pressed
from handlers.ui.keyboards import button, home_button
from handlers.ui.screens import edit_or_send
from storage import coaching
from storage.base import WallClock
from storage.coaching.coaches import active_coach
from storage.coaching.tables import Coach, Refused, Status
from storage.desks.places import Places
from storage.users import Person, users_by_id

DAYS = 8  # today and the next 7
LATE_MINUTES = (5, 10, 15)
MAX_WAITING = 10


async def _screen(
    session: AsyncSession, coach: Coach, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    zone = zone_of(coach)
    today = now.astimezone(zone).date()
    since = now - timedelta(hours=2)
    until = datetime.combine(today + timedelta(days=DAYS), datetime.min.time(), zone)
    ahead = [
        s
        for s in await coaching.of_coach(session, coach.user_id, since, until)
        if s.status == Status.CONFIRMED
    ]
    waiting = await coaching.waiting_for(session, coach.user_id)
    people = await users_by_id(session, {s.user_id for s in (*ahead, *waiting)})
    lines = [_("<b>Your coaching</b> · {name}").format(name=html(coach.name)), ""]
    lines.append(_("<b>Today and the next 7 days</b>"))
    if not ahead:
        lines.append(_("No confirmed sessions."))
    for booked in ahead:
        user = people.get(booked.user_id)
        lines.append(
            "• {day} {time} — {who}".format(
                day=day_label(booked.starts_at, zone),
                time=slot_label(booked.starts_at, zone),
                who=html(user.first_name if user else "?"),
            )
        )
    lines += ["", _("<b>Waiting for your answer</b>")]
    rows: list[list[InlineKeyboardButton]] = []
    if not waiting:
        lines.append(_("Nothing waits for you."))
    for number, booked in enumerate(waiting[:MAX_WAITING], 1):
        user = people.get(booked.user_id)
        deadline = booked.expires_at if booked.status == Status.PENDING else booked.move_expires_at
        lines.append(
            _("{n}. {day} {time} — {who}, answer within {left}").format(
                n=number,
                day=day_label(booked.starts_at, zone),
                time=slot_label(booked.starts_at, zone),
                who=html(user.first_name if user else "?"),
                left=left(deadline, now) if deadline else "—",
            )
        )
        rows.append(
            [
                button(
                    _("Open #{n}").format(n=number),
                    AnswerCB(action=AnswerAction.VIEW, id=booked.id),
                )
            ]
        )
    today_left = [
        s for s in ahead if s.starts_at.astimezone(zone).date() == today and s.ends_at > now
    ]
    if today_left:
        rows.append(
            [
                button(_("⏱ Running late"), PanelCB(action=PanelAction.LATE)),
                button(_("✖ Cancel today"), PanelCB(action=PanelAction.CANCEL_DAY)),
            ]
        )
    rows.append(
        [
            button(_("🗓 Availability"), EditCB(action=EditAction.AVAILABILITY)),
            button(_("👤 Profile"), EditCB(action=EditAction.PROFILE)),
        ]
    )
    rows.append([button(_("🔄 Refresh"), PanelCB(action=PanelAction.HOME)), home_button()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def open_panel(
    message: Message, session: AsyncSession, person: Person, wall_clock: WallClock
) -> None:
    try:
        coach = await active_coach(session, person.id)
    except Refused as refused:
        await message.answer(refusal_text(refused))
        return
    text, markup = await _screen(session, coach, wall_clock())
    await message.answer(text, reply_markup=markup)


async def _coach(query: CallbackQuery, session: AsyncSession, person: Person) -> Coach | None:
    try:
        return await active_coach(session, person.id)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return None


async def refresh(
    query: CallbackQuery, session: AsyncSession, person: Person, wall_clock: WallClock
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    await query.answer()
    await edit_or_send(query, *await _screen(session, coach, wall_clock()))


async def _today(
    session: AsyncSession, coach: Coach, now: datetime
) -> list[coaching.CoachingSession]:
    zone = zone_of(coach)
    end = datetime.combine(
        now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), zone
    )
    return [
        s
        for s in await coaching.of_coach(session, coach.user_id, now, end)
        if s.status == Status.CONFIRMED
    ]


async def late(
    query: CallbackQuery,
    callback_data: PanelCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    now = wall_clock()
    if callback_data.action == PanelAction.LATE:
        await query.answer()
        rows = [
            [
                button(_("{n} min").format(n=n), PanelCB(action=PanelAction.LATE_SEND, n=n))
                for n in LATE_MINUTES
            ]
        ]
        rows.append([button(_("« Back"), PanelCB(action=PanelAction.HOME))])
        await edit_or_send(
            query,
            _("How late will you be? Everyone with a session with you later today is told."),
            InlineKeyboardMarkup(inline_keyboard=rows),
        )
        return
    if callback_data.n not in LATE_MINUTES:
        await query.answer(refusal_text(Refused(coaching.Reason.ANSWERED)), show_alert=True)
        return
    affected = await _today(session, coach, now)
    for booked in affected:
        notices.running_late(session, booked, callback_data.n, now)
    await query.answer(_("Told: {n} people.").format(n=len(affected)))
    await edit_or_send(query, *await _screen(session, coach, now))


async def cancel_day(
    query: CallbackQuery,
    callback_data: PanelCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    now = wall_clock()
    affected = await _today(session, coach, now)
    if callback_data.action == PanelAction.CANCEL_DAY:
        await query.answer()
        rows = [
            [
                button(_("Yes, cancel them"), PanelCB(action=PanelAction.CANCEL_DAY_YES)),
                button(_("No"), PanelCB(action=PanelAction.HOME)),
            ]
        ]
        text = _("Cancel your remaining {n} sessions today? Each entrepreneur is told.").format(
            n=len(affected)
        )
        await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))
        return
    reason = "#day"  # each entrepreneur reads it in their language
    ended = 0
    for booked in affected:
        try:
            booked, _was = await coaching.cancel_by_coach(
                session, booked.id, person.id, reason, now
            )
        except Refused:
            continue
        await notices.forget(session, booked)
        notices.tell_user(session, booked, "cancelled", now)
        ended += 1
    await query.answer(_("Cancelled: {n} sessions.").format(n=ended))
    await edit_or_send(query, *await _screen(session, coach, now))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(open_panel, Command("coach"))
    cb = router.callback_query
    cb.register(refresh, pressed(PanelCB, PanelAction.HOME))
    cb.register(late, pressed(PanelCB, PanelAction.LATE, PanelAction.LATE_SEND))
    cb.register(
        cancel_day,
        pressed(PanelCB, PanelAction.CANCEL_DAY, PanelAction.CANCEL_DAY_YES),
    )
    return router
