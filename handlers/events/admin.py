"""`/events_admin`: staff write events in the chat. A new event is asked for step by step
(kind → language → place or online → room or link → title → description → sessions →
capacity), saved as a draft only staff see, shown as entrepreneurs will see it, and
published with a press. A draft or a published event is changed from the same screen: texts
in each language, the times (registered people are told and their reminders planned again),
the room or link (they are told), the capacity (more seats go to the line at once) and the
registration window. Cancelling and attendance are `staff`'s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from content import events as rules
from content.events import Invalid
from content.text import LANGUAGES
from handlers.desks.staff import staff_only
from handlers.desks.texts import day_short, html, locale
from handlers.events import notices, screens
from handlers.events.callbacks import (
    AdminAction,
    EventAdminCB,
    EventStaffCB,
    StaffAction,
)
from handlers.events.texts import (
    KINDS,
    kind_name,
    language_name,
    missing_texts,
    plain_title,
    refusal_text,
    span,
    zone_of,
)
from handlers.ui.filters import has_text, not_command, pressed, staff_router
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import audit
from storage.base import WallClock
from storage.desks.places import Places
from storage.events import editing, listing, seats
from storage.events.tables import Event, EventStatus, Refused
from storage.users import Person

T = TypeVar("T")
LISTED = 10
# What can be changed on an event, by index in the callback data.
FIELDS = ("title", "description", "time", "capacity", "where", "window")
TITLE, DESCRIPTION, TIME, CAPACITY, WHERE, WINDOW = range(len(FIELDS))


class WriteEvent(StatesGroup):
    room = State()
    link = State()
    title = State()
    description = State()
    sessions = State()
    capacity = State()
    field = State()  # a change to an existing draft or event: `event`, `field`, `lang` in data


def invalid_text(error: Invalid) -> str:
    return {
        "sessions_format": _(
            "Write each session on its own line as date, start and end: 2027-02-10 14:00-16:00."
        ),
        "sessions_past": _("The sessions must be in the future."),
        "course_parts": _("A course has two sessions or more: one line each."),
        "single_part": _("Only a course has several sessions: write one line."),
        "part_length": _("A session ends after it starts, within 12 hours."),
        "part_order": _("Write the sessions in time order, without overlap."),
        "moment_format": _("Write the date and time as 2027-02-01 09:00."),
        "window_format": _(
            "Write two moments, opening then closing: 2027-02-01 09:00 2027-02-10 12:00."
        ),
        "window_after_start": _("Registration must close by the start of the event."),
        "window_order": _("Registration must open before it closes."),
        "text_empty": _("Please write some text."),
        "title_long": _("A title can be up to {n} characters.").format(n=rules.MAX_TITLE),
        "description_long": _("A description can be up to {n} characters.").format(
            n=rules.MAX_DESCRIPTION
        ),
        "capacity": _("Write the number of seats, from 1 to {n}.").format(n=rules.MAX_CAPACITY),
        "room": _("A room name of 1 to {n} characters, please.").format(n=rules.MAX_ROOM),
        "link": _("The link must be a full https:// address, e.g. https://meet.example.org/x."),
    }.get(error.rule, _("Please choose one of the buttons."))


def _try_again(error: Invalid) -> str:
    return invalid_text(error) + " " + _("Try again, or /cancel.")


def _zones(places: Places) -> list[str]:
    """The time zones an online event can be given: those of the programme's places."""
    return sorted({place.timezone.key for place in places.all})


def _sessions_prompt(kind: str, zone: str, now: datetime) -> str:
    """How to write the sessions, with an example a week and two weeks from now."""
    week = (now + timedelta(days=7)).astimezone(ZoneInfo(zone)).date()
    days = (week, week + timedelta(days=7)) if kind == "course" else (week,)
    example = "\n".join(f"{day.isoformat()} 14:00-16:00" for day in days)
    lead = (
        _("When are the sessions? One line each: date, start and end ({zone} time).")
        if kind == "course"
        else _("When is it? The date, start and end ({zone} time).")
    )
    return lead.format(zone=html(zone)) + "\n\n<code>" + example + "</code>"


