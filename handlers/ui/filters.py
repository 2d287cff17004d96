"""Async filters: aiogram runs synchronous ones (such as `F.text`) in a worker thread."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from storage.users import Person, is_admin_now


async def has_text(message: Message) -> bool:
    return message.text is not None


async def is_command(message: Message) -> bool:
    return (message.text or "").startswith("/")


async def not_command(message: Message) -> bool:
    return not (message.text or "").startswith("/")


async def is_admin(event: TelegramObject, person: Person, session: AsyncSession) -> bool:
    """Staff handlers match admins only: anyone else's command falls through to the ordinary
    unknown-command answer, and their press of a staff button to the stale-button answer, so
    nothing tells them that staff tools exist. Someone the cache knows as an admin is checked
    against the database once per update (a role taken away on another instance stops at
    once); anyone else costs no query."""
    if not person.is_admin:
        return False
    checked = session.info.get(_ADMIN_CHECKED)
    if checked is None or checked[0] != person.id:
        checked = (person.id, await is_admin_now(session, person.id))
        session.info[_ADMIN_CHECKED] = checked
    return checked[1]


_ADMIN_CHECKED = "admin_checked"


async def staff_in_private_chat(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """The staff tools' guard, put on their routers (`router.message.middleware(...)`, and
    `router.callback_query.middleware(...)`): it runs once one of their handlers has matched,
    which only an admin's update does (`is_admin`, the routers' filter). Staff commands and
    buttons show personal data, so they work only in a private chat: an admin elsewhere is
    told to use one, and nothing else is shown. (The role is checked again here, first: a
    handler reached without the filter still refuses anyone but an admin.)"""
    person: Person | None = data.get("person")
    if isinstance(event, Message):
        chat: Chat | None = event.chat
    elif isinstance(event, CallbackQuery) and isinstance(event.message, Message):
        chat = event.message.chat
    else:
        chat = None
    if person is None or not person.is_admin or (chat is not None and chat.type == "private"):
        return await handler(event, data)
    text = _("Staff commands work only in a private chat with the bot.")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, Message):
        await event.answer(text)
    return None


def staff_router(name: str) -> Router:
    """A router of staff tools: its commands and buttons match admins only (`is_admin`) and
    work only in a private chat (`staff_in_private_chat`)."""
    router = Router(name=name)
    for observer in (router.message, router.callback_query):
        observer.filter(is_admin)
        observer.middleware(staff_in_private_chat)
    return router
