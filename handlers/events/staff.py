"""Staff tools for events, in a private chat only: `/event_report` (the upcoming events with
their numbers), `/event_report ID` (registered, waitlist,
attended, with the list as CSV), the attendance list with a tap per person, and cancelling an
event (every registered person and everyone in line is told)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from content.spreadsheet import safe_cell
from handlers.desks.staff import person_name, staff_only
from handlers.desks.texts import day_short
from handlers.events import notices
from handlers.events.callbacks import EventStaffCB, StaffAction
from handlers.events.texts import missing_texts, refusal_text, span, title, zone_of
from handlers.ui.filters import pressed, staff_router
from handlers.ui.keyboards import button
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import audit
from storage.base import WallClock
from storage.events import listing, seats
from storage.events.tables import Event, EventStatus, Reason, Refused, Registration, Seat
from storage.users import Person, User, users_by_id

PAGE = 10
LISTED = 30
CSV_COLUMNS = ("event_id", "user_id", "first_name", "username", "status", "attended", "since_utc")


async def report(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    bot: Bot,
    wall_clock: WallClock,
) -> None:
    if (refusal := staff_only(person)) is not None:
        await message.answer(refusal)
        return
    raw = (command.args or "").strip()
    if not raw:
        await message.answer(await _upcoming(session, wall_clock()))
        return
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        await message.answer(_("Write the event's number: /event_report 12"))
        return
    event = await session.get(Event, int(raw))
    if event is None:
        await message.answer(_("There is no event with this number."))
        return
    text, markup = await _report(session, event)
    await message.answer(text, reply_markup=markup)
    rows = await seats.holders(session, event.id, tuple(Seat))
    if rows:
        people = await users_by_id(session, {row.user_id for row in rows})
        data = registrations_csv(rows, people)
        audit.record(
            session,
            person.id,
            audit.Action.EXPORT,
            target=f"event #{event.id} registrations",
            details={"rows": len(rows)},
        )
        await bot.send_document(
            message.chat.id, BufferedInputFile(data, filename=f"event-{event.id}.csv")
        )


async def _upcoming(session: AsyncSession, now: datetime) -> str:
    """The upcoming events with their numbers, for /event_report N."""
    found = await listing.upcoming(session, now, limit=LISTED)
    lines = [_("<b>Upcoming events</b> (a report: /event_report NUMBER)")]
    for event in found.events:
        local = event.starts_at.astimezone(zone_of(event))
        lines.append(f"{event.id} · {day_short(local.date())} · {title(event)}")
    if not found.events:
        lines.append(_("No upcoming events."))
    elif found.total > LISTED:
        lines.append(_("…and {count} more.").format(count=found.total - LISTED))
    return "\n".join(lines)


async def _report(session: AsyncSession, event: Event) -> tuple[str, InlineKeyboardMarkup]:
    counts = await listing.counts(session, event.id)
    lines = [
        _("<b>Event {id}: {title}</b>").format(id=event.id, title=title(event)),
        span(event, zone_of(event)),
        _(
            "Registered: {registered} of {capacity}; waitlist: {waiting}; attended: {attended}"
        ).format(
            registered=counts.registered,
            capacity=event.capacity,
            waiting=counts.waiting,
            attended=counts.attended,
        ),
    ]
    lines += missing_texts(event)
    if event.status == EventStatus.CANCELLED:
        lines.append(_("❌ This event has been cancelled."))
        return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[])
    rows = [
        [button(_("Attendance"), EventStaffCB(action=StaffAction.ATTENDANCE, id=event.id))],
        [button(_("Cancel the event"), EventStaffCB(action=StaffAction.CANCEL, id=event.id))],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def registrations_csv(rows: list[Registration], people: dict[int, User]) -> bytes:
    """UTF-8 with a byte-order mark; cells that look like formulas are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        user = people.get(row.user_id)
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    row.event_id,
                    row.user_id,
                    user.first_name if user else "",
                    user.username if user else "",
                    row.status,
                    int(row.attended),
                    row.queued_at.isoformat(timespec="minutes"),
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def attendance(
    query: CallbackQuery, callback_data: EventStaffCB, session: AsyncSession, person: Person
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    event = await session.get(Event, callback_data.id)
    if event is None or event.status != EventStatus.SCHEDULED:
        await query.answer(refusal_text(Refused(Reason.CANCELLED)), show_alert=True)
        return
    await query.answer()
    await edit_or_send(query, *await _attendance(session, event, callback_data.page))


async def _attendance(
    session: AsyncSession, event: Event, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    registered = await seats.holders(session, event.id, (Seat.REGISTERED,))
    people = await users_by_id(session, {row.user_id for row in registered})
    shown = registered[page * PAGE : (page + 1) * PAGE]
    rows = []
    for row in shown:
        mark = "✅" if row.attended else "▫️"
        label = f"{mark} {person_name(people.get(row.user_id), row.user_id)}"
        data = EventStaffCB(action=StaffAction.MARK, id=event.id, user=row.user_id, page=page)
        rows.append([button(label[:60], data)])
    nav = []
    if page > 0:
        nav.append(
            button("‹", EventStaffCB(action=StaffAction.ATTENDANCE, id=event.id, page=page - 1))
        )
    if (page + 1) * PAGE < len(registered):
        nav.append(
            button("›", EventStaffCB(action=StaffAction.ATTENDANCE, id=event.id, page=page + 1))
        )
    if nav:
        rows.append(nav)
    text = _("<b>Who came to {title}?</b> Tap a name to mark or unmark.").format(title=title(event))
    if not registered:
        text += "\n" + _("Nobody is registered.")
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def mark(
    query: CallbackQuery,
    callback_data: EventStaffCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    event = await session.get(Event, callback_data.id)
    row = await seats.own(session, callback_data.id, callback_data.user)
    if event is None or row is None or row.status != Seat.REGISTERED:
        await query.answer(refusal_text(Refused(Reason.NOT_REGISTERED)), show_alert=True)
        return
    await session.execute(
        update(Registration)
        .where(Registration.id == row.id)
        .values(attended=not row.attended, updated_at=wall_clock())
    )
    await session.refresh(row)
    await query.answer(_("Marked: they came.") if row.attended else _("Marked: they did not come."))
    await edit_or_send(query, *await _attendance(session, event, callback_data.page))


async def ask_cancel(
    query: CallbackQuery, callback_data: EventStaffCB, session: AsyncSession, person: Person
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    event = await session.get(Event, callback_data.id)
    if event is None or event.status != EventStatus.SCHEDULED:
        await query.answer(refusal_text(Refused(Reason.CANCELLED)), show_alert=True)
        return
    await query.answer()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    _("Yes, cancel it"), EventStaffCB(action=StaffAction.CANCEL_YES, id=event.id)
                ),
                button(_("No"), EventStaffCB(action=StaffAction.ATTENDANCE, id=event.id)),
            ]
        ]
    )
    await edit_or_send(
        query,
        _("Cancel {title}? Everyone registered and everyone in line will be told.").format(
            title=title(event)
        ),
        markup,
    )


async def cancel(
    query: CallbackQuery,
    callback_data: EventStaffCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    if staff_only(person) is not None:
        await refuse_stale(query)
        return
    now = wall_clock()
    try:
        held = await seats.cancel_event(session, callback_data.id, now)
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return
    audit.record(
        session, person.id, audit.Action.EVENT_CANCELLED, target=f"event #{callback_data.id}"
    )
    event = await session.get(Event, callback_data.id)
    assert event is not None
    await notices.cancelled(session, event, held, now)
    await query.answer(
        ngettext(
            "The event is cancelled; {n} person will be told.",
            "The event is cancelled; {n} people will be told.",
            len(held),
        ).format(n=len(held))
    )
    await edit_or_send(query, *await _report(session, event))


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(report, Command("event_report"))
    cb = router.callback_query
    cb.register(attendance, pressed(EventStaffCB, StaffAction.ATTENDANCE))
    cb.register(mark, pressed(EventStaffCB, StaffAction.MARK))
    cb.register(ask_cancel, pressed(EventStaffCB, StaffAction.CANCEL))
    cb.register(cancel, pressed(EventStaffCB, StaffAction.CANCEL_YES))
    return router
