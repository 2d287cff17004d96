"""Callback data of the shared widgets (short prefixes: the whole payload must fit 64 bytes)."""

from datetime import date
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Numbers in callback data are checked when the button is read: anyone can send any data, and
# an id past what the databases store (2^31 on PostgreSQL) or a day past what `date` holds
# would fail deep inside a handler. Out of range, the button is simply not recognised and is
# answered as stale. 0 means "none".
RowId = Annotated[int, Field(ge=0, le=2**31 - 1)]
DayNumber = Annotated[int, Field(ge=0, le=date(2100, 12, 31).toordinal())]  # date.toordinal()
PageNumber = Annotated[int, Field(ge=0, le=10_000)]


class MenuAction(StrEnum):
    ASK = "ask"
    DESK = "desk"
    COACH = "coach"
    EVENTS = "events"
    BOOKINGS = "bookings"
    SETTINGS = "settings"
    HOME = "home"
    SETTINGS_LANGUAGE = "lang"
    SETTINGS_REMINDERS = "rem"
    SETTINGS_PRIVACY = "priv"


class Locale(StrEnum):
    EN = "en"
    RU = "ru"
    FI = "fi"


class MenuCB(CallbackData, prefix="m"):
    action: MenuAction


class LanguageCB(CallbackData, prefix="lang"):
    locale: Locale
