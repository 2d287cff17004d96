"""What every Bot API call of the bot obeys, whoever makes it.

- Nothing is said before it is committed: the current update's unit of work is committed
  before the call goes out. A person who reads "Booked!" has a booking that survives a crash
  a moment later, and no database lock is held while Telegram answers (or while a retry
  waits out a 429).
- Alerts fit: Telegram refuses a callback answer over 200 characters, so a longer one (a
  closure reason typed by the staff, say) is cut with an ellipsis instead of failing.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

from storage.engine import commit_ambient

MAX_ALERT = 200


class OutgoingGuard(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        await commit_ambient()
        if isinstance(method, AnswerCallbackQuery) and method.text:
            method.text = fit_alert(method.text)
        return await make_request(bot, method)


def fit_alert(text: str) -> str:
    return text if len(text) <= MAX_ALERT else text[: MAX_ALERT - 1].rstrip() + "…"


def guard(session: BaseSession) -> BaseSession:
    """Put the guard first on `session` (before retries: a retry's sleep comes after the
    commit); returns the session."""
    session.middleware.register(OutgoingGuard())
    return session
