"""Async filters: aiogram runs synchronous ones (such as `F.text`) in a worker thread."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from storage.users import Person


async def has_text(message: Message) -> bool:
    return message.text is not None


async def is_command(message: Message) -> bool:
    return (message.text or "").startswith("/")


async def not_command(message: Message) -> bool:
    return not (message.text or "").startswith("/")


async def staff_in_private_chat(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """The staff tools' guard, put on their routers (`router.message.middleware(...)`, and
    `router.callback_query.middleware(...)`): it runs once one of their handlers has matched.
    Staff commands and buttons show personal data, so they work only in a private chat. The
    role comes first: anyone but an admin gets the handler's own refusal wherever they write;
    an admin elsewhere is told to use a private chat, and nothing else is shown."""
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
