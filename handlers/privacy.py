"""Privacy: the notice (after the first language choice, and in Settings → Privacy), /mydata
(everything stored about the person, as a JSON file) and /forgetme (all of it erased, once the
person themself confirms; staff are asked to give up their role first).

The erasure is one transaction, the update's: live bookings end as if the person had
cancelled them (the next in line get the desk or the seat and are told, a coach hears that
the request was withdrawn), then their records are anonymised and their profile deleted."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.coaching import notices as coaching_notices
from handlers.desks import notices as desk_notices
from handlers.events import notices as event_notices
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.keyboards import button, home_button, home_keyboard
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import privacy
from storage.base import WallClock
from storage.coaching.tables import Status
from storage.desks.places import Places
from storage.fsm import SQLStorage
from storage.users import Directory, Person

TOKEN = "forget_token"  # in the conversation data: the confirmation on screen


class PrivacyAction(StrEnum):
    EXPORT = "x"  # send my data
    ASK = "a"  # ask to erase it
    CONFIRM = "y"
    KEEP = "n"


class PrivacyCB(CallbackData, prefix="pv"):
    action: PrivacyAction
    user: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0  # who may confirm
    token: Annotated[str, Field(max_length=16)] = ""  # which confirmation


def notice_text(days: int) -> str:
    period = ngettext("{days} day", "{days} days", days).format(days=days)
    return _(
        "🔒 <b>Privacy</b>\n"
        "I store your Telegram name, username and id, your language and reminder settings, "
        "your desk bookings and waitlist places, coaching sessions (with the topic, rating and "
        "comment you write), event registrations and the questions you ask me.\n"
        "I use them to run your bookings, remind you of them and answer you; the programme "
        "staff see them to help you.\n"
        "Question texts and the log of staff actions are anonymised after {period}. If you "
        "erase your data, your bookings are kept for statistics only, without your name or "
        "id.\n"
        "/mydata sends you all of it as a file; /forgetme erases it."
    ).format(period=period)


def private_only_text() -> str:
    return _("Please send this in a private chat with me: it is about your personal data.")


def staff_text() -> str:
    return _(
        "You are programme staff (an admin or a coach), and other people's records name you. "
        "Please ask the programme staff to remove your role first, then send /forgetme again."
    )


def _privacy_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("📄 My data"), PrivacyCB(action=PrivacyAction.EXPORT))],
            [button(_("🗑 Erase my data"), PrivacyCB(action=PrivacyAction.ASK))],
            [button(_("« Settings"), MenuCB(action=MenuAction.SETTINGS)), home_button()],
        ]
    )


async def show(query: CallbackQuery, settings: Settings) -> None:
    await query.answer()
    await edit_or_send(query, notice_text(settings.retention_days), _privacy_keyboard())


# --- /mydata --------------------------------------------------------------------------------


async def _export(
    session: AsyncSession, person: Person, state: FSMContext, now: datetime
) -> BufferedInputFile:
    document: dict[str, Any] = {"generated_at": now.isoformat(), "telegram_id": person.id}
    document |= await privacy.gather(session, person.id)
    document["conversation"] = {"state": await state.get_state(), "data": await state.get_data()}
    data = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
    return BufferedInputFile(data, filename="my-data.json")


def _export_caption(person: Person) -> str:
    return _(
        "Everything I store about you (your Telegram id: {id}). To erase it, send /forgetme."
    ).format(id=person.id)


async def mydata_command(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
) -> None:
    if message.chat.type != "private":
        await message.answer(private_only_text())
        return
    document = await _export(session, person, state, wall_clock())
    await message.answer_document(document, caption=_export_caption(person))


async def mydata_button(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    wall_clock: WallClock,
    bot: Bot,
) -> None:
    document = await _export(session, person, state, wall_clock())
    await query.answer()
    await bot.send_document(person.id, document, caption=_export_caption(person))


# --- /forgetme ------------------------------------------------------------------------------


async def _confirmation(state: FSMContext, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The question, with buttons that only this person, on this screen, can press."""
    await state.clear()  # whatever they were doing ends here
    token = secrets.token_hex(4)
    await state.set_data({TOKEN: token})
    text = _(
        "<b>Erase everything I store about you?</b>\n\n"
        "Your upcoming desk bookings, waitlist places, coaching requests and sessions and "
        "event registrations are cancelled: the next people in line get them, and your coach "
        "is told. Your profile, questions and settings are erased; past bookings stay for "
        "statistics without your name or id.\n\n"
        "This cannot be undone. To keep a copy, send /mydata first."
    )
    choices = (
        (_("🗑 Yes, erase everything"), PrivacyAction.CONFIRM),
        (_("No, keep my data"), PrivacyAction.KEEP),
    )
    rows = [
        [button(label, PrivacyCB(action=action, user=user_id, token=token))]
        for label, action in choices
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def forgetme_command(
    message: Message, session: AsyncSession, person: Person, state: FSMContext, settings: Settings
) -> None:
    if message.chat.type != "private":
        await message.answer(private_only_text())
        return
    if await privacy.is_staff(session, person.id, settings.admin_ids):
        await message.answer(staff_text())
        return
    text, markup = await _confirmation(state, person.id)
    await message.answer(text, reply_markup=markup)


async def ask(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    settings: Settings,
) -> None:
    if await privacy.is_staff(session, person.id, settings.admin_ids):
        await query.answer(staff_text(), show_alert=True)
        return
    text, markup = await _confirmation(state, person.id)
    await query.answer()
    await edit_or_send(query, text, markup)


async def _owns(query: CallbackQuery, callback_data: PrivacyCB, state: FSMContext) -> bool:
    """The presser is the person the buttons were made for, and they are still on screen
    (a forged press, someone else's, or one after the erasure is not)."""
    if callback_data.user != query.from_user.id or not callback_data.token:
        return False
    return (await state.get_data()).get(TOKEN) == callback_data.token


async def forget_person(session: AsyncSession, places: Places, user_id: int, now: datetime) -> None:
    """End the person's live bookings, tell the people that concerns, and anonymise what is
    left (all in the caller's unit of work; the seats are ended before the user goes)."""
    ended = await privacy.end_live(session, places, user_id, now)
    await desk_notices.forget(session, ended.desks)
    desk_notices.offer_desks(session, ended.offers, now)
    for booked, was in ended.sessions:
        await coaching_notices.forget(session, booked)
        event = "cancelled" if was == Status.CONFIRMED else "withdrawn"
        coaching_notices.tell_coach(session, booked, event, now)
    for event_id, promoted in ended.seated.items():
        await event_notices.seated(session, event_id, promoted, now)
    await privacy.anonymise(session, user_id)


async def _forget_conversations(state: FSMContext, session: AsyncSession, user_id: int) -> None:
    """The person's conversation state, here and in any other chat, through the storage (so
    that the SQL storage's cache forgets it too)."""
    await state.clear()
    storage, here = state.storage, state.key
    if isinstance(storage, SQLStorage):
        names = await privacy.conversation_keys(session, user_id)
    else:  # Redis: "fsm:CHAT[:THREAD]:USER:DESTINY:state|data"
        redis = getattr(storage, "redis", None)
        found = [key async for key in redis.scan_iter(match=f"fsm:*:{user_id}:*")] if redis else []
        names = [
            name.rsplit(":", 1)[0]
            for name in (key.decode() if isinstance(key, bytes) else key for key in found)
            if name.rsplit(":", 1)[-1] in ("state", "data")
            and name.split(":")[-3:-2] == [str(user_id)]
        ]
    for name in set(names):
        parts = name.split(":")
        key = StorageKey(
            bot_id=here.bot_id,
            chat_id=int(parts[1]),
            user_id=user_id,
            thread_id=int(parts[2]) if len(parts) == 5 else None,
            destiny=parts[-1],
        )
        await storage.set_state(key, None)
        await storage.set_data(key, {})


async def confirm(
    query: CallbackQuery,
    callback_data: PrivacyCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    settings: Settings,
    places: Places,
    wall_clock: WallClock,
    directory: Directory,
) -> None:
    if not await _owns(query, callback_data, state):
        await refuse_stale(query)
        return
    if await privacy.is_staff(session, person.id, settings.admin_ids):
        await query.answer(staff_text(), show_alert=True)
        return
    await _forget_conversations(state, session, person.id)  # first: while their rows exist
    await forget_person(session, places, person.id, wall_clock())
    directory.forget(person.id)
    await query.answer(_("Erased."))  # the first call to Telegram: the erasure is committed
    await edit_or_send(
        query,
        _(
            "Done: everything I stored about you is erased. If you write to me again, I will "
            "know you only as a new user."
        ),
    )


async def keep(query: CallbackQuery, callback_data: PrivacyCB, state: FSMContext) -> None:
    if not await _owns(query, callback_data, state):
        await refuse_stale(query)
        return
    await state.clear()
    await query.answer()
    await edit_or_send(query, _("All right: nothing is erased."), home_keyboard())


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(mydata_command, Command("mydata"))
    router.message.register(forgetme_command, Command("forgetme"))
    cb = router.callback_query
    cb.register(show, pressed(MenuCB, MenuAction.SETTINGS_PRIVACY))
    cb.register(mydata_button, pressed(PrivacyCB, PrivacyAction.EXPORT))
    cb.register(ask, pressed(PrivacyCB, PrivacyAction.ASK))
    cb.register(confirm, pressed(PrivacyCB, PrivacyAction.CONFIRM))
    cb.register(keep, pressed(PrivacyCB, PrivacyAction.KEEP))
    return router
