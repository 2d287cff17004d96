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
