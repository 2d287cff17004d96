"""Messages the bot sends on its own about events — a seat from the waitlist, a cancelled or
moved event, reminders 24 hours and 1 hour before each part — as outbox rows written with the
change that causes them, rendered at send time in the recipient's language from the state of
then."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.events import screens
from handlers.events.callbacks import EventAction, EventCB
from handlers.events.texts import span, title, where, zone_of
from handlers.ui.keyboards import button
from scheduler.delivery import Rendered, Renderer, render_time
from storage import outbox, reminders
from storage.desks.places import Places
from storage.events import listing, seats
from storage.events.seed import Synced
from storage.events.tables import Event, EventStatus, Registration, Seat
from storage.outbox import OutboxMessage
from storage.reminders import Kind

PROMOTED, CANCELLED, MOVED, REMINDER = (
    "event.promoted", "event.cancelled", "event.moved", "event.reminder",
)  # fmt: skip
TIME, PLACE = "time", "place"  # what a MOVED notice is about
LEADS = (timedelta(hours=24), timedelta(hours=1))
LATE_DAY_REMINDER = timedelta(hours=2)  # the day-before reminder is no use closer than this


async def seated(
    session: AsyncSession, event_id: int, promoted: Iterable[Registration], now: datetime
) -> None:
    """People who got a seat from the line: they are told, and their reminders planned."""
    event = await session.get(Event, event_id)
    if event is None:
        return
    for registration in promoted:
        await plan(session, registration, event, now)
        outbox.enqueue(session, registration.user_id, PROMOTED, ref=registration.id, due_at=now)


async def cancelled(
    session: AsyncSession, event: Event, held: Iterable[Registration], now: datetime
) -> None:
    held = list(held)
    await forget(session, held)
    for registration in held:
        outbox.enqueue(
            session, registration.user_id, CANCELLED, ref=registration.id, due_at=now,
            params={"waiting": registration.status == Seat.WAITING},
        )  # fmt: skip


async def moved(session: AsyncSession, event: Event, now: datetime, *, what: str = TIME) -> None:
    """The time (`TIME`) or the room or link (`PLACE`) changed: registered people are told
    (once: a notice of an earlier change not sent yet gives way) and their reminders are
    planned again."""
    held = await seats.holders(session, event.id, (Seat.REGISTERED,))
    await outbox.drop(session, [MOVED], [r.id for r in held], "a later change")
    for registration in held:
        outbox.enqueue(
            session, registration.user_id, MOVED, ref=registration.id, due_at=now,
            params={"what": what},
        )  # fmt: skip
        await plan(session, registration, event, now)


async def plan(
    session: AsyncSession, registration: Registration, event: Event, now: datetime
) -> None:
    """The reminders of a seat: 24 hours and 1 hour before each part, if the person wants
    event reminders (moved out of their quiet hours, in the event's zone)."""
    await forget(session, [registration])
    wanted = await reminders.preferences(session, registration.user_id)
    if not wanted.wants(Kind.EVENTS) or event.status != EventStatus.SCHEDULED:
        return
    for part in await listing.parts(session, event.id):
        for lead in LEADS:
            hours = int(lead.total_seconds() // 3600)
            useful_until = part.starts_at - (LATE_DAY_REMINDER if hours > 1 else timedelta(0))
            due = reminders.fit(part.starts_at - lead, useful_until, wanted.quiet, zone_of(event))
            if due is not None and due > now:
                outbox.enqueue(
                    session, registration.user_id, REMINDER, ref=registration.id, due_at=due,
                    useful_until=useful_until, params={"hours": hours, "part": part.id},
                )  # fmt: skip


async def forget(session: AsyncSession, registrations: Iterable[Registration]) -> None:
    await outbox.drop(
        session, [REMINDER, PROMOTED], [r.id for r in registrations], "registration changed"
    )


async def replan(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The person changed their reminder settings."""
    for registration, event in await listing.mine(session, user_id, now):
        if registration.status == Seat.REGISTERED:
            await plan(session, registration, event, now)


def renderers(places: Places) -> dict[str, Renderer]:
    async def found(session: AsyncSession, row: OutboxMessage) -> tuple[Registration, Event] | None:
        registration = await session.get(Registration, row.ref or 0)
        if registration is None or registration.user_id != row.chat_id:
            return None
        event = await session.get(Event, registration.event_id)
        return (registration, event) if event is not None else None

    async def card(
        session: AsyncSession, registration: Registration, event: Event
    ) -> tuple[str, InlineKeyboardMarkup]:
        return await screens.card(session, event, registration.user_id, places, render_time())

    async def seat(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        registration, event = pair
        if registration.status != Seat.REGISTERED or event.starts_at <= render_time():
            return None
        text, markup = await card(session, registration, event)
        headline = _(
            "🎉 <b>A seat freed up and it is yours.</b> If you can no longer come, press "
            "Unregister to give it to the next person in line."
        )
        return [Rendered(f"{headline}\n\n{text}", markup)]

    async def off(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        _registration, event = pair
        if event.status != EventStatus.CANCELLED:
            return None
        text = _("❌ <b>Cancelled:</b> {title}, {when}.").format(
            title=title(event), when=span(event, zone_of(event))
        )
        if row.params.get("waiting"):
            text += "\n" + _("You were on the waitlist; it has been cleared.")
            return [Rendered(text)]
        text += "\n" + _("Your registration has been cancelled. Sorry for the change of plans.")
        remove = button(_("📅 Remove from calendar"), EventCB(action=EventAction.ICS, id=event.id))
        return [Rendered(text, InlineKeyboardMarkup(inline_keyboard=[[remove]]))]

    async def moved_notice(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        registration, event = pair
        if registration.status != Seat.REGISTERED or event.status != EventStatus.SCHEDULED:
            return None
        text, markup = await card(session, registration, event)
        if row.params.get("what") != PLACE:
            headline = _(
                "🔁 <b>The time of an event you registered for has changed.</b> Your seat is "
                "kept; unregister if the new time does not suit you. If the event is in your "
                "calendar, press Add to calendar again to update it."
            )
        elif event.location_id is None:
            headline = _("🔗 <b>The link of an event you registered for has changed.</b>")
        else:
            headline = _("📍 <b>The room of an event you registered for has changed.</b>")
        return [Rendered(f"{headline}\n\n{text}", markup)]

    async def reminder(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (pair := await found(session, row)) is None:
            return None
        registration, event = pair
        if registration.status != Seat.REGISTERED or event.status != EventStatus.SCHEDULED:
            return None
        if not (await reminders.preferences(session, row.chat_id)).wants(Kind.EVENTS):
            return None
        part = next(
            (p for p in await listing.parts(session, event.id) if p.id == row.params.get("part")),
            None,
        )
        if part is None or part.starts_at <= render_time():
            return None
        headline = (
            _("⏰ <b>Your event starts in an hour</b>")
            if int(row.params.get("hours", 24)) == 1
            else _("⏰ <b>A reminder of your event</b>")
        )
        lines = [
            headline, "", f"<b>{title(event)}</b>", span(part, zone_of(event)),
            where(event, places, with_link=True),
        ]  # fmt: skip
        return [Rendered("\n".join(line for line in lines if line is not None))]

    return {PROMOTED: seat, CANCELLED: off, MOVED: moved_notice, REMINDER: reminder}


async def after_sync(session: AsyncSession, synced: Synced, now: datetime) -> None:
    """What the seed sync changed, told: moved and cancelled events, seats from a larger
    capacity."""
    for event in synced.moved:
        await moved(session, event, now)
    for event, held in synced.cancelled:
        await cancelled(session, event, held, now)
    by_event: dict[int, list[Registration]] = {}
    for registration in synced.promoted:
        by_event.setdefault(registration.event_id, []).append(registration)
    for event_id, promoted in by_event.items():
        await seated(session, event_id, promoted, now)
