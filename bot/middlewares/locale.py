"""The language of every answer: the user's choice, else Telegram's hint, else the default."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18nMiddleware

from bot.i18n import locale_hint


class LocaleMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        locale = locale_hint(self.i18n, data.get("event_from_user"), data.get("person"))
        data["locale"] = locale
        return locale
