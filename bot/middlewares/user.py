"""Who is writing: the `person` of every update, created on first contact."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from storage.users import Directory, Profile


class UserMiddleware(BaseMiddleware):
    """Resolves `person` through the directory, which writes only when something changed."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            profile = Profile(user.id, user.first_name, user.last_name, user.username)
            if _is_start(event):  # back (perhaps after blocking the bot): written afresh
                self.directory.forget(user.id)
            data["person"] = await self.directory.resolve(data["session"], profile)
        return await handler(event, data)


def _is_start(event: TelegramObject) -> bool:
    """/start: what Telegram sends when someone opens the bot again, e.g. after unblocking it."""
    message = getattr(event, "message", None)
    text = getattr(message, "text", None) or ""
    return text == "/start" or text.startswith(("/start ", "/start@"))
