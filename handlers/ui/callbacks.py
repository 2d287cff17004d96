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


class DeskAction(StrEnum):
    PLACES = "l"  # the list of locations
    CALENDAR = "c"  # a location's calendar
    DAY = "d"  # the periods of a day
    PERIOD = "p"  # "any free desk" or a zone, for a period
    ZONE = "z"  # the free desks of a zone
    SUMMARY = "s"  # check before booking
    CONFIRM = "ok"  # book it
    WAIT = "w"  # join the waitlist
    CLOSED = "x"  # a closed day (answers why)
    NOOP = "n"  # calendar headers and blanks


class DeskCB(CallbackData, prefix="dk"):
    """Every step of the desk flow carries all it needs; the server re-checks all of it."""

    action: DeskAction
    loc: int = 0
    day: int = 0  # date.toordinal()
    period: str = ""
    zone: int = 0
    desk: int = 0


class BookingAction(StrEnum):
    LIST = "l"  # My bookings
    CANCEL = "c"  # ask before cancelling
    CANCEL_YES = "y"
    ICS = "i"  # the .ics file
    ACCEPT = "a"  # take a desk offered from the waitlist
    DECLINE = "d"
    LEAVE = "q"  # leave the waitlist (id is the waitlist entry)


class BookingCB(CallbackData, prefix="bk"):
    action: BookingAction
    id: int = 0


class StaffAction(StrEnum):
    CLOSE = "c"  # choose the location to close
    CLOSE_YES = "y"
    REOPEN = "r"


class StaffCB(CallbackData, prefix="st"):
    action: StaffAction
    loc: int = 0
    day: int = 0
