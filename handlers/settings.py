"""Settings → Reminders: desk and coaching reminders on or off, and quiet hours.

A change re-plans the person's upcoming reminders at once (storage.reminders decides when a
reminder may reach them; the notices of each feature plan theirs)."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.coaching import notices as coaching_notices
from handlers.desks import notices
from handlers.desks.texts import clock
from handlers.events import notices as event_notices
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.keyboards import button, home_button
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import reminders
from storage.base import WallClock
from storage.desks.places import Places
from storage.reminders import Kind, Preferences
from storage.users import Person

# The quiet hours one can pick (from, until); the first is the default.
QUIET_CHOICES = (
    (time(22), time(8)),
    (time(21), time(9)),
    (time(23), time(7)),
)
NO_QUIET = len(QUIET_CHOICES)


class ReminderAction(StrEnum):
    DESKS = "d"  # turn desk reminders on or off
    COACHING = "c"  # turn coaching reminders on or off
    EVENTS = "e"  # turn event reminders on or off
    QUIET = "q"  # choose quiet hours (`choice` is an index of QUIET_CHOICES, or NO_QUIET)


class ReminderCB(CallbackData, prefix="rm"):
    action: ReminderAction
    choice: Annotated[int, Field(ge=0, le=NO_QUIET)] = 0  # out of range: not recognised


def _quiet_text(quiet: tuple[time, time]) -> str:
    return f"{clock(quiet[0])}–{clock(quiet[1])}"


def _screen(wanted: Preferences) -> tuple[str, InlineKeyboardMarkup]:
    desks_on = wanted.wants(Kind.DESKS)
    if wanted.quiet is None:
        quiet = _("🌙 Quiet hours: none.")
    else:
        quiet = _(
            "🌙 Quiet hours: {hours}, in the local time of the Oasis. A reminder due then waits "
            "until they end, or comes just before they begin if that would be too late."
        ).format(hours=_quiet_text(wanted.quiet))
    desks = _("🔔 Desks: a reminder the evening before each booking — {state}.").format(
        state=_("on") if desks_on else _("off")
    )
    check_in = _(
        "Where an Oasis asks for check-in, the “I'm here” prompt on the day comes even with "
        "reminders off: a desk nobody checks in to is released for others."
    )
    coaching_on = wanted.wants(Kind.COACHING)
    sessions = _(
        "🔔 Coaching: reminders 24 hours and 1 hour before each session — {state}."
    ).format(state=_("on") if coaching_on else _("off"))
    events_on = wanted.wants(Kind.EVENTS)
    events = _("🔔 Events: reminders 24 hours and 1 hour before each event — {state}.").format(
        state=_("on") if events_on else _("off")
    )
    text = "\n".join((_("<b>Reminders</b>"), "", desks, sessions, events, quiet, "", check_in))
    toggle = _("🔕 Turn desk reminders off") if desks_on else _("🔔 Turn desk reminders on")
    rows = [[button(toggle, ReminderCB(action=ReminderAction.DESKS, choice=int(not desks_on)))]]
    toggle = (
        _("🔕 Turn coaching reminders off") if coaching_on else _("🔔 Turn coaching reminders on")
    )
    choice = int(not coaching_on)
    rows.append([button(toggle, ReminderCB(action=ReminderAction.COACHING, choice=choice))])
    toggle = _("🔕 Turn event reminders off") if events_on else _("🔔 Turn event reminders on")
    choice = int(not events_on)
    rows.append([button(toggle, ReminderCB(action=ReminderAction.EVENTS, choice=choice))])
    choices = [*QUIET_CHOICES, None]
    quiet_row = []
    for index, hours in enumerate(choices):
        mark = "✓ " if hours == wanted.quiet else ""
        label = mark + (_quiet_text(hours) if hours else _("No quiet hours"))
        quiet_row.append(button(label, ReminderCB(action=ReminderAction.QUIET, choice=index)))
    rows += [quiet_row[:2], quiet_row[2:]]
    rows.append(
        [
            button(_("« Settings"), MenuCB(action=MenuAction.SETTINGS)),
            home_button(),
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def show(query: CallbackQuery, session: AsyncSession, person: Person) -> None:
    await query.answer()
    await edit_or_send(query, *_screen(await reminders.preferences(session, person.id)))


async def change(
    query: CallbackQuery,
    callback_data: ReminderCB,
    session: AsyncSession,
    person: Person,
    places: Places,
    wall_clock: WallClock,
) -> None:
    kinds = {
        ReminderAction.DESKS: Kind.DESKS,
        ReminderAction.COACHING: Kind.COACHING,
        ReminderAction.EVENTS: Kind.EVENTS,
    }
    if (kind := kinds.get(callback_data.action)) is not None:
        if callback_data.choice not in (0, 1):
            await refuse_stale(query)
            return
        await reminders.set_kind(session, person.id, kind, bool(callback_data.choice))
    else:
        quiet = None if callback_data.choice == NO_QUIET else QUIET_CHOICES[callback_data.choice]
        await reminders.set_quiet(session, person.id, quiet)
    await notices.replan(session, places, person.id, wall_clock())
    await coaching_notices.replan(session, person.id, wall_clock())
    await event_notices.replan(session, person.id, wall_clock())
    await query.answer(_("Saved."))
    await edit_or_send(query, *_screen(await reminders.preferences(session, person.id)))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(show, pressed(MenuCB, MenuAction.SETTINGS_REMINDERS))
    router.callback_query.register(change, pressed(ReminderCB))
    return router
