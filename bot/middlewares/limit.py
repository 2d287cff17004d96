"""A bound on the updates one instance handles at once, so a burst waits its turn instead of
exhausting the Redis and database pools (which would fail updates nobody then answers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class ConcurrencyLimit(BaseMiddleware):
    """At most `limit` updates past this point at a time; the others wait in arrival order."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._slots:
            return await handler(event, data)
