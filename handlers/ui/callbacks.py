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


class FaqAction(StrEnum):
    PICK = "p"  # a "did you mean" choice
    OPEN = "o"  # a related question or one from the topic list
    NONE = "n"  # "none of these"
    UP = "u"  # helpful
    DOWN = "d"  # not helpful
    HANDOFF = "h"  # pass the question to the staff
    DISMISS = "x"  # no, thanks
    TOPICS = "t"  # the list of topics
    TOPIC = "c"  # one topic's questions, a page of them
    REPLY = "r"  # staff: answer a handed-off question


class FaqCB(CallbackData, prefix="faq"):
    action: FaqAction
    q: int = 0  # the logged question the button belongs to
    key: str = ""  # an entry or a topic id
    page: int = 0
