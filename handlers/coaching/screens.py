"""A session as each side sees it, with the buttons its state allows: the same screen whether
the person pressed something or the bot edits a message it sent earlier (no dead buttons)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching.callbacks import (
    AnswerAction,
    AnswerCB,
    FindAction,
    FindCB,
    SessionAction,
    SessionCB,
)
from handlers.coaching.texts import (
    day_label,
    html,
    left,
    reason_text,
    session_lines,
    slot_label,
    status_line,
    viewer_zone,
    zone_of,
)
from handlers.desks.callbacks import BookingAction, BookingCB
from handlers.ui.keyboards import button, home_button
from storage import coaching
from storage.coaching.tables import Coach, CoachingSession, Status
from storage.desks.places import Places
from storage.privacy import is_erased
from storage.users import User


def person_name(user: User | None) -> str:
    if user is None or is_erased(user.id):
        return _("(someone who has left)")
    name = " ".join(part for part in (user.first_name, user.last_name) if part) or str(user.id)
    return f"{name} (@{user.username})" if user.username else name


def _title_for_coach(booked: CoachingSession) -> str:
    if booked.status == Status.CANCELLED and booked.ended_by == "user":
        return _("↩ <b>Cancelled by the entrepreneur</b>")
    if booked.status == Status.DECLINED and booked.ended_by == "user":
        return _("✖ <b>Your proposed time was turned down</b>")
    return {
        Status.PENDING: _("📨 <b>Session request</b>"),
        Status.PROPOSED: _("🔁 <b>You proposed another time</b>: waiting for the answer"),
        Status.CONFIRMED: _("✅ <b>Session confirmed</b>"),
        Status.DECLINED: _("✖ <b>Request declined</b>"),
        Status.EXPIRED: _("⌛ <b>Request expired</b>: it was not answered in time"),
        Status.CANCELLED: _("✖ <b>Session cancelled</b>"),
    }[Status(booked.status)]


async def for_coach(
    session: AsyncSession, booked: CoachingSession, coach: Coach, places: Places, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The request (or session) as its coach sees it, in the coach's zone."""
    user = await session.get(User, booked.user_id)
    zone = zone_of(coach)
    text = (
        _title_for_coach(booked)
        + "\n\n"
        + session_lines(booked, coach, places, zone, who=person_name(user), with_link=True)
    )
    if booked.reason and booked.status in (Status.DECLINED, Status.CANCELLED):
        text += "\n" + _("Reason: {reason}").format(reason=html(reason_text(booked.reason)))
    rows: list[list[InlineKeyboardButton]] = []
    live = booked.ends_at > now
    if booked.status == Status.PENDING and live:
        if booked.expires_at is not None:
            text += "\n\n" + _("⏳ Please answer within {left}.").format(
                left=left(booked.expires_at, now)
            )
        rows = [
            [
                button(_("✅ Accept"), AnswerCB(action=AnswerAction.ACCEPT, id=booked.id)),
                button(_("✖ Decline"), AnswerCB(action=AnswerAction.DECLINE, id=booked.id)),
            ],
            [
                button(
                    _("🔁 Propose another time"),
                    AnswerCB(action=AnswerAction.PROPOSE, id=booked.id),
                )
            ],
        ]
    elif booked.status == Status.CONFIRMED and live:
        if booked.move_starts_at is not None:
            asked = booked.move_starts_at
            text += "\n\n" + _("🔁 The entrepreneur asks to move the session to {time}.").format(
                time=f"{day_label(asked, zone)} {slot_label(asked, zone)}"
            )
            rows.append(
                [
                    button(_("✅ Move it"), AnswerCB(action=AnswerAction.MOVE_YES, id=booked.id)),
                    button(_("Keep the time"), AnswerCB(action=AnswerAction.MOVE_NO, id=booked.id)),
                ]
            )
        rows.append(
            [
                button(_("📅 Add to calendar"), AnswerCB(action=AnswerAction.ICS, id=booked.id)),
                button(
                    _("✖ Cancel the session"), AnswerCB(action=AnswerAction.CANCEL, id=booked.id)
                ),
            ]
        )
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _title_for_user(booked: CoachingSession) -> str:
    if booked.status == Status.DECLINED and booked.ended_by == "user":
        return _("✖ <b>You turned down the proposed time</b>")
    if booked.status == Status.CANCELLED and booked.ended_by == "user":
        return _("✖ <b>You cancelled this session</b>")
    if booked.status == Status.CANCELLED and booked.ended_by != "user":
        return _("✖ <b>The coach cancelled this session</b>")
    return {
        Status.PENDING: _("⏳ <b>Session requested</b>: waiting for the coach's answer"),
        Status.PROPOSED: _("🔁 <b>The coach proposes another time</b>"),
        Status.CONFIRMED: _("✅ <b>Session confirmed</b>"),
        Status.DECLINED: _("✖ <b>The coach declined the request</b>"),
        Status.EXPIRED: _("⌛ <b>The request expired</b>: the coach did not answer in time"),
        Status.CANCELLED: _("✖ <b>Session cancelled</b>"),
    }[Status(booked.status)]


