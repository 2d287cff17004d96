"""Messages the bot sends on its own about desks — offers from the waitlist, expired offers,
closed days, reminders, check-in prompts, desks released for want of a check-in — as outbox
rows (written with the change that causes them) and their renderers (run by the delivery
engine at send time, in the recipient's language of that moment, from the state of then)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks import keyboards as kb
from handlers.desks.texts import (
    booking_lines,
    check_in_line,
    day_long,
    html,
    local_clock,
    slot_lines,
)
from scheduler.delivery import Rendered, Renderer
from storage import desks, outbox, reminders
from storage.desks import DeskBooking, Status
from storage.desks.closures import DayClosed
from storage.desks.opening import Period, Place
from storage.desks.places import Places
from storage.outbox import OutboxMessage
from storage.reminders import Kind, Preferences

OFFER, OFFER_EXPIRED, CLOSED, CLOSED_WAITLIST = (
    "desk.offer", "desk.offer_expired", "desk.closed", "desk.closed_waitlist",
)  # fmt: skip
REMINDER, CHECK_IN, RELEASED = "desk.reminder", "desk.check_in", "desk.released"
PLANNED = (REMINDER, CHECK_IN)  # planned when a booking becomes active, dropped when it ends


async def plan(
    session: AsyncSession,
    place: Place,
    booking: DeskBooking,
    now: datetime,
    wanted: Preferences | None = None,
) -> None:
    """Plan what an active booking sends: the reminder the evening before (if the person
    wants desk reminders) and, where the location asks for check-in, the prompt when the
    booking starts — both moved out of the person's quiet hours, and only if still ahead.
    `wanted`: the person's reminder settings, when the caller has read them already."""
    wanted = wanted or await reminders.preferences(session, booking.user_id)
    done = await outbox.gone_out(session, PLANNED, booking.id)
    moments = []
    if wanted.wants(Kind.DESKS) and REMINDER not in done:
        moments.append((REMINDER, place.reminder_due(booking.day), booking.starts_at))
    deadline = place.check_in_by(booking.day, Period(booking.period))
    if deadline is not None and CHECK_IN not in done:
        moments.append((CHECK_IN, booking.starts_at, deadline))
    for kind, due, useful_until in moments:
        when = reminders.fit(due, useful_until, wanted.quiet, place.timezone)
        if when is not None and when > now:
            outbox.enqueue(
                session, booking.user_id, kind, ref=booking.id, due_at=when,
                useful_until=useful_until,
            )  # fmt: skip


async def forget(session: AsyncSession, bookings: Iterable[DeskBooking]) -> None:
    """The bookings ended (cancelled, closed, released): their reminders are not sent."""
    await outbox.drop(session, PLANNED, [b.id for b in bookings], "booking ended")


async def replan(session: AsyncSession, places: Places, user_id: int, now: datetime) -> None:
    """The person changed their reminder settings: plan their upcoming bookings again."""
    await outbox.drop_for_chat(session, user_id, "settings changed", PLANNED)
    wanted = await reminders.preferences(session, user_id)
    for booking in await desks.upcoming(session, user_id, now):
        place = places.get(booking.location_id)
        if booking.status == Status.ACTIVE and place is not None:
            await plan(session, place, booking, now, wanted)


def released(session: AsyncSession, bookings: Iterable[DeskBooking], now: datetime) -> None:
    """Tell the people whose desk went to the waitlist because they did not check in."""
    for booking in bookings:
        outbox.enqueue(session, booking.user_id, RELEASED, ref=booking.id, due_at=now)


def offer_desks(session: AsyncSession, offers: Iterable[DeskBooking], now: datetime) -> None:
    """Tell the next people in line that a desk is held for them (useful until it lapses)."""
    for booking in offers:
        outbox.enqueue(
            session,
            booking.user_id,
            OFFER,
            ref=booking.id,
            due_at=now,
            useful_until=booking.hold_expires_at,
        )


def offers_expired(session: AsyncSession, expired: Iterable[DeskBooking], now: datetime) -> None:
    for booking in expired:
        outbox.enqueue(session, booking.user_id, OFFER_EXPIRED, ref=booking.id, due_at=now)


async def day_closed(
    session: AsyncSession, place: Place, closed: DayClosed, reason: str, now: datetime
) -> int:
    """Tell everyone booked or waiting on a day that was closed (their reminders are not sent
    any more); how many will be told."""
    await forget(session, closed.cancelled)
    for booking in closed.cancelled:
        params = {"reason": reason}
        outbox.enqueue(session, booking.user_id, CLOSED, ref=booking.id, params=params, due_at=now)
    for entry in closed.dropped:
        params = {"location": place.id, "day": entry.day.isoformat(), "reason": reason}
        outbox.enqueue(session, entry.user_id, CLOSED_WAITLIST, params=params, due_at=now)
    return len(closed.cancelled) + len(closed.dropped)


