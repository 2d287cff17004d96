"""`/broadcast`: an admin writes an announcement as an ordinary Telegram message (formatting,
optionally one photo or document), adds a variant per language and optionally one button,
picks the audience, sees a preview exactly as recipients will, then sends it now or at a set
time (handlers.admin.sending).

The draft lives in the conversation state; the broadcast is written only when sent or
scheduled, and its copies go out through the outbox (storage.broadcasts, scheduler/broadcasts).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.enums import ContentType
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.admin import notices
from handlers.admin.callbacks import BroadcastAction as A
from handlers.admin.callbacks import BroadcastCB
from handlers.admin.texts import (
    audience_text,
    draft_text,
)
from handlers.desks.texts import locale as current_locale
from handlers.events.screens import short_label
from handlers.events.texts import plain_title
from handlers.ui.callbacks import Locale, MenuAction
from handlers.ui.filters import has_text, not_command, pressed, staff_router
from handlers.ui.keyboards import LANGUAGE_NAMES, button
from handlers.ui.screens import edit_or_send
from storage.base import WallClock
from storage.broadcasts.audience import MAX_DAYS, Audience, Kind, recipients
from storage.desks.places import Places
from storage.events import listing
from storage.events.tables import Event, EventStatus

MAX_AHEAD = timedelta(days=60)
CONTENT = {ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT}


class WriteBroadcast(StatesGroup):
    message = State()  # the announcement of data["editing"]'s language
    draft = State()  # the draft screen: buttons only
    days = State()  # "active in the last N days": N
    when = State()  # the moment to send it


def zone_of(places: Places) -> ZoneInfo:
    """The zone scheduled times are written in: that of the first Oasis."""
    return places.all[0].timezone if places.all else ZoneInfo("Europe/Helsinki")


async def draft_of(state: FSMContext) -> dict[str, Any] | None:
    data = await state.get_data()
    return data if "variants" in data and data.get("variants") else None


async def _screen(
    session: AsyncSession, data: dict[str, Any], places: Places, now: datetime, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    audience = Audience.from_json(data["audience"])
    people = await recipients(session, audience, now, settings.default_locale)
    text = draft_text(
        data["variants"],
        settings.default_locale,
        data.get("button"),
        await audience_text(session, audience, places),
        len(people),
        await _button_text(session, data.get("button")),
    )
    rows = []
    for locale in Locale:
        mark = "✏️" if locale in data["variants"] else "➕"
        rows.append(
            button(f"{mark} {LANGUAGE_NAMES[locale]}", BroadcastCB(action=A.VARIANT, lang=locale))
        )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            rows,
            [button(_("🔘 Button"), BroadcastCB(action=A.BUTTON))],
            [button(_("👥 Audience"), BroadcastCB(action=A.AUDIENCE))],
            [button(_("👁 Preview"), BroadcastCB(action=A.PREVIEW))],
            [button(_("🗑 Discard"), BroadcastCB(action=A.DISCARD))],
        ]
    )
    return text, markup


async def _button_text(session: AsyncSession, spec: dict[str, Any] | None) -> str | None:
    if not spec:
        return None
    if spec.get("kind") == notices.EVENT_BUTTON:
        event = await session.get(Event, int(spec.get("ref") or 0))
        title = plain_title(event) if event is not None else "?"
        return _("📅 Open the event: {title}").format(title=short_label(title))
    return notices.flow_label(MenuAction(spec["kind"]))


async def start(message: Message, state: FSMContext, settings: Settings) -> None:
    await state.clear()
    await state.set_state(WriteBroadcast.message)
    await state.update_data(
        editing=settings.default_locale,
        variants={},
        button=None,
        audience=Audience(Kind.EVERYONE).as_json(),
    )
    await message.answer(_ask_text(settings.default_locale, first=True))


def _ask_text(locale: str, *, first: bool = False) -> str:
    language = LANGUAGE_NAMES[Locale(locale)]
    if first:
        return _(
            "📣 <b>New broadcast</b>\n"
            "Send the announcement in {language} exactly as people should see it: text with "
            "any formatting, or one photo or document with a caption. People whose language has "
            "no variant of its own get this one. /cancel stops."
        ).format(language=language)
    return _(
        "Send the {language} variant: text with any formatting, or one photo or document with "
        "a caption."
    ).format(language=language)


async def written(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    data = await state.get_data()
    media: list[str] | None = None
    if message.content_type not in CONTENT:
        await message.answer(_not_content_text())
        return
    if message.photo:
        media = ["photo", message.photo[-1].file_id]
    elif message.document:
        media = ["document", message.document.file_id]
    html = message.html_text if (message.text or message.caption) else ""
    if media is None and not html.strip():
        await message.answer(_not_content_text())
        return
    variants = dict(data.get("variants") or {})
    variants[str(data.get("editing") or settings.default_locale)] = {"html": html, "media": media}
    data["variants"] = variants
    await state.update_data(variants=variants)
    await state.set_state(WriteBroadcast.draft)
    text, markup = await _screen(session, data, places, wall_clock(), settings)
    await message.answer(text, reply_markup=markup)


def _not_content_text() -> str:
    return _("A broadcast is text, a photo or a document. Please send one of those, or /cancel.")


async def not_content(message: Message) -> None:
    await message.answer(_not_content_text())


async def use_buttons(message: Message) -> None:
    await message.answer(_("Please use the buttons of the draft, or send /cancel to stop."))


def gone_text() -> str:
    return _("This draft is no longer open. Send /broadcast to write a new one.")


async def expired(query: CallbackQuery) -> None:
    await query.answer(gone_text(), show_alert=True)


async def _show_draft(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    data: dict[str, Any],
    places: Places,
    now: datetime,
    settings: Settings,
) -> None:
    """Back to the draft screen, in place of the pressed message."""
    await state.set_state(WriteBroadcast.draft)
    text, markup = await _screen(session, data, places, now, settings)
    await edit_or_send(query, text, markup)
    await query.answer()


async def show_draft(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    if (data := await draft_of(state)) is None:
        await expired(query)
        return
    await _show_draft(query, state, session, data, places, wall_clock(), settings)


async def ask_variant(query: CallbackQuery, callback_data: BroadcastCB, state: FSMContext) -> None:
    if await draft_of(state) is None or callback_data.lang is None:
        await expired(query)
        return
    await state.update_data(editing=str(callback_data.lang))
    await state.set_state(WriteBroadcast.message)
    await edit_or_send(query, _ask_text(str(callback_data.lang)))
    await query.answer()


async def pick_button(query: CallbackQuery, state: FSMContext) -> None:
    if await draft_of(state) is None:
        await expired(query)
        return
    rows = [[button(_("No button"), BroadcastCB(action=A.BUTTON_SET))]]
    rows += [
        [button(notices.flow_label(flow), BroadcastCB(action=A.BUTTON_SET, kind=str(flow)))]
        for flow in notices.FLOWS
    ]
    rows.append([button(_("📅 An event…"), BroadcastCB(action=A.BUTTON_EVENT))])
    rows.append([button(_("« Back to the draft"), BroadcastCB(action=A.DRAFT))])
    await edit_or_send(
        query,
        _("Which button should the announcement carry? It opens the chosen part of the bot."),
        InlineKeyboardMarkup(inline_keyboard=rows),
    )
    await query.answer()


async def _event_choices(
    session: AsyncSession, now: datetime, action: A, kind: str = ""
) -> InlineKeyboardMarkup | None:
    page = await listing.upcoming(session, now, limit=8)
    if not page.events:
        return None
    rows = [
        [button(short_label(plain_title(event)), BroadcastCB(action=action, kind=kind, n=event.id))]
        for event in page.events
    ]
    rows.append([button(_("« Back to the draft"), BroadcastCB(action=A.DRAFT))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def pick_button_event(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, wall_clock: WallClock
) -> None:
    if await draft_of(state) is None:
        await expired(query)
        return
    markup = await _event_choices(session, wall_clock(), A.BUTTON_SET, notices.EVENT_BUTTON)
    if markup is None:
        await query.answer(_("There are no upcoming events."), show_alert=True)
        return
    await edit_or_send(query, _("Which event should the button open?"), markup)
    await query.answer()


async def _upcoming_event(session: AsyncSession, event_id: int, now: datetime) -> Event | None:
    event = await session.get(Event, event_id)
    if event is None or event.status != EventStatus.SCHEDULED or event.ends_at <= now:
        return None
    return event


async def set_button(
    query: CallbackQuery,
    callback_data: BroadcastCB,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    if (data := await draft_of(state)) is None:
        await expired(query)
        return
    kind, now = callback_data.kind, wall_clock()
    spec: dict[str, Any] | None
    if not kind:
        spec = None
    elif kind == notices.EVENT_BUTTON:
        if await _upcoming_event(session, callback_data.n, now) is None:
            await query.answer(_("That event is no longer available."), show_alert=True)
            return
        spec = {"kind": kind, "ref": callback_data.n}
    elif kind in {str(flow) for flow in notices.FLOWS}:
        spec = {"kind": kind, "ref": None}
    else:
        await expired(query)
        return
    data["button"] = spec
    await state.update_data(button=spec)
    await _show_draft(query, state, session, data, places, now, settings)


async def pick_audience(query: CallbackQuery, state: FSMContext) -> None:
    if await draft_of(state) is None:
        await expired(query)
        return
    choices = (
        (_("Everyone"), BroadcastCB(action=A.AUDIENCE_SET, kind=Kind.EVERYONE)),
        (_("By language…"), BroadcastCB(action=A.AUDIENCE_PICK, kind=Kind.LANGUAGE)),
        (_("By Oasis…"), BroadcastCB(action=A.AUDIENCE_PICK, kind=Kind.LOCATION)),
        (_("Coaches"), BroadcastCB(action=A.AUDIENCE_SET, kind=Kind.COACHES)),
        (_("Registered for an event…"), BroadcastCB(action=A.AUDIENCE_PICK, kind=Kind.EVENT)),
        (_("Active in the last N days…"), BroadcastCB(action=A.AUDIENCE_PICK, kind=Kind.ACTIVE)),
        (_("« Back to the draft"), BroadcastCB(action=A.DRAFT)),
    )  # fmt: skip
    await edit_or_send(
        query,
        _("Who should get the announcement? People who blocked the bot are left out."),
        InlineKeyboardMarkup(inline_keyboard=[[button(label, data)] for label, data in choices]),
    )
    await query.answer()


async def pick_audience_value(
    query: CallbackQuery,
    callback_data: BroadcastCB,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    wall_clock: WallClock,
) -> None:
    if await draft_of(state) is None:
        await expired(query)
        return
    back = [button(_("« Back to the draft"), BroadcastCB(action=A.DRAFT))]
    kind = callback_data.kind
    markup: InlineKeyboardMarkup | None
    if kind == Kind.LANGUAGE:
        text = _("People who speak with the bot in which language?")
        rows = [
            [button(LANGUAGE_NAMES[loc], BroadcastCB(action=A.AUDIENCE_SET, kind=kind, lang=loc))]
            for loc in Locale
        ]
        markup = InlineKeyboardMarkup(inline_keyboard=[*rows, back])
    elif kind == Kind.LOCATION:
        text = _("People who have booked a desk at which Oasis?")
        rows = [
            [
                button(
                    place.name(current_locale()),
                    BroadcastCB(action=A.AUDIENCE_SET, kind=kind, n=place.id),
                )
            ]
            for place in places.all
        ]
        markup = InlineKeyboardMarkup(inline_keyboard=[*rows, back])
    elif kind == Kind.EVENT:
        text = _("People registered for (or in line for) which event?")
        markup = await _event_choices(session, wall_clock(), A.AUDIENCE_SET, Kind.EVENT)
        if markup is None:
            await query.answer(_("There are no upcoming events."), show_alert=True)
            return
    elif kind == Kind.ACTIVE:
        await state.set_state(WriteBroadcast.days)
        text = _(
            "People who wrote to the bot in the last how many days? Write a number from 1 to {max}."
        ).format(max=MAX_DAYS)
        await edit_or_send(query, text)
        await query.answer()
        return
    else:
        await expired(query)
        return
    await edit_or_send(query, text, markup)
    await query.answer()


async def set_audience(
    query: CallbackQuery,
    callback_data: BroadcastCB,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    if (data := await draft_of(state)) is None:
        await expired(query)
        return
    now = wall_clock()
    try:
        kind = Kind(callback_data.kind)
    except ValueError:
        await expired(query)
        return
    value: str | int | None = None
    if kind is Kind.LANGUAGE:
        if callback_data.lang is None:
            await expired(query)
            return
        value = str(callback_data.lang)
    elif kind is Kind.LOCATION:
        if places.get(callback_data.n) is None:
            await expired(query)
            return
        value = callback_data.n
    elif kind is Kind.EVENT:
        if await _upcoming_event(session, callback_data.n, now) is None:
            await query.answer(_("That event is no longer available."), show_alert=True)
            return
        value = callback_data.n
    elif kind is Kind.ACTIVE:
        await expired(query)  # typed, never pressed
        return
    data["audience"] = Audience(kind, value).as_json()
    await state.update_data(audience=data["audience"])
    await _show_draft(query, state, session, data, places, now, settings)


async def typed_days(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    if (data := await draft_of(state)) is None:
        await state.clear()
        await message.answer(gone_text())
        return
    typed = (message.text or "").strip()
    if not typed.isdigit() or not 1 <= int(typed) <= MAX_DAYS:
        await message.answer(_("Please write a number from 1 to {max}.").format(max=MAX_DAYS))
        return
    data["audience"] = Audience(Kind.ACTIVE, int(typed)).as_json()
    await state.update_data(audience=data["audience"])
    await state.set_state(WriteBroadcast.draft)
    text, markup = await _screen(session, data, places, wall_clock(), settings)
    await message.answer(text, reply_markup=markup)


async def discard(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await edit_or_send(query, _("The draft is discarded."))
    await query.answer()


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(start, Command("broadcast"))
    router.message.register(written, WriteBroadcast.message, not_command)
    router.message.register(typed_days, WriteBroadcast.days, has_text, not_command)
    router.message.register(use_buttons, WriteBroadcast.draft, not_command)
    router.message.register(not_content, WriteBroadcast.days, not_command)
    cb = router.callback_query
    cb.register(show_draft, pressed(BroadcastCB, A.DRAFT))
    cb.register(ask_variant, pressed(BroadcastCB, A.VARIANT))
    cb.register(pick_button, pressed(BroadcastCB, A.BUTTON))
    cb.register(pick_button_event, pressed(BroadcastCB, A.BUTTON_EVENT))
    cb.register(set_button, pressed(BroadcastCB, A.BUTTON_SET))
    cb.register(pick_audience, pressed(BroadcastCB, A.AUDIENCE))
    cb.register(pick_audience_value, pressed(BroadcastCB, A.AUDIENCE_PICK))
    cb.register(set_audience, pressed(BroadcastCB, A.AUDIENCE_SET))
    cb.register(discard, pressed(BroadcastCB, A.DISCARD))
    return router
