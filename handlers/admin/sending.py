"""The end of `/broadcast`: the preview exactly as recipients get it, with the recipients
per language, then send now or schedule; ✖️ Cancel of a broadcast under way or scheduled, and
`/broadcasts`, the latest ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.admin import notices
from handlers.admin.broadcast import (
    MAX_AHEAD,
    WriteBroadcast,
    draft_of,
    expired,
    gone_text,
    not_content,
    zone_of,
)
from handlers.admin.callbacks import BroadcastAction as A
from handlers.admin.callbacks import BroadcastCB
from handlers.admin.texts import language_counts, recent_text, typed_moment
from handlers.ui.callbacks import Locale
from handlers.ui.filters import has_text, not_command, pressed, staff_router
from handlers.ui.keyboards import LANGUAGE_NAMES, button
from handlers.ui.screens import edit_or_send, own_message
from scheduler.delivery import Rendered
from storage import audit
from storage.base import WallClock
from storage.broadcasts import sending
from storage.broadcasts.audience import Audience, recipients
from storage.broadcasts.tables import Status
from storage.desks.places import Places
from storage.users import Person


async def preview(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
    bot: Bot,
) -> None:
    if (data := await draft_of(state)) is None:
        await expired(query)
        return
    now = wall_clock()
    people = await recipients(
        session, Audience.from_json(data["audience"]), now, settings.default_locale
    )
    await query.answer()
    chat = query.from_user.id
    for locale in Locale:
        if locale not in data["variants"]:
            continue
        await bot.send_message(
            chat, _("👁 Preview: {language}").format(language=LANGUAGE_NAMES[locale])
        )
        copy = notices.copy_for(
            data["variants"], settings.default_locale, data.get("button"), locale
        )
        await send_copy(bot, chat, copy)
    counts = language_counts(people, data["variants"], settings.default_locale)
    rows = [
        [button(_("📤 Send now"), BroadcastCB(action=A.SEND))],
        [button(_("🕒 Schedule"), BroadcastCB(action=A.SCHEDULE))],
        [button(_("« Back to the draft"), BroadcastCB(action=A.DRAFT))],
    ]
    await bot.send_message(
        chat,
        counts if people else _("⚠️ Nobody is in this audience. Choose another one."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows if people else rows[2:]),
    )


async def send_copy(bot: Bot, chat_id: int, copy: Rendered) -> None:
    """The copy exactly as the delivery engine sends it."""
    if copy.media is None:
        await bot.send_message(chat_id, copy.text, reply_markup=copy.markup)
        return
    kind, file_id = copy.media
    send = bot.send_photo if kind == "photo" else bot.send_document
    await send(chat_id, file_id, caption=copy.text or None, reply_markup=copy.markup)


async def _create(
    session: AsyncSession,
    person: Person,
    data: dict[str, Any],
    settings: Settings,
    when: datetime,
) -> sending.Broadcast:
    return await sending.create(
        session,
        person.id,
        variants=data["variants"],
        default_locale=settings.default_locale,
        button=data.get("button"),
        audience=Audience.from_json(data["audience"]),
        scheduled_at=when,
    )


async def send_now(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    if (data := await draft_of(state)) is None:
        await expired(query)
        return
    now = wall_clock()
    audience = Audience.from_json(data["audience"])
    if not await recipients(session, audience, now, settings.default_locale):
        await query.answer(_("⚠️ Nobody is in this audience. Choose another one."), show_alert=True)
        return
    broadcast = await _create(session, person, data, settings, now)
    await sending.launch_due(session, now, only=broadcast.id)
    notices.tell_progress(session, broadcast)
    audit.record(
        session,
        person.id,
        audit.Action.BROADCAST_SENT,
        target=f"broadcast #{broadcast.id}",
        details={"recipients": broadcast.total, "audience": broadcast.audience},
    )
    await state.clear()
    await edit_or_send(
        query,
        _("📤 Broadcast #{id} is on its way. Recipients: {count}. Its progress follows.").format(
            id=broadcast.id, count=notices.number(broadcast.total)
        ),
    )
    await query.answer()


async def ask_when(
    query: CallbackQuery, state: FSMContext, places: Places, wall_clock: WallClock
) -> None:
    if await draft_of(state) is None:
        await expired(query)
        return
    await state.set_state(WriteBroadcast.when)
    zone = zone_of(places)
    example = (wall_clock().astimezone(zone) + timedelta(days=1)).strftime("%Y-%m-%d 10:00")
    await edit_or_send(
        query,
        _("When should it go out? Write the date and time as {example}, {zone} time.").format(
            example=example, zone=zone.key
        ),
    )
    await query.answer()


async def typed_when(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    person: Person,
    places: Places,
    settings: Settings,
    wall_clock: WallClock,
) -> None:
    if (data := await draft_of(state)) is None:
        await state.clear()
        await message.answer(gone_text())
        return
    now, zone = wall_clock(), zone_of(places)
    moment = typed_moment(message.text or "", zone)
    if moment is None:
        await message.answer(
            _("Please write the date and time as 2027-01-15 10:00, {zone} time.").format(
                zone=zone.key
            )
        )
        return
    if moment <= now or moment > now + MAX_AHEAD:
        await message.answer(_("Please choose a time in the next 60 days."))
        return
    broadcast = await _create(session, person, data, settings, moment)
    audit.record(
        session,
        person.id,
        audit.Action.BROADCAST_SCHEDULED,
        target=f"broadcast #{broadcast.id}",
        details={"at": moment.isoformat(), "audience": broadcast.audience},
    )
    await state.clear()
    await message.answer(
        _(
            "🕒 Broadcast #{id} is scheduled for {time} ({zone}). It goes to the audience as it "
            "is at that moment."
        ).format(
            id=broadcast.id, time=moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"), zone=zone.key
        ),
        reply_markup=notices.cancel_markup(broadcast.id),
    )


async def cancel_broadcast(
    query: CallbackQuery,
    callback_data: BroadcastCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    now = wall_clock()
    broadcast = await sending.cancel(session, callback_data.n, now)
    if broadcast is None:
        current = await sending.get(session, callback_data.n)
        if current is None:
            await query.answer(_("This broadcast does not exist."), show_alert=True)
            return
        done = await sending.progress(session, current)
        await query.answer(_("This broadcast has already ended."), show_alert=True)
        if own_message(query) is not None:
            await edit_or_send(query, notices.progress_text(current, done, now))
        return
    audit.record(
        session, person.id, audit.Action.BROADCAST_CANCELLED, target=f"broadcast #{broadcast.id}"
    )
    notices.tell_progress(session, broadcast)  # the progress message loses its button
    done = await sending.progress(session, broadcast)
    await query.answer(_("The broadcast is cancelled."))
    await edit_or_send(query, notices.progress_text(broadcast, done, now))


async def list_broadcasts(message: Message, session: AsyncSession, places: Places) -> None:
    latest = await sending.recent(session, 10)
    progress = {row.id: await sending.progress(session, row) for row in latest}
    rows = [
        [
            button(
                _("✖️ Cancel #{id}").format(id=row.id),
                BroadcastCB(action=A.CANCEL, n=row.id),
            )
        ]
        for row in latest
        if row.status in (Status.SCHEDULED, Status.SENDING)
    ]
    await message.answer(
        recent_text(latest, progress, zone_of(places)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None,
    )


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(list_broadcasts, Command("broadcasts"))
    router.message.register(typed_when, WriteBroadcast.when, has_text, not_command)
    router.message.register(not_content, WriteBroadcast.when, not_command)
    cb = router.callback_query
    cb.register(preview, pressed(BroadcastCB, A.PREVIEW))
    cb.register(send_now, pressed(BroadcastCB, A.SEND))
    cb.register(ask_when, pressed(BroadcastCB, A.SCHEDULE))
    cb.register(cancel_broadcast, pressed(BroadcastCB, A.CANCEL))
    return router
