"""The coach edits their availability and profile in the chat, from the panel: weekly and
one-off windows, vacation, the session format; name, bio, topics, languages, where they meet
and the meeting link. Typed values are checked by `storage.coaching.profile`."""

from __future__ import annotations

from datetime import date, datetime, time

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching.callbacks import EditAction, EditCB, PanelAction, PanelCB
from handlers.coaching.texts import coach_card, expertise_name, html, refusal_text, zone_of
from handlers.desks.texts import clock, day_short, format_locale, locale
from handlers.ui.filters import has_text, pressed
from handlers.ui.keyboards import LANGUAGE_NAMES, button
from handlers.ui.screens import edit_or_send
from storage.base import WallClock
from storage.coaching import profile
from storage.coaching.coaches import active_coach, expertise_of, languages_of
from storage.coaching.profile import EXPERTISE, LANGUAGES, Invalid
from storage.coaching.tables import Coach, Refused
from storage.desks.places import Places
from storage.users import Person

FIELDS = ("session_minutes", "buffer_minutes", "notice_hours", "horizon_days", "max_per_day")
CHOICES = (
    profile.SESSION_MINUTES, profile.BUFFER_MINUTES, profile.NOTICE_HOURS,
    profile.HORIZON_DAYS, profile.PER_DAY,
)  # fmt: skip


class EditCoach(StatesGroup):
    typing = State()  # a window, a vacation, a name, a bio or a link (`what` in the data)


def weekday_name(number: int) -> str:
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))[number]


def weekday_long(number: int) -> str:
    """Thursday, четверг, torstai (Babel's names, 0 Monday)."""
    return str(get_day_names("wide", locale=format_locale())[number])


def _span(start: int, end: int) -> str:
    return f"{clock(time(start // 60, start % 60))}–{clock(time(end // 60 % 24, end % 60))}"


def invalid_text(error: Invalid) -> str:
    return {
        "window_format": _("Write the window as 14:00-17:00."),
        "window_steps": _("Windows start and end on five-minute steps, e.g. 14:05."),
        "window_short": _("The window is shorter than one session."),
        "window_day": _("Choose a weekday or a date."),
        "window_overlap": _("It overlaps another window of that day."),
        "vacation_dates": _(
            "Write one date, or two (first and last), from today on: 2027-07-01 2027-07-14."
        ),
        "vacation_long": _("A vacation of up to 90 days at a time, please."),
        "oneoff_format": _("Write the date and the window: 2027-01-15 10:00-12:00."),
        "name": _("A name of 1 to 64 characters, please."),
        "bio": _("The bio can be up to 500 characters."),
        "link": _(
            "The meeting link must be a full https:// address, e.g. https://meet.example.org/you."
        ),
        "link_missing": _("Add a meeting link first: online sessions need one."),
        "where_nowhere": _("Meet somewhere: at a location, online, or both."),
        "languages_empty": _("Keep at least one language."),
        "format": _("Please choose one of the buttons."),
        "toggle": _("Please choose one of the buttons."),
        "timezone": _("Unknown time zone."),
    }.get(error.rule, _("Please choose one of the buttons."))


async def _coach(query: CallbackQuery, session: AsyncSession, person: Person) -> Coach | None:
    try:
        return await active_coach(session, person.id)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return None


