"""Callback data of the admin console (short prefixes: the payload must fit 64 bytes)."""

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.ui.callbacks import Locale, RowId

PersonId = Annotated[int, Field(ge=0, le=2**53)]


class BroadcastAction(StrEnum):
    VARIANT = "v"  # write (again) the variant of `lang`
    BUTTON = "b"  # choose the button
    BUTTON_EVENT = "be"  # choose the event the button opens
    BUTTON_SET = "bs"  # `kind` "event" (id `n`), a flow (`kind` = MenuAction), or "" none
    AUDIENCE = "a"  # choose who gets it
    AUDIENCE_PICK = "ap"  # `kind` needs a value: languages, locations, events, or days typed
    AUDIENCE_SET = "as"  # `kind` with value `n` (a location or event id) or `lang`
    DRAFT = "d"  # back to the draft
    PREVIEW = "p"
    SEND = "s"
    SCHEDULE = "t"
    DISCARD = "x"
    CANCEL = "c"  # stop broadcast `n`


class BroadcastCB(CallbackData, prefix="bc"):
    action: BroadcastAction
    n: RowId = 0
    kind: str = ""
    lang: Locale | None = None


class RoleAction(StrEnum):
    LIST = "l"
    REVOKE = "r"  # take role `role` from `user`, asks first
    REVOKE_YES = "ry"


class Role(StrEnum):
    ADMIN = "admin"
    COACH = "coach"


class RoleCB(CallbackData, prefix="ad"):
    action: RoleAction
    user: PersonId = 0
    role: Role = Role.ADMIN
