"""The language of every answer: the user's choice, else Telegram's hint, else the default."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from bot.i18n import pick_locale
from storage.users import Person


class LocaleMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        person: Person | None = data.get("person")
        if person is not None and person.locale in self.i18n.available_locales:
            locale = person.locale
        else:
            user: User | None = data.get("event_from_user")
            locale = pick_locale(
                user.language_code if user else None,
                self.i18n.available_locales,
                self.i18n.default_locale,
            )
        data["locale"] = locale
        return locale
