"""Booking a coach: by topic or by coach (in a language the person speaks) → the coach's card
→ free times by day → what to discuss → online or in person → confirm. The request is then
sent to the coach and the time held until the coach answers.

Every button carries the whole choice so far and every step checks it again; the topic, the
one thing typed, waits in the conversation state until the request is sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import notices, screens
from handlers.coaching.callbacks import FindAction, FindCB
from handlers.coaching.screens import minute_of, moment_of
from handlers.coaching.texts import (
    coach_card,
    day_label,
    expertise_name,
    html,
    locale,
    mode_name,
    refusal_text,
    slot_label,
    viewer_zone,
    when,
    where_line,
    zone_note,
    zone_of,
)
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import has_text, pressed
from handlers.ui.keyboards import LANGUAGE_NAMES, button, home_button
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import coaching
from storage.base import WallClock, clean_text
from storage.coaching import coaches
from storage.coaching.profile import EXPERTISE
from storage.coaching.sessions import MAX_TOPIC, MIN_TOPIC
from storage.coaching.tables import Coach, Refused
from storage.desks.places import Places
from storage.users import Person

DAYS_PER_PAGE = 3
MODES = {"o": "online", "p": "in_person"}


class BookCoach(StatesGroup):
    topic = State()  # writing what to discuss


async def start(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    rows = [
        [button(_("🎯 By topic"), FindCB(action=FindAction.TOPICS))],
        [button(_("👥 All coaches"), FindCB(action=FindAction.COACHES, lang=locale()))],
        [home_button()],
    ]
    text = _(
        "<b>Book a coach</b>\nProgramme coaches help with your business plan, funding, "
        "marketing and more, in sessions of 30 to 60 minutes. Find a coach by topic, or look "
        "through all of them."
    )
    await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def topics(query: CallbackQuery, session: AsyncSession) -> None:
    await query.answer()
    everyone = await coaches.listed(session)
    rows = []
    for number, key in enumerate(EXPERTISE, 1):
        count = sum(key in coaches.expertise_of(coach) for coach in everyone)
        if count:
            label = f"{expertise_name(key)} ({count})"
            rows.append(
                [button(label, FindCB(action=FindAction.COACHES, topic=number, lang=locale()))]
            )
    rows.append([button(_("« Back"), FindCB(action=FindAction.START))])
    await edit_or_send(
        query,
        _("<b>Book a coach</b>\nWhat would you like help with?"),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def coach_list(query: CallbackQuery, callback_data: FindCB, session: AsyncSession) -> None:
    topic = (
        EXPERTISE[callback_data.topic - 1] if 0 < callback_data.topic <= len(EXPERTISE) else None
    )
    if (callback_data.topic and topic is None) or callback_data.lang not in ("", *LANGUAGE_NAMES):
        await refuse_stale(query)
        return
    await query.answer()
    language = callback_data.lang or None
    found = await coaches.listed(session, expertise=topic, language=language)
    title = expertise_name(topic) if topic else _("All coaches")
    lines = [f"<b>{html(title)}</b>"]
    if language:
        lines.append(_("Coaches who speak {language}:").format(language=LANGUAGE_NAMES[language]))  # type: ignore[index]
    if not found:
        lines.append(_("No coach matches this yet. Try another language or topic."))
    rows = [
        [button(coach.name, FindCB(action=FindAction.CARD, coach=coach.user_id))] for coach in found
    ]
    filters = [
        button(
            ("• " if code == callback_data.lang else "") + name,
            FindCB(action=FindAction.COACHES, topic=callback_data.topic, lang=code),
        )
        for code, name in LANGUAGE_NAMES.items()
    ]
    filters.append(
        button(
            ("• " if not language else "") + _("Any language"),
            FindCB(action=FindAction.COACHES, topic=callback_data.topic),
        )
    )
    rows.append(filters)
    back = FindCB(action=FindAction.TOPICS) if topic else FindCB(action=FindAction.START)
    rows.append([button(_("« Back"), back)])
    await edit_or_send(query, "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


async def _coach(query: CallbackQuery, session: AsyncSession, coach_id: int) -> Coach | None:
    coach = await coaches.get(session, coach_id)
    if coach is None or not coach.active:
        await query.answer(_("This coach no longer takes sessions."), show_alert=True)
        return None
    return coach


async def card(
    query: CallbackQuery, callback_data: FindCB, session: AsyncSession, places: Places
) -> None:
    if (coach := await _coach(query, session, callback_data.coach)) is None:
        return
    await query.answer()
    rows = [
        [button(_("🗓 Free times"), FindCB(action=FindAction.SLOTS, coach=coach.user_id))],
        [
            button(_("« All coaches"), FindCB(action=FindAction.COACHES, lang=locale())),
            home_button(),
        ],
    ]
    await edit_or_send(query, coach_card(coach, places), InlineKeyboardMarkup(inline_keyboard=rows))


async def free_times(
    query: CallbackQuery,
    callback_data: FindCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
    note: str = "",
) -> None:
    if (coach := await _coach(query, session, callback_data.coach)) is None:
        return
    await query.answer()
    await slots_screen(query, session, places, coach, wall_clock(), callback_data.page, note)


async def slots_screen(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    coach: Coach,
    now: datetime,
    page: int,
    note: str = "",
) -> None:
    """The coach's free times, a few days a page, in the reader's zone."""
    zone = await viewer_zone(session, query.from_user.id, places, coach)
    free = await coaching.free_slots(session, coach, now)
    by_day: dict[date, list[datetime]] = {}
    for start in free:
        by_day.setdefault(start.astimezone(zone).date(), []).append(start)
    days = sorted(by_day)
    pages = max(1, -(-len(days) // DAYS_PER_PAGE))
    page = min(page, pages - 1)
    shown = days[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE]
    text = _("<b>{coach}</b>: free times").format(coach=html(coach.name))
    if free:
        text += zone_note(zone, coach, free[0])
        text += "\n" + _("Choose a time:")
    else:
        text += "\n" + _(
            "There are no free times in the next {days} days. Please look again later."
        ).format(days=coach.horizon_days)
    if note:
        text = f"{html(note)}\n\n{text}"
    rows: list[list[InlineKeyboardButton]] = []
    for day in shown:
        times = [
            button(
                f"{day_label(start, zone)} {slot_label(start, zone)}",
                FindCB(action=FindAction.PICK, coach=coach.user_id, at=minute_of(start)),
            )
            for start in by_day[day]
        ]
        rows += [times[n : n + 3] for n in range(0, len(times), 3)]
    paging = []
    if page > 0:
        paging.append(
            button(
                _("« Earlier"), FindCB(action=FindAction.SLOTS, coach=coach.user_id, page=page - 1)
            )
        )
    if page + 1 < pages:
        paging.append(
            button(
                _("Later »"), FindCB(action=FindAction.SLOTS, coach=coach.user_id, page=page + 1)
            )
        )
    if paging:
        rows.append(paging)
    rows.append(
        [button(_("« Coach"), FindCB(action=FindAction.CARD, coach=coach.user_id)), home_button()]
    )
    await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


async def _free(
    query: CallbackQuery,
    session: AsyncSession,
    places: Places,
    callback_data: FindCB,
    now: datetime,
) -> tuple[Coach, datetime] | None:
    """The coach and time a button names, if that time is still free; else the free times
    again, with the reason."""
    if (coach := await _coach(query, session, callback_data.coach)) is None:
        return None
    starts_at = moment_of(callback_data.at)
    day = starts_at.astimezone(zone_of(coach)).date()
    if starts_at not in await coaching.free_slots(session, coach, now, days=[day]):
        await query.answer()
        await slots_screen(
            query, session, places, coach, now, 0, refusal_text(Refused(coaching.Reason.NO_SLOT))
        )
        return None
    return coach, starts_at


async def pick(
    query: CallbackQuery,
    callback_data: FindCB,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
    state: FSMContext,
    person: Person,
) -> None:
    if callback_data.coach == person.id:
        await query.answer(refusal_text(Refused(coaching.Reason.SELF)), show_alert=True)
        return
    if (chosen := await _free(query, session, places, callback_data, wall_clock())) is None:
        return
    coach, starts_at = chosen
    zone = await viewer_zone(session, person.id, places, coach)
    await state.set_state(BookCoach.topic)
    # The zone the time was chosen in: the summary and the answer show it in the same one.
    await state.update_data(coach=coach.user_id, at=callback_data.at, zone=str(zone))
    await query.answer()
    text = _(
        "<b>{coach}</b>, {when}\n\nWhat would you like to discuss? Write a few sentences "
        "({low}–{high} characters): the coach reads them before accepting. /cancel stops."
    ).format(
        coach=html(coach.name),
        when=when(starts_at, zone, coach.session_minutes),
        low=MIN_TOPIC,
        high=MAX_TOPIC,
    )
    back = InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("« Other times"), FindCB(action=FindAction.SLOTS, coach=coach.user_id))]
        ]
    )
    await edit_or_send(query, text, back)


async def topic_written(
    message: Message,
    session: AsyncSession,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    topic = clean_text(message.text or "", multiline=True).strip()
    if not MIN_TOPIC <= len(topic) <= MAX_TOPIC:
        await message.answer(
            _(
                "Please write between {low} and {high} characters (you wrote {n}), or /cancel."
            ).format(low=MIN_TOPIC, high=MAX_TOPIC, n=len(topic))
        )
        return
    data = await state.get_data()
    coach = await coaches.get(session, int(data.get("coach", 0)))
    if coach is None or not coach.active:
        await state.clear()
        await message.answer(_("This coach no longer takes sessions."))
        return
    await state.update_data(topic=topic)
    at = int(data.get("at", 0))
    modes = coaches.modes_of(coach)
    if len(modes) > 1:
        rows = [
            [
                button(
                    mode_name(MODES[code]).capitalize(),
                    FindCB(action=FindAction.MODE, coach=coach.user_id, at=at, mode=code),
                )
            ]
            for code in ("p", "o")
        ]
        await message.answer(
            _("Would you like to meet online or in person?"),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )
        return
    code = "o" if modes == ["online"] else "p"
    text, markup = await _summary(
        session, places, coach, at, code, {**data, "topic": topic}, message.chat.id
    )
    await message.answer(text, reply_markup=markup)


async def topic_not_text(message: Message) -> None:
    await message.answer(
        _("Please describe in words what you would like to discuss, or send /cancel.")
    )


async def _chosen_zone(
    session: AsyncSession, data: dict[str, Any], user_id: int, places: Places, coach: Coach
) -> ZoneInfo:
    """The zone the person chose the time in (kept in the conversation), else theirs now."""
    try:
        return ZoneInfo(str(data["zone"]))
    except (KeyError, ValueError, ZoneInfoNotFoundError):
        return await viewer_zone(session, user_id, places, coach)


async def _summary(
    session: AsyncSession,
    places: Places,
    coach: Coach,
    at: int,
    code: str,
    data: dict[str, Any],
    user_id: int,
) -> tuple[str, InlineKeyboardMarkup]:
    zone = await _chosen_zone(session, data, user_id, places, coach)
    topic = str(data["topic"])
    starts_at = moment_of(at)
    text = _("<b>Check your request</b>\n\n👤 {coach}\n📅 {when}\n{where}\n💬 {topic}").format(
        coach=html(coach.name),
        when=when(starts_at, zone, coach.session_minutes),
        where=where_line(MODES[code], coach, places, with_link=False),
        topic=html(topic),
    ) + zone_note(zone, coach, starts_at)
    rows = [
        [
            button(
                _("📨 Send the request"),
                FindCB(action=FindAction.CONFIRM, coach=coach.user_id, at=at, mode=code),
            )
        ],
        [button(_("« Other times"), FindCB(action=FindAction.SLOTS, coach=coach.user_id))],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def mode_chosen(
    query: CallbackQuery,
    callback_data: FindCB,
    session: AsyncSession,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    data = await state.get_data()
    if (
        callback_data.mode not in MODES
        or not data.get("topic")
        or int(data.get("coach", 0)) != callback_data.coach
    ):
        await refuse_stale(query)
        return
    if (chosen := await _free(query, session, places, callback_data, wall_clock())) is None:
        return
    await query.answer()
    text, markup = await _summary(
        session,
        places,
        chosen[0],
        callback_data.at,
        callback_data.mode,
        data,
        query.from_user.id,
    )
    await edit_or_send(query, text, markup)


async def confirm(
    query: CallbackQuery,
    callback_data: FindCB,
    session: AsyncSession,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
    person: Person,
) -> None:
    data = await state.get_data()
    topic = str(data.get("topic") or "")
    if (
        callback_data.mode not in MODES
        or not topic
        or int(data.get("coach", 0)) != callback_data.coach
    ):
        await refuse_stale(query)
        return
    now = wall_clock()
    # Held here for the whole press: the session keeps loaded rows only while they are used,
    # and the request and the summary read the same coach.
    coach = await coaches.get(session, callback_data.coach)
    limits = coaching.limits_of(coach, places) if coach is not None else coaching.Limits()
    try:
        booked = await coaching.request(
            session,
            callback_data.coach,
            person.id,
            moment_of(callback_data.at),
            topic,
            MODES[callback_data.mode],
            now,
            limits,
        )
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        if (
            coach is not None
            and coach.active
            and refused.reason in (coaching.Reason.TAKEN, coaching.Reason.NO_SLOT)
        ):
            await slots_screen(query, session, places, coach, now, 0, refusal_text(refused))
        return
    notices.requested(session, booked, now)
    await state.clear()
    assert coach is not None  # the request found it
    zone = await _chosen_zone(session, data, person.id, places, coach)
    text, markup = await screens.for_user(session, booked, coach, places, now, zone)
    await query.answer(_("Request sent."))
    text = (
        _(
            "📨 Your request is sent to the coach, and the time is held for you until they "
            "answer. I will tell you their answer here."
        )
        + "\n\n"
        + text
    )
    await edit_or_send(query, text, markup)


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(start, pressed(MenuCB, MenuAction.COACH))
    cb.register(start, pressed(FindCB, FindAction.START))
    cb.register(topics, pressed(FindCB, FindAction.TOPICS))
    cb.register(coach_list, pressed(FindCB, FindAction.COACHES))
    cb.register(card, pressed(FindCB, FindAction.CARD))
    cb.register(free_times, pressed(FindCB, FindAction.SLOTS))
    cb.register(pick, pressed(FindCB, FindAction.PICK))
    cb.register(mode_chosen, pressed(FindCB, FindAction.MODE))
    cb.register(confirm, pressed(FindCB, FindAction.CONFIRM))
    router.message.register(topic_written, BookCoach.topic, has_text)
    router.message.register(topic_not_text, BookCoach.topic)
    return router
