"""Closing a date from the bot: the closure, the cancelled bookings, the emptied waitlist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.desks import bookings as desks
from storage.desks import days, places, waitlist
from storage.desks.opening import Place
from storage.desks.tables import DeskBooking, Reason, Refused, Status
from storage.desks.waitlist import WaitlistEntry


@dataclass(frozen=True)
class DayClosed:
    cancelled: list[DeskBooking]  # the people to tell that their booking is off
    dropped: list[WaitlistEntry]  # the people who were waiting for that day


async def close_day(
    session: AsyncSession,
    place: Place,
    day: date,
    reason: str,
    closed_by: int | None,
    now: datetime,
) -> DayClosed:
    """Close `day` at `place`: every live booking is cancelled and the waitlist emptied."""
    if day < place.today(now):
        raise Refused(Reason.PAST)
    if (closure := place.closure(day)) is not None:
        raise Refused(Reason.CLOSED, closure=closure)
    # First the day row: a booking of the day still in progress is waited for, and every
    # booking after this one sees the day closed; so the list below misses nobody.
    await days.mark_day(session, place.id, day, closed=True)
    if not await places.mark_closed(session, place, day, reason, closed_by):
        raise Refused(Reason.CLOSED)
    cancelled = []
    for booking in await desks.on_day(session, place, day):
        held = booking.status == Status.HELD  # an offer: its person is told as one waiting
        if (
            await desks.release(
                session,
                booking,
                Status.CANCELLED,
                now,
                expected=Status(booking.status),
                reason="closed",
            )
            and not held
        ):
            cancelled.append(booking)
    return DayClosed(cancelled, await waitlist.close_day(session, place, day, now))
