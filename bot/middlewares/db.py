"""Unit of work: one transaction per update, committed once, rolled back on error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from storage.engine import SessionFactory, ambient, unit_of_work


class DbSessionMiddleware(BaseMiddleware):
    """Gives handlers `session` (and makes it the ambient one, which the SQL conversation
    storage writes through). No connection is taken until a handler runs a query. The change
    is committed at the end, or before the first Bot API call of the update
    (`bot.outgoing`); messages to other people are outbox rows in that same transaction."""

    def __init__(self, factory: SessionFactory) -> None:
        self.factory = factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with unit_of_work(self.factory) as session:
            data["session"] = session
            with ambient(session):
                return await handler(event, data)
