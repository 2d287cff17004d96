"""Callback data of coaching (short prefixes: the whole payload must fit 64 bytes).

Times travel as whole minutes since the epoch (UTC); people as Telegram ids, which are larger
than a row id; an expertise as its place in the fixed list."""

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.ui.callbacks import PageNumber, RowId

PersonId = Annotated[int, Field(ge=0, le=2**53)]
Minute = Annotated[int, Field(ge=0, le=2**31 - 1)]  # minutes since 1970-01-01 UTC
Small = Annotated[int, Field(ge=0, le=99)]


class FindAction(StrEnum):
    START = "h"  # how to find a coach (by topic / by coach)
    TOPICS = "t"  # the list of topics
    COACHES = "c"  # coaches (of a topic, speaking a language)
    CARD = "k"  # a coach's card
    SLOTS = "s"  # a coach's free slots, by day, a page
    PICK = "p"  # a slot chosen: ask for the topic
    MODE = "m"  # online or in person chosen
    CONFIRM = "ok"  # send the request


class FindCB(CallbackData, prefix="cf"):
    action: FindAction
    coach: PersonId = 0
    topic: Small = 0  # 1 + the expertise's place in the list; 0: any
    lang: str = ""  # "" any
    page: PageNumber = 0
    at: Minute = 0
    mode: str = ""  # "o" online, "p" in person


class AnswerAction(StrEnum):
    VIEW = "v"  # the request card, as it stands
    ACCEPT = "a"
    DECLINE = "d"  # choose a reason
    REASON = "r"  # decline with preset `n` (0: no reason)
    TYPE = "w"  # decline with a typed reason
    PROPOSE = "p"  # choose another time (page `n`)
    PROPOSE_AT = "q"
    MOVE_YES = "my"  # accept the entrepreneur's new time
    MOVE_NO = "mn"  # keep the old time
    CANCEL = "c"  # the coach cancels a confirmed session: choose a reason
    CANCEL_REASON = "cr"  # with preset `n`
    ICS = "i"


class AnswerCB(CallbackData, prefix="ca"):
    action: AnswerAction
    id: RowId = 0
    n: Small = 0
    at: Minute = 0


class SessionAction(StrEnum):
    VIEW = "v"
    CANCEL = "c"  # ask before cancelling (or withdrawing)
    CANCEL_YES = "y"
    TAKE = "t"  # take the time the coach proposed
    REFUSE = "r"  # turn it down
    ICS = "i"
    MOVE = "m"  # choose another time (page `n`)
    MOVE_AT = "a"
    MESSAGE = "w"  # too late to cancel: write to the coach


class SessionCB(CallbackData, prefix="cs"):
    action: SessionAction
    id: RowId = 0
    n: PageNumber = 0
    at: Minute = 0


class PanelAction(StrEnum):
    HOME = "h"
    LATE = "l"  # running late: choose 5/10/15 minutes (`n`)
    LATE_SEND = "ls"
    CANCEL_DAY = "x"  # cancel today: ask
    CANCEL_DAY_YES = "xy"


class PanelCB(CallbackData, prefix="cp"):
    action: PanelAction
    n: Small = 0


class CoachAdminAction(StrEnum):
    LIST = "l"
    RETIRE = "r"  # ask
    RETIRE_YES = "y"


class CoachAdminCB(CallbackData, prefix="cm"):
    action: CoachAdminAction
    coach: PersonId = 0


class EditAction(StrEnum):
    AVAILABILITY = "a"
    WEEKLY = "w"  # `n`: the weekday (99: choose one)
    ONEOFF = "o"
    VACATION = "v"
    CLEAR_VACATION = "vc"
    FORMAT = "f"  # `n`: the field (99: show), `id`: its new value
    REMOVE = "r"  # `id`: the window
    PROFILE = "p"
    NAME = "pn"
    BIO = "pb"
    LINK = "pl"
    TOPICS = "pt"  # `n`: the topic to turn on or off (99: show)
    LANGUAGES = "pg"
    WHERE = "pw"  # `n`: 1 online on/off, 2 the location `id` on/off (99: show)


class EditCB(CallbackData, prefix="ce"):
    action: EditAction
    n: Small = 0
    id: RowId = 0


class AfterAction(StrEnum):
    STARS = "s"  # `n`: 1..5
    COMMENT = "c"
    NOTE = "n"  # the coach's private note
    NO_SHOW = "x"


class AfterCB(CallbackData, prefix="cq"):
    action: AfterAction
    id: RowId = 0
    n: Small = 0
