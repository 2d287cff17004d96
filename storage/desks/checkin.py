"""Check-in, where a location asks for it: a booked person says "I'm here" from an hour before
their booking starts; whoever has not by the deadline (`Place.check_in_by`) loses the desk,
which goes to the waitlist.

Checking in and releasing are both conditional UPDATEs of the booking, so when a press and the
deadline meet, exactly one of them wins: the person is in, or the desk is gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.desks import bookings
from storage.desks.opening import Period
from storage.desks.places import Places
from storage.desks.tables import DeskBooking, Reason, Refused, Status

EARLIEST = timedelta(hours=1)  # before the booking starts
NO_SHOW = "no_show"  # the cancel_reason of a desk released at the deadline


def _refusal(places: Places, booking: DeskBooking, now: datetime) -> Reason | None:
    """Why `booking` cannot be checked in to now (None: it can)."""
    place = places.get(booking.location_id)
    if place is None or booking.status != Status.ACTIVE:
        return Reason.NOT_FOUND
    if place.check_in_by(booking.day, Period(booking.period)) is None:
        return Reason.NO_CHECK_IN
    if now < booking.starts_at - EARLIEST:
        return Reason.EARLY
    if now >= booking.ends_at:
        return Reason.NOT_FOUND
    return None


async def check_in(
    session: AsyncSession, places: Places, booking_id: int, user_id: int, now: datetime
) -> DeskBooking:
    """The person is here. Saying it twice is fine; too early, too late or for someone else's
    booking is refused with the reason."""
    booking = await bookings.own_booking(session, booking_id, user_id)
    if booking is None:
        raise Refused(Reason.NOT_FOUND)
    live = booking.status == Status.ACTIVE and places.get(booking.location_id) is not None
    if live and booking.checked_in_at is not None:
        return booking
    if (reason := _refusal(places, booking, now)) is not None:
        raise Refused(reason, booking=booking)
    result = await session.execute(
        update(DeskBooking)
        .where(DeskBooking.id == booking.id, DeskBooking.status == Status.ACTIVE)
        .values(checked_in_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.NOT_FOUND, booking=booking)  # released a moment ago
    await session.refresh(booking)
    return booking


def may_check_in(places: Places, booking: DeskBooking, now: datetime) -> bool:
    """Whether "I'm here" is worth offering for this booking now."""
    return booking.checked_in_at is None and _refusal(places, booking, now) is None


async def release_no_shows(
    session: AsyncSession, places: Places, now: datetime
) -> list[DeskBooking]:
    """Free the desks of people who did not check in by the deadline; the released bookings."""
    started = (
        await session.scalars(
            select(DeskBooking).where(
                DeskBooking.status == Status.ACTIVE,
                DeskBooking.checked_in_at.is_(None),
                DeskBooking.starts_at <= now,
                DeskBooking.ends_at > now,
            )
        )
    ).all()
    released = []
    for booking in started:
        place = places.get(booking.location_id)
        deadline = place and place.check_in_by(booking.day, Period(booking.period))
        if deadline is None or deadline > now or booking.created_at >= deadline:
            continue  # (a desk offered after the deadline is not taken back at once)
        if await bookings.release(
            session, booking, Status.CANCELLED, now, reason=NO_SHOW, unless_checked_in=True
        ):
            released.append(booking)
    return released
