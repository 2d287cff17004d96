"""Messages the bot sends on its own about desks — offers from the waitlist, expired offers,
closed days — as outbox rows (written with the change that causes them) and their renderers
(run by the delivery engine at send time, in the recipient's language of that moment)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.desks import keyboards as kb
from handlers.desks.texts import booking_lines, day_long, html, local_clock, slot_lines
from scheduler.delivery import Rendered, Renderer
from storage import outbox
from storage.desks import DeskBooking, Status
from storage.desks.closures import DayClosed
from storage.desks.opening import Period, Place
from storage.desks.places import Places
from storage.outbox import OutboxMessage

OFFER, OFFER_EXPIRED, CLOSED, CLOSED_WAITLIST = (
    "desk.offer", "desk.offer_expired", "desk.closed", "desk.closed_waitlist",
)  # fmt: skip


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


def day_closed(
    session: AsyncSession, place: Place, closed: DayClosed, reason: str, now: datetime
) -> int:
    """Tell everyone booked or waiting on a day that was closed; how many will be told."""
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

    return {
        OFFER: offer,
        OFFER_EXPIRED: offer_expired,
        CLOSED: closed,
        CLOSED_WAITLIST: closed_waitlist,
    }


def _reason(row: OutboxMessage) -> str:
    reason = str(row.params.get("reason") or "")
    return f": {reason}" if reason else "."