async def for_user(
    session: AsyncSession,
    booked: CoachingSession,
    coach: Coach,
    places: Places,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The session as its entrepreneur sees it, in their zone (looked up unless given)."""
    if zone is None:
        zone = await viewer_zone(session, booked.user_id, places, coach)
    confirmed = booked.status == Status.CONFIRMED
    text = (
        _title_for_user(booked)
        + "\n\n"
        + session_lines(booked, coach, places, zone, who=coach.name, with_link=confirmed)
    )
    if booked.reason and booked.status in (Status.DECLINED, Status.CANCELLED):
        text += "\n" + _("Reason: {reason}").format(reason=html(reason_text(booked.reason)))
    if confirmed and booked.move_starts_at is not None:
        text += "\n" + status_line(booked)
    rows: list[list[InlineKeyboardButton]] = []
    live = booked.ends_at > now
    if booked.status == Status.PROPOSED and live:
        rows.append(
            [
                button(_("✅ Take this time"), SessionCB(action=SessionAction.TAKE, id=booked.id)),
                button(_("No, thanks"), SessionCB(action=SessionAction.REFUSE, id=booked.id)),
            ]
        )
    elif booked.status == Status.PENDING and live:
        rows.append(
            [
                button(
                    _("↩ Withdraw the request"),
                    SessionCB(action=SessionAction.CANCEL, id=booked.id),
                )
            ]
        )
    elif confirmed and live:
        rows.append(
            [
                button(_("📅 Add to calendar"), SessionCB(action=SessionAction.ICS, id=booked.id)),
                button(_("✖ Cancel"), SessionCB(action=SessionAction.CANCEL, id=booked.id)),
            ]
        )
        if booked.move_starts_at is None:
            rows.append(
                [
                    button(
                        _("🔁 Move to another time"),
                        SessionCB(action=SessionAction.MOVE, id=booked.id),
                    )
                ]
            )
    elif booked.status in (Status.DECLINED, Status.EXPIRED, Status.CANCELLED):
        rows.append(
            [
                button(
                    _("🗓 Other times with this coach"),
                    FindCB(action=FindAction.SLOTS, coach=coach.user_id),
                )
            ]
        )
    rows.append([button(_("My bookings"), BookingCB(action=BookingAction.LIST)), home_button()])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def coaching_lines(
    session: AsyncSession,
    places: Places,
    sessions: list[CoachingSession],
    rows: list[list[InlineKeyboardButton]],
) -> list[str]:
    """My bookings' coaching part: a line a session, and a button to open it."""
    lines = []
    for number, booked in enumerate(sessions, 1):
        coach = await session.get(Coach, booked.coach_id)
        if coach is None:
            continue
        zone = await viewer_zone(session, booked.user_id, places, coach)
        lines.append(
            _("{n}. {day} {time} · {coach}\n    {status}").format(
                n=number,
                day=day_label(booked.starts_at, zone),
                time=slot_label(booked.starts_at, zone),
                coach=html(coach.name),
                status=status_line(booked),
            )
        )
        label = _("💬 Session #{n}").format(n=number)
        rows.append([button(label, SessionCB(action=SessionAction.VIEW, id=booked.id))])
    return lines


SLOTS_PER_PAGE = 9
MAX_PAGE = 99  # what a page number in the buttons can hold


async def other_times(
    session: AsyncSession,
    booked: CoachingSession,
    coach: Coach,
    now: datetime,
    zone: ZoneInfo,
    page: int,
    pick: Callable[[int], CallbackData],
    turn: Callable[[int], CallbackData],
    back: CallbackData,
) -> tuple[bool, InlineKeyboardMarkup]:
    """The coach's free times besides the session's own, a page of buttons: `pick(minute)`
    for a time, `turn(page)` for another page; and whether there are any."""
    free = [
        start
        for start in await coaching.free_slots(session, coach, now, besides=booked.id)
        if start != booked.starts_at
    ]
    page = min(page, max(0, (len(free) - 1) // SLOTS_PER_PAGE))
    shown = free[page * SLOTS_PER_PAGE : (page + 1) * SLOTS_PER_PAGE]
    times = [
        button(f"{day_label(start, zone)} {slot_label(start, zone)}", pick(minute_of(start)))
        for start in shown
    ]
    rows: list[list[InlineKeyboardButton]] = [times[n : n + 3] for n in range(0, len(times), 3)]
    paging = []
    if page > 0:
        paging.append(button(_("« Earlier"), turn(page - 1)))
    if (page + 1) * SLOTS_PER_PAGE < len(free) and page + 1 <= MAX_PAGE:
        paging.append(button(_("Later »"), turn(page + 1)))
    if paging:
        rows.append(paging)
    rows.append([button(_("« Back"), back)])
    return bool(free), InlineKeyboardMarkup(inline_keyboard=rows)


def minute_of(moment: datetime) -> int:
    """A time as it travels in a button: whole minutes since the epoch."""
    return int(moment.timestamp()) // 60


def moment_of(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)
