"""Error boundary: a failing update is logged with its id and answered politely."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import TelegramObject, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import locale_hint
from bot.metrics import Metrics
from storage.engine import SessionFactory, unit_of_work
from storage.users import Directory, mark_blocked

log = logging.getLogger(__name__)


class ErrorBoundaryMiddleware(BaseMiddleware):
    """Never lets an exception reach the user as silence or a traceback."""

    def __init__(
        self, i18n: I18n, factory: SessionFactory, directory: Directory, metrics: Metrics
    ) -> None:
        self.i18n = i18n
        self.directory = directory
        self.factory = factory
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.metrics.started()
        try:
            return await handler(event, data)
        except TelegramForbiddenError as error:
            await self._blocked(data, error)
        except Exception:
            self.metrics.failed()
            update_id = event.update_id if isinstance(event, Update) else None
            log.exception("update %s failed", update_id)
            await self._apologise(event, data)
        finally:
            self.metrics.finished()
        return None

    async def _blocked(self, data: dict[str, Any], error: TelegramForbiddenError) -> None:
        user = data.get("event_from_user")
        chat_id = getattr(error.method, "chat_id", None)
        if user is None or (chat_id is not None and str(chat_id) != str(user.id)):
            log.warning("a message to chat %s was refused: %s", chat_id, error.message)
            return
        log.info("user %s blocked the bot", user.id)
        async with unit_of_work(self.factory) as session:
            await mark_blocked(session, user.id)
        self.directory.forget(user.id)  # their next message clears the mark

    async def _apologise(self, event: TelegramObject, data: dict[str, Any]) -> None:
        bot: Bot | None = data.get("bot")
        if bot is None or not isinstance(event, Update):
            return
        user = data.get("event_from_user")
        person = self.directory.cached(user.id) if user else None
        locale = data.get("locale") or locale_hint(self.i18n, user, person)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = _("Sorry, something went wrong on our side. Please try again.")
        try:
            if event.callback_query is not None:
                await event.callback_query.answer(text, show_alert=True)
            elif event.message is not None:
                await bot.send_message(event.message.chat.id, text)
        except TelegramAPIError:
            log.warning("could not tell update %s about the failure", event.update_id)