async def availability_screen(
    session: AsyncSession, coach: Coach, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    today = now.astimezone(zone_of(coach)).date()
    windows = await profile.windows_of(session, coach, today)
    vacation = await profile.blocked_days(session, coach, today)
    lines = [_("<b>Your availability</b> (times in {zone})").format(zone=html(coach.timezone)), ""]
    rows: list[list[InlineKeyboardButton]] = []
    if not windows:
        lines.append(_("No windows yet: add one, or entrepreneurs cannot request sessions."))
    for window in windows:
        when = weekday_name(window.weekday) if window.day is None else day_short(window.day)
        label = f"{when} {_span(window.start_minute, window.end_minute)}"
        lines.append(f"• {label}")
        rows.append(
            [
                button(
                    _("✖ Remove {window}").format(window=label),
                    EditCB(action=EditAction.REMOVE, id=window.id),
                )
            ]
        )
    if vacation:
        lines.append(
            _("🏖 Vacation: {days}").format(
                days=", ".join(day_short(d) for d in vacation[:14])
                + ("…" if len(vacation) > 14 else "")
            )
        )
    summary = _(
        "⚙ Sessions of {minutes} min, {buffer} min between, booked at least {notice} h ahead, "
        "up to {horizon} days ahead, at most {per_day} a day."
    )
    lines.append(
        summary.format(
            minutes=coach.session_minutes, buffer=coach.buffer_minutes, notice=coach.notice_hours,
            horizon=coach.horizon_days, per_day=coach.max_per_day,
        )
    )  # fmt: skip
    lines.append(_("Public holidays are off unless you add a one-off window on that date."))
    rows.append(
        [
            button(_("➕ Weekly window"), EditCB(action=EditAction.WEEKLY, n=99)),
            button(_("➕ One-off window"), EditCB(action=EditAction.ONEOFF)),
        ]
    )
    rows.append(
        [
            button(_("🏖 Vacation"), EditCB(action=EditAction.VACATION)),
            button(_("⚙ Format"), EditCB(action=EditAction.FORMAT, n=99)),
        ]
    )
    if vacation:
        rows.append([button(_("Clear the vacation"), EditCB(action=EditAction.CLEAR_VACATION))])
    rows.append([button(_("« Panel"), PanelCB(action=PanelAction.HOME))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def show_availability(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    await state.clear()
    await query.answer()
    await edit_or_send(query, *await availability_screen(session, coach, wall_clock()))


async def weekly(
    query: CallbackQuery,
    callback_data: EditCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    await query.answer()
    if not 0 <= callback_data.n <= 6:
        days = [button(weekday_name(n), EditCB(action=EditAction.WEEKLY, n=n)) for n in range(7)]
        rows = [days[:4], days[4:], [button(_("« Back"), EditCB(action=EditAction.AVAILABILITY))]]
        await edit_or_send(query, _("Which weekday?"), InlineKeyboardMarkup(inline_keyboard=rows))
        return
    await _ask(
        query,
        state,
        "weekly",
        _(
            "Write the window for every {day}, e.g. 14:00-17:00 (sessions of {minutes} min fit "
            "in it), or /cancel."
        ).format(day=weekday_long(callback_data.n), minutes=coach.session_minutes),
        weekday=callback_data.n,
    )


async def _ask(
    query: CallbackQuery, state: FSMContext, what: str, prompt: str, **data: object
) -> None:
    await state.set_state(EditCoach.typing)
    await state.update_data(what=what, **data)
    await edit_or_send(query, prompt, None)


async def ask_typed(
    query: CallbackQuery,
    callback_data: EditCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    if await _coach(query, session, person) is None:
        return
    await query.answer()
    prompts = {
        EditAction.ONEOFF: (
            "oneoff",
            _("Write the date and the window, e.g. 2027-01-15 10:00-12:00, or /cancel."),
        ),
        EditAction.VACATION: (
            "vacation",
            _(
                "Write the first and last day of your vacation, e.g. 2027-07-01 2027-07-14 (or "
                "one date for one day), or /cancel."
            ),
        ),
        EditAction.NAME: (
            "name",
            _("Write the name entrepreneurs see (up to 64 characters), or /cancel."),
        ),
        EditAction.BIO: (
            "bio",
            _(
                "Write a short bio (up to 500 characters): what you help with and how you work. "
                "/cancel keeps the old one."
            ),
        ),
        EditAction.LINK: (
            "link",
            _("Send the link of your online meeting room (https://…), or /cancel."),
        ),
    }
    what, prompt = prompts[callback_data.action]
    await _ask(query, state, what, prompt)


async def typed(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
    places: Places,
) -> None:
    try:
        coach = await active_coach(session, person.id)
    except Refused as refused:
        await state.clear()
        await message.answer(refusal_text(refused))
        return
    data = await state.get_data()
    what, text = str(data.get("what")), message.text or ""
    today = wall_clock().astimezone(zone_of(coach)).date()
    try:
        if what == "weekly":
            start, end = profile.parse_window(text, coach.session_minutes)
            await profile.add_window(
                session, coach, start, end, weekday=int(data.get("weekday", -1))
            )
        elif what == "oneoff":
            day, window = _date_and_rest(text)
            if day < today:
                raise Invalid("oneoff_format")
            start, end = profile.parse_window(window, coach.session_minutes)
            await profile.add_window(session, coach, start, end, day=day)
        elif what == "vacation":
            first, last = _one_or_two_dates(text)
            await profile.block(session, coach, first, last, today)
        elif what == "name":
            profile.set_name(coach, text)
        elif what == "bio":
            profile.set_bio(coach, text)
        elif what == "link":
            profile.set_link(coach, text)
    except Invalid as error:
        await message.answer(invalid_text(error) + " " + _("Try again, or /cancel."))
        return
    await state.clear()
    if what in ("weekly", "oneoff", "vacation"):
        text, markup = await availability_screen(session, coach, wall_clock())
    else:
        text, markup = profile_screen(coach, places)
    await message.answer(_("Saved.") + "\n\n" + text, reply_markup=markup)


def _date_and_rest(text: str) -> tuple[date, str]:
    head, _space, rest = text.strip().partition(" ")
    try:
        return date.fromisoformat(head), rest
    except ValueError:
        raise Invalid("oneoff_format") from None


def _one_or_two_dates(text: str) -> tuple[date, date]:
    parts = text.replace("–", " ").replace("..", " ").split()
    try:
        days = [date.fromisoformat(part) for part in parts]
    except ValueError:
        raise Invalid("vacation_dates") from None
    if len(days) not in (1, 2):
        raise Invalid("vacation_dates")
    return days[0], days[-1]


async def typed_not_text(message: Message) -> None:
    await message.answer(_("Please write it as text, or /cancel."))


async def remove(
    query: CallbackQuery,
    callback_data: EditCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    removed = await profile.remove_window(session, coach, callback_data.id)
    await query.answer(_("Removed.") if removed else _("That window is gone already."))
    await edit_or_send(query, *await availability_screen(session, coach, wall_clock()))


async def clear_vacation(
    query: CallbackQuery, session: AsyncSession, person: Person, wall_clock: WallClock
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    await profile.unblock_all(session, coach, wall_clock().astimezone(zone_of(coach)).date())
    await query.answer(_("Saved."))
    await edit_or_send(query, *await availability_screen(session, coach, wall_clock()))


async def session_format(
    query: CallbackQuery,
    callback_data: EditCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    """Pick the session length, buffer, notice, horizon and a day's maximum."""
    if (coach := await _coach(query, session, person)) is None:
        return
    if callback_data.n < len(FIELDS):
        try:
            profile.set_format(coach, FIELDS[callback_data.n], callback_data.id)
        except Invalid as error:
            await query.answer(invalid_text(error), show_alert=True)
            return
        await query.answer(_("Saved."))
    else:
        await query.answer()
    titles = (
        _("Session length, min"),
        _("Between sessions, min"),
        _("Minimum notice, h"),
        _("Bookable ahead, days"),
        _("At most a day"),
    )
    rows: list[list[InlineKeyboardButton]] = []
    for number, (field, choices) in enumerate(zip(FIELDS, CHOICES, strict=True)):
        current = getattr(coach, field)
        rows.append([button(titles[number], EditCB(action=EditAction.FORMAT, n=99))])
        rows.append(
            [
                button(
                    ("✓ " if value == current else "") + str(value),
                    EditCB(action=EditAction.FORMAT, n=number, id=value),
                )
                for value in choices
            ]
        )
    rows.append([button(_("« Back"), EditCB(action=EditAction.AVAILABILITY))])
    text = _(
        "<b>Session format</b>\nTap a value to change it. Sessions already booked keep their time."
    )
    await edit_or_send(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


def profile_screen(coach: Coach, places: Places) -> tuple[str, InlineKeyboardMarkup]:
    link = coach.meeting_link or _("none")
    text = _("<b>Your profile</b>, as entrepreneurs see it:") + "\n\n" + coach_card(coach, places)
    text += "\n" + _("🔗 Meeting link: {link}").format(link=html(link))
    rows = [
        [
            button(_("Name"), EditCB(action=EditAction.NAME)),
            button(_("Bio"), EditCB(action=EditAction.BIO)),
            button(_("Meeting link"), EditCB(action=EditAction.LINK)),
        ],
        [
            button(_("Topics"), EditCB(action=EditAction.TOPICS, n=99)),
            button(_("Languages"), EditCB(action=EditAction.LANGUAGES, n=99)),
            button(_("Where"), EditCB(action=EditAction.WHERE, n=99)),
        ],
        [button(_("« Panel"), PanelCB(action=PanelAction.HOME))],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def show_profile(
    query: CallbackQuery, session: AsyncSession, person: Person, places: Places, state: FSMContext
) -> None:
    if (coach := await _coach(query, session, person)) is None:
        return
    await state.clear()
    await query.answer()
    await edit_or_send(query, *profile_screen(coach, places))


async def choose(
    query: CallbackQuery,
    callback_data: EditCB,
    session: AsyncSession,
    person: Person,
    places: Places,
) -> None:
    """Topics and languages on or off; where the coach meets."""
    if (coach := await _coach(query, session, person)) is None:
        return
    action, n = callback_data.action, callback_data.n
    try:
        if action == EditAction.TOPICS and n < len(EXPERTISE):
            profile.toggle(coach, "expertise", EXPERTISE[n])
        elif action == EditAction.LANGUAGES and n < len(LANGUAGES):
            profile.toggle(coach, "languages", LANGUAGES[n])
        elif action == EditAction.WHERE and n == 1:
            profile.set_where(coach, coach.location_id, not coach.online)
        elif action == EditAction.WHERE and n == 2:
            place = places.get(callback_data.id)
            chosen = None if place is None or coach.location_id == place.id else place.id
            profile.set_where(coach, chosen, coach.online)
    except Invalid as error:
        await query.answer(invalid_text(error), show_alert=True)
        return
    await query.answer()
    rows: list[list[InlineKeyboardButton]] = []
    if action == EditAction.TOPICS:
        mine = expertise_of(coach)
        rows = [
            [
                button(
                    ("✓ " if key in mine else "") + expertise_name(key), EditCB(action=action, n=i)
                )
            ]
            for i, key in enumerate(EXPERTISE)
        ]
    elif action == EditAction.LANGUAGES:
        mine = languages_of(coach)
        rows = [
            [
                button(
                    ("✓ " if code in mine else "") + LANGUAGE_NAMES[code],
                    EditCB(action=action, n=i),
                )
            ]
            for i, code in enumerate(LANGUAGES)
        ]  # type: ignore[index]
    else:
        rows = [
            [
                button(
                    ("✓ " if coach.location_id == p.id else "") + p.name(locale()),
                    EditCB(action=action, n=2, id=p.id),
                )
            ]
            for p in places.all
        ]
        rows.append(
            [button(("✓ " if coach.online else "") + _("Online"), EditCB(action=action, n=1))]
        )
    rows.append([button(_("« Profile"), EditCB(action=EditAction.PROFILE))])
    await edit_or_send(
        query, _("Tap to turn on or off:"), InlineKeyboardMarkup(inline_keyboard=rows)
    )


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query
    cb.register(show_availability, pressed(EditCB, EditAction.AVAILABILITY))
    cb.register(weekly, pressed(EditCB, EditAction.WEEKLY))
    cb.register(
        ask_typed,
        pressed(
            EditCB,
            EditAction.ONEOFF,
            EditAction.VACATION,
            EditAction.NAME,
            EditAction.BIO,
            EditAction.LINK,
        ),
    )
    cb.register(remove, pressed(EditCB, EditAction.REMOVE))
    cb.register(clear_vacation, pressed(EditCB, EditAction.CLEAR_VACATION))
    cb.register(session_format, pressed(EditCB, EditAction.FORMAT))
    cb.register(show_profile, pressed(EditCB, EditAction.PROFILE))
    cb.register(
        choose,
        pressed(EditCB, EditAction.TOPICS, EditAction.LANGUAGES, EditAction.WHERE),
    )
    router.message.register(typed, EditCoach.typing, has_text)
    router.message.register(typed_not_text, EditCoach.typing)
    return router
