"""Callback data of events (short prefixes: the whole payload must fit 64 bytes)."""

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.ui.callbacks import PageNumber, RowId

KindIndex = Annotated[int, Field(ge=0, le=5)]  # 0: any; else 1 + the kind's place in KINDS
PersonId = Annotated[int, Field(ge=0, le=2**53)]


class EventAction(StrEnum):
    LIST = "l"  # a page of upcoming events (kind, lang filters)
    KINDS = "k"  # choose a kind to filter by
    LANGS = "g"  # choose a language to filter by
    CARD = "c"
    REGISTER = "r"
    LEAVE = "u"  # unregister, or leave the line: asks first
    LEAVE_YES = "uy"
    ICS = "i"


class EventCB(CallbackData, prefix="ev"):
    action: EventAction
    id: RowId = 0
    page: PageNumber = 0
    kind: KindIndex = 0
    lang: str = ""  # "" any, else en / ru / fi


class StaffAction(StrEnum):
    ATTENDANCE = "a"  # the list of registered people with a tap each (page)
    MARK = "m"  # toggle `user` came
    CANCEL = "c"  # ask to confirm
    CANCEL_YES = "cy"


class EventStaffCB(CallbackData, prefix="es"):
    action: StaffAction
    id: RowId = 0
    user: PersonId = 0
    page: PageNumber = 0


class AdminAction(StrEnum):
    MENU = "m"  # drafts and upcoming events
    NEW = "n"  # a new event, step by step:
    KIND = "k"  # n: 1 + the kind's place in KINDS
    LANG = "g"  # lang: the language it is held in
    PLACE = "p"  # id: a place, 0 online
    NO_ROOM = "r"
    ZONE = "z"  # n: the place of the zone in those offered (an online event)
    OPEN = "o"  # a draft or event, with what can be changed on it
    TEXTS = "t"  # which text to change
    EDIT = "e"  # n: the field (admin.FIELDS); lang: the language of a text
    PUBLISH = "pu"
    DISCARD = "d"  # a draft: asks first
    DISCARD_YES = "dy"


class EventAdminCB(CallbackData, prefix="ea"):
    action: AdminAction
    id: RowId = 0
    n: Annotated[int, Field(ge=0, le=20)] = 0
    lang: str = ""