def renderers(places: Places) -> dict[str, Renderer]:
    async def booking_at(
        session: AsyncSession, row: OutboxMessage
    ) -> tuple[DeskBooking, Place] | None:
        """The booking a row is about and its location, if both still exist."""
        booking = await session.get(DeskBooking, row.ref)
        place = places.get(booking.location_id) if booking else None
        return (booking, place) if booking is not None and place is not None else None

    async def offer(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        booking = await session.get(DeskBooking, row.ref)
        if booking is None or booking.status != Status.HELD or booking.hold_expires_at is None:
            return None  # taken, declined or lapsed meanwhile
        place = places.get(booking.location_id)
        if place is None:
            return None
        text = _(
            "🎉 <b>A desk has freed up for you!</b>\n\n{details}\n\n"
            "It is held for you until {time} local time. Will you take it?"
        ).format(
            details=booking_lines(place, booking),
            time=local_clock(place, booking.hold_expires_at),
        )
        return [Rendered(text, kb.offer_keyboard(booking.id))]

    async def offer_expired(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (found := await booking_at(session, row)) is None:
            return None
        booking, place = found
        text = _(
            "The desk offered to you was not taken in time, so it went to the next person "
            "in line:\n\n{slot}"
        ).format(slot=slot_lines(place, booking.day, Period(booking.period)))
        return [Rendered(text, kb.book_again_keyboard())]

    async def closed(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (found := await booking_at(session, row)) is None:
            return None
        booking, place = found
        text = _(
            "⚠️ <b>{place} is closed on {day}</b>{reason}\n\n"
            "Your booking is cancelled:\n{details}\n\n"
            "We are sorry for the trouble. You are welcome to book another day."
        ).format(
            place=html(place.name(get_i18n().current_locale)),
            day=day_long(booking.day),
            reason=_reason(row),
            details=booking_lines(place, booking),
        )
        return [Rendered(text, kb.book_again_keyboard())]

    async def closed_waitlist(
        _session: AsyncSession, row: OutboxMessage
    ) -> Sequence[Rendered] | None:
        place = places.get(int(row.params["location"]))
        if place is None:
            return None
        text = _(
            "⚠️ <b>{place} is closed on {day}</b>{reason}\n\n"
            "You were on the waitlist for that day; the waitlist is now cleared."
        ).format(
            place=html(place.name(get_i18n().current_locale)),
            day=day_long(date.fromisoformat(row.params["day"])),
            reason=_reason(row),
        )
        return [Rendered(text, kb.book_again_keyboard())]

    async def active(session: AsyncSession, row: OutboxMessage) -> tuple[DeskBooking, Place] | None:
        found = await booking_at(session, row)
        return found if found is not None and found[0].status == Status.ACTIVE else None

    async def reminder(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (found := await active(session, row)) is None:
            return None  # cancelled or closed meanwhile
        booking, place = found
        if not (await reminders.preferences(session, booking.user_id)).wants(Kind.DESKS):
            return None
        text = _("⏰ <b>A reminder of your desk booking</b>\n\n{details}{check_in}").format(
            details=booking_lines(place, booking), check_in=check_in_line(place, booking)
        )
        return [Rendered(text, kb.reminder_keyboard(booking.id))]

    async def check_in(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        found = await active(session, row)
        if found is None or found[0].checked_in_at is not None:
            return None
        booking, place = found
        deadline = place.check_in_by(booking.day, Period(booking.period))
        if deadline is None:
            return None  # the location stopped asking
        text = _(
            "☀️ <b>Your desk is waiting for you today</b>\n\n{details}\n\n"
            "Tap “I'm here” when you arrive, by {time}: otherwise the desk is released for "
            "others."
        ).format(details=booking_lines(place, booking), time=local_clock(place, deadline))
        return [Rendered(text, kb.check_in_keyboard(booking.id))]

    async def released_desk(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        if (found := await booking_at(session, row)) is None:
            return None
        booking, place = found
        deadline = place.check_in_by(booking.day, Period(booking.period))
        if booking.checked_in_at is not None or deadline is None:
            return None
        text = _(
            "Nobody checked in to your desk by {time}, so it has been released for others:"
            "\n\n{slot}\n\nYou are welcome to book again."
        ).format(
            time=local_clock(place, deadline),
            slot=slot_lines(place, booking.day, Period(booking.period)),
        )
        return [Rendered(text, kb.book_again_keyboard())]

    return {
        OFFER: offer,
        OFFER_EXPIRED: offer_expired,
        CLOSED: closed,
        CLOSED_WAITLIST: closed_waitlist,
        REMINDER: reminder,
        CHECK_IN: check_in,
        RELEASED: released_desk,
    }


def _reason(row: OutboxMessage) -> str:
    reason = str(row.params.get("reason") or "")
    return f": {reason}" if reason else "."
