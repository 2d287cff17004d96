"""The screens of events: a page of the list with its filters, and an event's card with the
buttons the reader may use on it now."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks.texts import day_short, html
from handlers.events.callbacks import EventAction, EventCB
from handlers.events.texts import (
    KINDS,
    description,
    kind_name,
    language_name,
    opens_line,
    plain_title,
    seats_line,
    span,
    title,
    where,
    zone_of,
)
from handlers.ui.keyboards import button, home_button
from storage.desks import bookings as desk_bookings
from storage.desks.places import Places
from storage.events import listing, seats
from storage.events.tables import HOLDING, Event, EventStatus, Seat

PAGE = 5
LABEL = 60  # characters of a button a phone shows whole


def short_label(text: str) -> str:
    """`text` as a button shows it whole: cut with an ellipsis past LABEL characters."""
    return text if len(text) <= LABEL else text[: LABEL - 1].rstrip() + "…"


async def viewer_zone(session: AsyncSession, user_id: int, places: Places) -> ZoneInfo | None:
    """The zone the person reads times in: that of the Oasis they last booked a desk at."""
    location_id = await desk_bookings.last_location(session, user_id)
    place = places.get(location_id) if location_id is not None else None
    return place.timezone if place is not None else None


async def list_screen(
    session: AsyncSession, now: datetime, *, page: int, kind: int, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    found = await listing.upcoming(
        session, now, kind=KINDS[kind - 1] if kind else None, language=lang or None,
        offset=page * PAGE, limit=PAGE,
    )  # fmt: skip
    filters = []
    if kind:
        filters.append(kind_name(KINDS[kind - 1]))
    if lang:
        filters.append(language_name(lang))
    lines = [_("<b>Events</b>") + (f" · {', '.join(filters)}" if filters else "")]
    rows: list[list[InlineKeyboardButton]] = []
    if not found.events:
        lines.append(
            _("No upcoming events match these filters.") if filters else _("No upcoming events.")
        )
    for event in found.events:
        local = event.starts_at.astimezone(zone_of(event))
        label = f"{day_short(local.date())} · {plain_title(event)}"
        label = short_label(label)
        rows.append([button(label, EventCB(action=EventAction.CARD, id=event.id))])
    pages = (found.total + PAGE - 1) // PAGE
    nav = []
    if page > 0:
        nav.append(
            button("‹", EventCB(action=EventAction.LIST, page=page - 1, kind=kind, lang=lang))
        )
    if page + 1 < pages:
        nav.append(
            button("›", EventCB(action=EventAction.LIST, page=page + 1, kind=kind, lang=lang))
        )
    if nav:
        rows.append(nav)
    rows.append(
        [
            button(_("Kind"), EventCB(action=EventAction.KINDS, kind=kind, lang=lang)),
            button(_("Language"), EventCB(action=EventAction.LANGS, kind=kind, lang=lang)),
        ]
    )
    rows.append([home_button()])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def kinds_screen(kind: int, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            button(
                ("✓ " if kind == 0 else "") + _("All kinds"),
                EventCB(action=EventAction.LIST, lang=lang),
            )
        ]
    ]
    for index, name in enumerate(KINDS, 1):
        mark = "✓ " if kind == index else ""
        rows.append(
            [
                button(
                    mark + kind_name(name), EventCB(action=EventAction.LIST, kind=index, lang=lang)
                )
            ]
        )
    return _("Which kind of events?"), InlineKeyboardMarkup(inline_keyboard=rows)


def langs_screen(kind: int, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            button(
                ("✓ " if not lang else "") + _("Any language"),
                EventCB(action=EventAction.LIST, kind=kind),
            )
        ]
    ]
    for code in ("en", "ru", "fi"):
        mark = "✓ " if lang == code else ""
        rows.append(
            [
                button(
                    mark + language_name(code),
                    EventCB(action=EventAction.LIST, kind=kind, lang=code),
                )
            ]
        )
    return _("Events held in which language?"), InlineKeyboardMarkup(inline_keyboard=rows)


async def card(
    session: AsyncSession, event: Event, user_id: int, places: Places, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The event as this person sees it now, with what they can do on it."""
    mine = await seats.own(session, event.id, user_id)
    status = mine.status if mine is not None else None
    viewer = await viewer_zone(session, user_id, places)
    zone = zone_of(event)
    parts = await listing.parts(session, event.id)
    lines = [f"<b>{title(event)}</b>", f"{kind_name(event.kind)} · {language_name(event.language)}"]
    if event.status == EventStatus.CANCELLED:
        lines.append(_("❌ This event has been cancelled."))
    lines.append("")
    if len(parts) > 1:
        lines.append(_("Sessions (one registration covers them all):"))
        lines += [f"{n}. {span(part, zone, viewer)}" for n, part in enumerate(parts, 1)]
    elif parts:
        lines.append("🕒 " + span(parts[0], zone, viewer))
    lines.append(where(event, places, with_link=status == Seat.REGISTERED))
    lines += ["", description(event), ""]
    rows: list[list[InlineKeyboardButton]] = []
    back = button(_("« Events"), EventCB(action=EventAction.LIST))
    if event.status == EventStatus.CANCELLED:
        return "\n".join(lines).strip(), InlineKeyboardMarkup(
            inline_keyboard=[[back, home_button()]]
        )
    if status != Seat.REGISTERED:
        lines.append(seats_line(event))
    if status == Seat.REGISTERED:
        lines.append(_("✅ You are registered."))
    elif status == Seat.WAITING and mine is not None:
        place = await seats.place_in_line(session, mine)
        lines.append(_("⏳ You are on the waitlist: number {place} in line.").format(place=place))
    started = now >= event.starts_at
    if not started:
        lines.append(opens_line(event, now))
    open_now = event.opens_at <= now < event.closes_at
    if status in HOLDING and not started:
        label = _("Unregister") if status == Seat.REGISTERED else _("Leave the waitlist")
        rows.append([button(label, EventCB(action=EventAction.LEAVE, id=event.id))])
    elif open_now:
        label = _("Register") if event.taken < event.capacity else _("Join the waitlist")
        rows.append([button(label, EventCB(action=EventAction.REGISTER, id=event.id))])
    if status == Seat.REGISTERED:
        rows.append([button(_("📅 Add to calendar"), EventCB(action=EventAction.ICS, id=event.id))])
    rows.append([back, home_button()])
    return "\n".join(line for line in lines), InlineKeyboardMarkup(inline_keyboard=rows)


def short_line(event: Event, status: str) -> str:
    """A line for My bookings."""
    local = event.starts_at.astimezone(zone_of(event))
    mark = "🎟" if status == Seat.REGISTERED else "⏳"
    return f"{mark} {day_short(local.date())} · {html(plain_title(event))}"
