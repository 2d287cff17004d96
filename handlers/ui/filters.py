"""Async filters: aiogram runs synchronous ones (such as `F.text`) in a worker thread."""

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Literal

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from storage.users import Person, is_admin_now


async def has_text(message: Message) -> bool:
    return message.text is not None


class Pressed(CallbackQueryFilter):
    """A press of a `callback_data` button with one of `actions` (any, if none are given).

    The same test as `callback_data.filter(F.action == action)`, cheaper: the payload's head
    (prefix and action) is compared as a string first, and only a payload that passes is
    unpacked and validated. A press is tried against every handler in turn until one
    matches, so a press of a late router's button was unpacked over a hundred times."""

    __slots__ = ("heads",)

    def __init__(self, callback_data: type[CallbackData], *actions: Enum) -> None:
        rule = None
        if actions:
            if next(iter(callback_data.model_fields), None) != "action":
                raise TypeError(f"{callback_data.__name__}: `action` must be the first field")
            rule = F.action == actions[0] if len(actions) == 1 else F.action.in_(actions)
        super().__init__(callback_data=callback_data, rule=rule)
        sep = callback_data.__separator__
        prefix = callback_data.__prefix__ + sep
        self.heads = tuple(f"{prefix}{action.value}{sep}" for action in actions) or (prefix,)

    async def __call__(self, query: TelegramObject) -> Literal[False] | dict[str, Any]:
        data = query.data if isinstance(query, CallbackQuery) else None
        if not data or not (data + self.callback_data.__separator__).startswith(self.heads):
            return False
        return await super().__call__(query)


def pressed(callback_data: type[CallbackData], *actions: Enum) -> Pressed:
    """The filter of a handler of `callback_data` buttons with one of `actions`."""
    return Pressed(callback_data, *actions)


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