# ---- the list ----------------------------------------------------------------------------


async def menu_screen(session: AsyncSession, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    drafts = await listing.drafts(session, limit=LISTED)
    found = await listing.upcoming(session, now, limit=LISTED)
    lines = [_("<b>Events: staff</b>"), _("Write a new event, or open one to change it.")]
    rows: list[list[InlineKeyboardButton]] = [
        [button(_("➕ New event"), EventAdminCB(action=AdminAction.NEW))]
    ]
    labels = [
        (event.id, _("📝 Draft {id}: {title}").format(id=event.id, title=plain_title(event)))
        for event in drafts
    ]
    for event in found.events:
        local = event.starts_at.astimezone(zone_of(event))
        labels.append((event.id, f"{event.id} · {day_short(local.date())} · {plain_title(event)}"))
    for event_id, label in labels:
        opened = EventAdminCB(action=AdminAction.OPEN, id=event_id)
        rows.append([button(screens.short_label(label), opened)])
    if not drafts and not found.events:
        lines.append(_("No drafts and no upcoming events."))
    elif found.total > LISTED:
        lines.append(
            _("{count} more upcoming events: /event_report lists them all.").format(
                count=found.total - LISTED
            )
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def events_admin(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    await state.clear()
    text, markup = await menu_screen(session, wall_clock())
    await message.answer(text, reply_markup=markup)


async def show_menu(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    await state.clear()
    await query.answer()
    await edit_or_send(query, *await menu_screen(session, wall_clock()))


# ---- a new event, step by step -----------------------------------------------------------


async def new_event(query: CallbackQuery, person: Person, state: FSMContext) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    await state.clear()
    await state.update_data(new=True)
    await query.answer()
    rows = [
        [button(kind_name(kind), EventAdminCB(action=AdminAction.KIND, n=index))]
        for index, kind in enumerate(KINDS, 1)
    ]
    rows.append([button(_("« Back"), EventAdminCB(action=AdminAction.MENU))])
    await edit_or_send(
        query,
        _("<b>New event</b> (1/8). What kind of event?"),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def _draft_data(
    query: CallbackQuery, person: Person, state: FSMContext, *needed: str
) -> dict[str, object] | None:
    """The new event's answers so far, if this press belongs to it (a button of an old or
    finished draft is stale)."""
    data = await state.get_data()
    if (
        staff_only(person) is not None
        or not data.get("new")
        or any(data.get(name) is None for name in needed)
    ):
        await refuse_stale(query)
        return None
    return data


async def pick_kind(
    query: CallbackQuery, callback_data: EventAdminCB, person: Person, state: FSMContext
) -> None:
    if await _draft_data(query, person, state) is None:
        return
    if not 1 <= callback_data.n <= len(KINDS):
        await refuse_stale(query)
        return
    await state.update_data(kind=KINDS[callback_data.n - 1])
    await query.answer()
    rows = [
        [button(language_name(code), EventAdminCB(action=AdminAction.LANG, lang=code))]
        for code in LANGUAGES
    ]
    await edit_or_send(
        query,
        _("<b>New event</b> (2/8). Which language is it held in?"),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def pick_language(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    person: Person,
    state: FSMContext,
    places: Places,
) -> None:
    if await _draft_data(query, person, state, "kind") is None:
        return
    if callback_data.lang not in LANGUAGES:
        await refuse_stale(query)
        return
    await state.update_data(language=callback_data.lang)
    await query.answer()
    rows = [
        [button(place.name(locale()), EventAdminCB(action=AdminAction.PLACE, id=place.id))]
        for place in places.all
    ]
    rows.append([button(_("💻 Online"), EventAdminCB(action=AdminAction.PLACE, id=0))])
    await edit_or_send(
        query, _("<b>New event</b> (3/8). Where is it?"), InlineKeyboardMarkup(inline_keyboard=rows)
    )


async def pick_place(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    person: Person,
    state: FSMContext,
    places: Places,
) -> None:
    if await _draft_data(query, person, state, "kind", "language") is None:
        return
    place = places.get(callback_data.id) if callback_data.id else None
    if callback_data.id and place is None:
        await refuse_stale(query)
        return
    await query.answer()
    if place is None:
        await state.update_data(location_id=None, room=None)
        await state.set_state(WriteEvent.link)
        await edit_or_send(
            query,
            _(
                "<b>New event</b> (4/8). Send the https link people join by (only registered "
                "people see it)."
            ),
        )
        return
    await state.update_data(location_id=place.id, timezone=place.timezone.key, link=None)
    await state.set_state(WriteEvent.room)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[button(_("No room"), EventAdminCB(action=AdminAction.NO_ROOM))]]
    )
    await edit_or_send(
        query, _("<b>New event</b> (4/8). Which room? Write its name, or press No room."), markup
    )


async def no_room(query: CallbackQuery, person: Person, state: FSMContext, i18n: I18n) -> None:
    if await _draft_data(query, person, state, "location_id") is None:
        return
    await query.answer()
    await state.update_data(room=None)
    await _ask_title(state, i18n, edit=query)


async def typed_room(message: Message, person: Person, state: FSMContext, i18n: I18n) -> None:
    if (room := await _parsed(message, person, state, rules.typed_room)) is None:
        return
    await state.update_data(room=room)
    await _ask_title(state, i18n, message=message)


async def typed_link(message: Message, person: Person, state: FSMContext, places: Places) -> None:
    if (link := await _parsed(message, person, state, rules.typed_link)) is None:
        return
    await state.update_data(link=link)
    zones = _zones(places)
    rows = [
        [button(zone, EventAdminCB(action=AdminAction.ZONE, n=index))]
        for index, zone in enumerate(zones)
    ]
    await message.answer(
        _("<b>New event</b> (4/8). Which time zone are its times in?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def pick_zone(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    person: Person,
    state: FSMContext,
    places: Places,
    i18n: I18n,
) -> None:
    if await _draft_data(query, person, state, "link") is None:
        return
    zones = _zones(places)
    if not 0 <= callback_data.n < len(zones):
        await refuse_stale(query)
        return
    await query.answer()
    await state.update_data(timezone=zones[callback_data.n])
    await _ask_title(state, i18n, edit=query)


async def _ask_title(
    state: FSMContext,
    i18n: I18n,
    *,
    message: Message | None = None,
    edit: CallbackQuery | None = None,
) -> None:
    await state.set_state(WriteEvent.title)
    text = _(
        "<b>New event</b> (5/8). The title in {language}, up to {n} characters (the other "
        "languages can be added on the draft)."
    ).format(language=language_name(i18n.default_locale), n=rules.MAX_TITLE)
    if edit is not None:
        await edit_or_send(edit, text)
    elif message is not None:
        await message.answer(text)


async def _parsed(
    message: Message, person: Person, state: FSMContext, read: Callable[[str], T]
) -> T | None:
    """What staff typed, read by `read`; None when it cannot be taken (they are told the
    rule) or they are no longer staff."""
    if await _left_staff(message, person, state):
        return None
    try:
        return read(message.text or "")
    except Invalid as error:
        await message.answer(_try_again(error))
        return None


async def _left_staff(message: Message, person: Person, state: FSMContext) -> bool:
    """A person no longer staff who is still mid-way (their role was taken meanwhile)."""
    if (refusal := staff_only(person)) is None:
        return False
    await state.clear()
    await message.answer(refusal)
    return True


async def typed_title(message: Message, person: Person, state: FSMContext, i18n: I18n) -> None:
    title = await _parsed(
        message, person, state, partial(rules.typed_text, longest=rules.MAX_TITLE, one_line=True)
    )
    if title is None:
        return
    await state.update_data(title=title)
    await state.set_state(WriteEvent.description)
    await message.answer(
        _("<b>New event</b> (6/8). The description in {language}, up to {n} characters.").format(
            language=language_name(i18n.default_locale), n=rules.MAX_DESCRIPTION
        )
    )


async def typed_description(
    message: Message, person: Person, state: FSMContext, wall_clock: WallClock
) -> None:
    read = partial(rules.typed_text, longest=rules.MAX_DESCRIPTION, one_line=False)
    if (text := await _parsed(message, person, state, read)) is None:
        return
    await state.update_data(description=text)
    await state.set_state(WriteEvent.sessions)
    data = await state.get_data()
    await message.answer(
        _("<b>New event</b> (7/8).")
        + " "
        + _sessions_prompt(str(data.get("kind")), str(data.get("timezone")), wall_clock())
    )


async def typed_sessions(
    message: Message, person: Person, state: FSMContext, wall_clock: WallClock
) -> None:
    data = await state.get_data()
    zone, kind = ZoneInfo(str(data["timezone"])), str(data["kind"])
    read = partial(rules.typed_sessions, zone=zone, kind=kind, now=wall_clock())
    if (parts := await _parsed(message, person, state, read)) is None:
        return
    await state.update_data(parts=[[start.isoformat(), end.isoformat()] for start, end in parts])
    await state.set_state(WriteEvent.capacity)
    await message.answer(_("<b>New event</b> (8/8). How many seats?"))


async def typed_capacity(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    places: Places,
    person: Person,
    i18n: I18n,
    wall_clock: WallClock,
) -> None:
    if (capacity := await _parsed(message, person, state, rules.typed_capacity)) is None:
        return
    data = await state.get_data()
    now = wall_clock()
    parts = tuple(
        (datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in data["parts"]
    )
    if parts[0][0] <= now:  # the conversation took longer than the wait for the start
        await state.set_state(WriteEvent.sessions)
        await message.answer(_try_again(Invalid("sessions_past")))
        return
    draft = editing.Draft(
        kind=data["kind"], language=data["language"], location_id=data.get("location_id"),
        room=data.get("room"), link=data.get("link"), timezone=data["timezone"],
        title=data["title"], description=data["description"],
        default_language=i18n.default_locale, parts=parts, capacity=capacity,
    )  # fmt: skip
    event = await editing.create_draft(session, draft, now)
    audit.record(
        session,
        person.id,
        audit.Action.EVENT_CHANGED,
        target=f"event #{event.id}",
        details={"draft": True},
    )
    await state.clear()
    text, markup = await manage_screen(session, event, person, places, now)
    await message.answer(
        _("Draft saved: check it, then publish.") + "\n\n" + text, reply_markup=markup
    )


async def typed_not_text(message: Message) -> None:
    await message.answer(_("Please write it as text, or /cancel."))


# ---- one draft or event ------------------------------------------------------------------


async def manage_screen(
    session: AsyncSession, event: Event, person: Person, places: Places, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The event as staff run it: its state, what is missing, then its card exactly as an
    entrepreneur sees it, and the buttons that change it."""
    lines = []
    if event.status == EventStatus.DRAFT:
        lines.append(
            _("📝 <b>Draft {id}</b>: not published, only staff see it.").format(id=event.id)
        )
    elif event.status == EventStatus.CANCELLED:
        lines.append(_("❌ <b>Event {id}</b> has been cancelled.").format(id=event.id))
    else:
        counts = await listing.counts(session, event.id)
        lines.append(
            _(
                "📣 <b>Event {id}</b> is published. Registered: {registered} of {capacity}; "
                "waitlist: {waiting}."
            ).format(
                id=event.id,
                registered=counts.registered,
                capacity=event.capacity,
                waiting=counts.waiting,
            )
        )
    lines += missing_texts(event)
    if event.key:
        lines.append(
            _(
                "ℹ️ This event comes from the seed file: at the next start, what the file says "
                "replaces changes made here."
            )
        )
    card, _buttons = await screens.card(session, event, person.id, places, now)
    lines += ["", _("<i>As entrepreneurs see it:</i>"), "", card]
    rows: list[list[InlineKeyboardButton]] = []
    if event.status == EventStatus.CANCELLED:
        rows.append([button(_("« All events"), EventAdminCB(action=AdminAction.MENU))])
        return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)

    def edit(field: int) -> EventAdminCB:
        return EventAdminCB(action=AdminAction.EDIT, id=event.id, n=field)

    rows.append(
        [
            button(_("✏️ Texts"), EventAdminCB(action=AdminAction.TEXTS, id=event.id)),
            button(_("🕒 Time"), edit(TIME)),
        ]
    )
    rows.append(
        [
            button(_("🪑 Seats"), edit(CAPACITY)),
            button(_("🔗 Link") if event.location_id is None else _("📍 Room"), edit(WHERE)),
        ]
    )
    rows.append([button(_("⏳ Registration window"), edit(WINDOW))])
    if event.status == EventStatus.DRAFT:
        rows.append(
            [
                button(_("✅ Publish"), EventAdminCB(action=AdminAction.PUBLISH, id=event.id)),
                button(_("🗑 Discard"), EventAdminCB(action=AdminAction.DISCARD, id=event.id)),
            ]
        )
    else:
        rows.append(
            [
                button(_("Attendance"), EventStaffCB(action=StaffAction.ATTENDANCE, id=event.id)),
                button(_("Cancel the event"), EventStaffCB(action=StaffAction.CANCEL, id=event.id)),
            ]
        )
    rows.append([button(_("« All events"), EventAdminCB(action=AdminAction.MENU))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def _event(
    query: CallbackQuery, session: AsyncSession, person: Person, event_id: int
) -> Event | None:
    """The draft or event a staff press is about, or None (refused)."""
    if staff_only(person) is not None:
        await refuse_stale(query)
        return None
    try:
        return await editing.editable(session, event_id)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return None


async def open_event(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if (event := await _event(query, session, person, callback_data.id)) is None:
        return
    await state.clear()
    await query.answer()
    await edit_or_send(query, *await manage_screen(session, event, person, places, wall_clock()))


async def texts_screen(
    query: CallbackQuery, callback_data: EventAdminCB, session: AsyncSession, person: Person
) -> None:
    if (event := await _event(query, session, person, callback_data.id)) is None:
        return
    await query.answer()
    rows = []
    for field, texts, name in (
        (TITLE, event.titles, _("Title")),
        (DESCRIPTION, event.descriptions, _("Description")),
    ):
        rows.append(
            [
                button(
                    f"{'✓' if texts.get(code) else '➕'} {name} · {code}",
                    EventAdminCB(action=AdminAction.EDIT, id=event.id, n=field, lang=code),
                )
                for code in LANGUAGES
            ]
        )
    rows.append([button(_("« Back"), EventAdminCB(action=AdminAction.OPEN, id=event.id))])
    await edit_or_send(
        query,
        _("Which text? ✓ written, ➕ missing (readers of that language see another one)."),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def ask_field(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if (event := await _event(query, session, person, callback_data.id)) is None:
        return
    field = callback_data.n
    if field >= len(FIELDS) or (field in (TITLE, DESCRIPTION)) != (callback_data.lang in LANGUAGES):
        await refuse_stale(query)
        return
    zone = zone_of(event)
    if field in (TITLE, DESCRIPTION):
        texts = event.titles if field == TITLE else event.descriptions
        current = texts.get(callback_data.lang)
        prompt = (
            _("The new title in {language}.")
            if field == TITLE
            else _("The new description in {language}.")
        ).format(language=language_name(callback_data.lang))
        if current:
            prompt += "\n\n" + _("Now:") + " " + html(current)
    elif field == TIME:
        parts = await listing.parts(session, event.id)
        prompt = (
            _sessions_prompt(event.kind, event.timezone, wall_clock())
            + "\n\n"
            + _("Now:")
            + "\n"
            + "\n".join(span(part, zone) for part in parts)
        )
        if event.status == EventStatus.SCHEDULED:
            prompt += "\n\n" + _("Registered people will be told of the new time.")
    elif field == CAPACITY:
        prompt = _(
            "How many seats? Now {capacity}, {taken} taken; more seats go to the waitlist at once."
        ).format(capacity=event.capacity, taken=event.taken)
    elif field == WHERE:
        prompt = (
            _("Send the new https link.")
            if event.location_id is None
            else _("Write the room's name.")
        )
        if event.status == EventStatus.SCHEDULED:
            prompt += " " + _("Registered people will be told.")
    else:
        opens, closes = (
            moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            for moment in (event.opens_at, event.closes_at)
        )
        prompt = _(
            "When does registration open and close? Two moments ({zone} time), e.g.\n"
            "<code>{opens} {closes}</code>"
        ).format(zone=html(event.timezone), opens=opens, closes=closes)
    await state.set_state(WriteEvent.field)
    await state.update_data(event=event.id, field=field, lang=callback_data.lang)
    await query.answer()
    await edit_or_send(query, prompt + "\n\n" + _("Or /cancel."))


async def typed_field(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if await _left_staff(message, person, state):
        return
    data = await state.get_data()
    event_id, field, language = (
        int(data.get("event", 0)),
        int(data.get("field", -1)),
        str(data.get("lang", "")),
    )
    now, text = wall_clock(), message.text or ""
    try:
        event = await editing.editable(session, event_id)
        saved = await _change(session, event, field, language, text, now)
        audit.record(
            session,
            person.id,
            audit.Action.EVENT_CHANGED,
            target=f"event #{event_id}",
            details={"field": field, "language": language},
        )
    except Invalid as error:
        await message.answer(_try_again(error))
        return
    except Refused as refused:
        await state.clear()
        await message.answer(refusal_text(refused))
        return
    await state.clear()
    event = await editing.editable(session, event_id)
    screen, markup = await manage_screen(session, event, person, places, now)
    await message.answer(saved + "\n\n" + screen, reply_markup=markup)


async def _change(
    session: AsyncSession, event: Event, field: int, language: str, text: str, now: datetime
) -> str:
    """Applies the typed change; what to tell staff."""
    zone = zone_of(event)
    if field in (TITLE, DESCRIPTION):
        longest, one_line = (
            (rules.MAX_TITLE, True) if field == TITLE else (rules.MAX_DESCRIPTION, False)
        )
        value = rules.typed_text(text, longest=longest, one_line=one_line)
        await editing.set_text(session, event.id, FIELDS[field], language, value, now)
        return _("Saved.")
    if field == TIME:
        parts = rules.typed_sessions(text, zone, event.kind, now)
        if await editing.move(session, event.id, parts, now):
            await notices.moved(session, event, now)
            return _people_told(event.taken)
        return _("Saved.")
    if field == CAPACITY:
        freed = await seats.set_capacity(session, event.id, rules.typed_capacity(text), now)
        await notices.seated(session, event.id, freed.promoted, now)
        if freed.promoted:
            return ngettext(
                "Saved: {n} person from the waitlist got a seat and will be told.",
                "Saved: {n} people from the waitlist got a seat and will be told.",
                len(freed.promoted),
            ).format(n=len(freed.promoted))
        return _("Saved.")
    if field == WHERE:
        if event.location_id is None:
            told = await editing.set_place(
                session, event.id, now, room=None, link=rules.typed_link(text)
            )
        else:
            told = await editing.set_place(
                session, event.id, now, room=rules.typed_room(text), link=None
            )
        if told:
            await notices.moved(session, event, now, what=notices.PLACE)
            return _people_told(event.taken)
        return _("Saved.")
    if field == WINDOW:
        opens, closes = rules.typed_window(text, zone, event.starts_at)
        await editing.set_window(session, event.id, now, opens_at=opens, closes_at=closes)
        return _("Saved.")
    raise Invalid("format")


def _people_told(count: int) -> str:
    return ngettext(
        "Saved: {n} registered person will be told.",
        "Saved: {n} registered people will be told.",
        count,
    ).format(n=count)


async def publish(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    now = wall_clock()
    try:
        event = await editing.publish(session, callback_data.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    audit.record(
        session,
        person.id,
        audit.Action.EVENT_CHANGED,
        target=f"event #{event.id}",
        details={"published": True},
    )
    await query.answer(_("Published: entrepreneurs see it in Events now."), show_alert=True)
    await edit_or_send(query, *await manage_screen(session, event, person, places, now))


async def ask_discard(
    query: CallbackQuery, callback_data: EventAdminCB, session: AsyncSession, person: Person
) -> None:
    if (event := await _event(query, session, person, callback_data.id)) is None:
        return
    if event.status != EventStatus.DRAFT:
        await refuse_stale(query)
        return
    await query.answer()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("Yes, discard it"), EventAdminCB(action=AdminAction.DISCARD_YES, id=event.id)
                ),
                button(_("No"), EventAdminCB(action=AdminAction.OPEN, id=event.id)),
            ]
        ]
    )
    await edit_or_send(
        query, _("Discard the draft {title}?").format(title=html(plain_title(event))), markup
    )


async def discard(
    query: CallbackQuery,
    callback_data: EventAdminCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    gone = await editing.discard(session, callback_data.id)
    if gone:
        audit.record(
            session,
            person.id,
            audit.Action.EVENT_CHANGED,
            target=f"event #{callback_data.id}",
            details={"discarded": True},
        )
    await query.answer(_("The draft is discarded.") if gone else _("This draft is gone already."))
    await edit_or_send(query, *await menu_screen(session, wall_clock()))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(events_admin, Command("events_admin"))
    cb = router.callback_query
    cb.register(show_menu, pressed(EventAdminCB, AdminAction.MENU))
    cb.register(new_event, pressed(EventAdminCB, AdminAction.NEW))
    cb.register(pick_kind, pressed(EventAdminCB, AdminAction.KIND))
    cb.register(pick_language, pressed(EventAdminCB, AdminAction.LANG))
    cb.register(pick_place, pressed(EventAdminCB, AdminAction.PLACE))
    cb.register(no_room, pressed(EventAdminCB, AdminAction.NO_ROOM))
    cb.register(pick_zone, pressed(EventAdminCB, AdminAction.ZONE))
    cb.register(open_event, pressed(EventAdminCB, AdminAction.OPEN))
    cb.register(texts_screen, pressed(EventAdminCB, AdminAction.TEXTS))
    cb.register(ask_field, pressed(EventAdminCB, AdminAction.EDIT))
    cb.register(publish, pressed(EventAdminCB, AdminAction.PUBLISH))
    cb.register(ask_discard, pressed(EventAdminCB, AdminAction.DISCARD))
    cb.register(discard, pressed(EventAdminCB, AdminAction.DISCARD_YES))
    msg = router.message
    for state, handler in (
        (WriteEvent.room, typed_room),
        (WriteEvent.link, typed_link),
        (WriteEvent.title, typed_title),
        (WriteEvent.description, typed_description),
        (WriteEvent.sessions, typed_sessions),
        (WriteEvent.capacity, typed_capacity),
        (WriteEvent.field, typed_field),
    ):
        msg.register(handler, state, has_text, not_command)
        msg.register(typed_not_text, state)
    return router
