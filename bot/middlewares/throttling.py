"""Flood control: a token bucket per user, so one person cannot crowd out the others."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import locale_hint
from bot.metrics import Metrics
from storage.users import Directory


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


class TokenBuckets:
    """`rate` actions per second with bursts of `burst`, per key."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def take(self, key: int) -> bool:
        """Spend one token; False when the key must wait."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True
        return False

    def warn_once(self, key: int) -> bool:
        """True the first time a waiting key is told to slow down."""
        bucket = self._buckets[key]
        first, bucket.warned = not bucket.warned, True
        return first

    def _forget_full(self, now: float) -> None:
        idle = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp > idle]:
            del self._buckets[key]


class ThrottlingMiddleware(BaseMiddleware):
    """Drops a flooding user's extra updates, telling them once to slow down."""

    def __init__(
        self, buckets: TokenBuckets, i18n: I18n, directory: Directory, metrics: Metrics
    ) -> None:
        self.metrics = metrics
        self.buckets = buckets
        self.i18n = i18n
        self.directory = directory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or self.buckets.take(user.id):
            return await handler(event, data)
        self.metrics.throttled()
        if self.buckets.warn_once(user.id) and isinstance(event, Update):
            await self._slow_down(event, user, data["bot"])
        elif isinstance(event, Update) and event.callback_query is not None:
            await self._quietly(event.callback_query.answer())
        return None

    async def _slow_down(self, event: Update, user: User, bot: Bot) -> None:
        locale = locale_hint(self.i18n, user, self.directory.cached(user.id))
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = _("You are sending messages too fast. Please wait a moment.")
        if event.callback_query is not None:
            await self._quietly(event.callback_query.answer(text))
        elif event.message is not None:
            await self._quietly(bot.send_message(event.message.chat.id, text))

    @staticmethod
    async def _quietly(call: Awaitable[Any]) -> None:
        with suppress(TelegramAPIError):
            await call
