"""Retrying Bot API calls: wait as long as Telegram asks on 429, back off on 5xx and drops."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetMe, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)
TRANSIENT = (TelegramRetryAfter, TelegramServerError, TelegramNetworkError)


class RetryMiddleware(BaseRequestMiddleware):
    """Retries transient failures of every call but getUpdates (polling has its own backoff)
    and getMe (asked once at start, where a failure is one clear error and exit 2).

    A 403 (the user blocked the bot) or a 400 is final and is raised at once.
    """

    def __init__(self, attempts: int = 4, max_wait: float = 60.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self._backoff = wait_exponential(multiplier=0.5, max=max_wait)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TelegramRetryAfter):
            return float(min(error.retry_after, self.max_wait))
        return self._backoff(state)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates | GetMe):
            return await make_request(bot, method)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TRANSIENT),
            before_sleep=self._log,
            reraise=True,
        )
        result: Any = await retrying(make_request, bot, method)
        return result  # type: ignore[no-any-return]

    @staticmethod
    def _log(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("retrying a Bot API call after %s (attempt %d)", error, state.attempt_number)
