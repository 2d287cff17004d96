"""Callback data of the FAQ: answers, suggestions, ratings, hand-offs, topics."""

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.ui.callbacks import PageNumber, RowId


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
    FOLLOW_UP = "f"  # staff: add to the answer a question already has


class FaqCB(CallbackData, prefix="faq"):
    action: FaqAction
    q: RowId = 0  # the logged question the button belongs to
    key: str = ""  # an entry or a topic id
    page: PageNumber = 0


class TeachAction(StrEnum):
    PAGE = "l"  # a page of the missed questions' groups
    GROUP = "g"  # one group: attach or ignore
    ATTACH = "a"  # choose the topic of the entry to attach the group to
    TOPIC = "c"  # choose the entry, in topic `key`
    ENTRY = "e"  # confirm attaching the group to entry `key`
    CONFIRM = "y"  # attach it
    IGNORE = "i"  # take the group out of the list
    PICKS = "k"  # a page of the "did you mean" picks
    APPROVE = "v"  # attach a pick to the entry its asker chose
    DROP = "x"  # take a pick out of the list


class TeachCB(CallbackData, prefix="ft"):
    """Staff: /unanswered. `q` is a question of the group or the pick (groups move as
    questions come and go, a question stays in its group); `page` the list's page to return
    to. The payload stays within 64 bytes for entry ids of up to 40 characters (longer ones
    are not offered: `lessons.MAX_KEY`)."""

    action: TeachAction
    q: RowId = 0
    key: str = ""  # a topic or an entry id
    page: PageNumber = 0
