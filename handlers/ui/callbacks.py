"""Callback data of the shared widgets (short prefixes: the whole payload must fit 64 bytes)."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    ASK = "ask"
    DESK = "desk"
    COACH = "coach"
    EVENTS = "events"
    BOOKINGS = "bookings"
    SETTINGS = "settings"
    HOME = "home"
    SETTINGS_LANGUAGE = "lang"


class Locale(StrEnum):
    EN = "en"
    RU = "ru"
    FI = "fi"


class MenuCB(CallbackData, prefix="m"):
    action: MenuAction


class LanguageCB(CallbackData, prefix="lang"):
    locale: Locale
