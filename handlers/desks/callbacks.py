"""Callback data of the desk flow, My bookings and the staff's closures (short prefixes:
the whole payload must fit 64 bytes)."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.ui.callbacks import DayNumber, RowId


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
    loc: RowId = 0
    day: DayNumber = 0
    period: str = ""
    zone: RowId = 0
    desk: RowId = 0


class BookingAction(StrEnum):
    LIST = "l"  # My bookings
    CANCEL = "c"  # ask before cancelling
    CANCEL_YES = "y"
    ICS = "i"  # the .ics file
    ACCEPT = "a"  # take a desk offered from the waitlist
    DECLINE = "d"
    LEAVE = "q"  # leave the waitlist (id is the waitlist entry)
    CHECK_IN = "h"  # "I'm here"


class BookingCB(CallbackData, prefix="bk"):
    action: BookingAction
    id: RowId = 0


class StaffAction(StrEnum):
    CLOSE = "c"  # choose the location to close
    CLOSE_YES = "y"
    CLOSE_NO = "n"  # cancel on the confirm screen
    REOPEN = "r"


class StaffCB(CallbackData, prefix="st"):
    action: StaffAction
    loc: RowId = 0
    day: DayNumber = 0
