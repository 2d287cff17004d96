"""The waitlist: a place in line for a full day, and offers of desks that free up.

An offer is a desk booking in status `held`: it holds the desk's slots like any booking, so
nobody else can take the desk while the person first in line decides. Accepting turns the
hold into an active booking; declining or letting it expire frees the desk for the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow
from storage.desks import bookings as desks
from storage.desks import days
from storage.desks.opening import Period, Place
from storage.desks.places import Places, closure_on
from storage.desks.tables import DeskBooking, DeskSlot, Reason, Refused, Status
from storage.tally import tally


class WaitStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a desk is held for them (`booking_id`)
    BOOKED = "booked"
    EXPIRED = "expired"  # the offer timed out, or the period started before a desk freed up
    DECLINED = "declined"
    LEFT = "left"
    CLOSED = "closed"  # the day was closed


IN_LINE = (WaitStatus.WAITING, WaitStatus.OFFERED)


class WaitlistEntry(Base):
    __tablename__ = "desk_waitlist"
    __table_args__ = (
        Index("ix_desk_waitlist_location_day_status", "location_id", "day", "status"),
        Index("ix_desk_waitlist_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_bookings.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


async def join(
    session: AsyncSession,
    place: Place,
    user_id: int,
    day: date,
    period: Period,
    now: datetime,
    *,
    exempt: bool = False,
    language: str = "en",
) -> tuple[WaitlistEntry, int]:
    """Put the person in line for `period` of a full day; the entry and their place in line."""
    facts = await desks.check_rules(session, place, user_id, day, period, now, exempt, language)
    if any(desk.id not in facts.busy for desk in place.desks):
        raise Refused(Reason.NOT_FULL)
    already = await session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.user_id == user_id,
            WaitlistEntry.location_id == place.id,
            WaitlistEntry.day == day,
            WaitlistEntry.period == period.value,
            WaitlistEntry.status.in_(IN_LINE),
        )
    )
    if already is not None:
        raise Refused(Reason.WAITING)
    entry = WaitlistEntry(
        user_id=user_id,
        location_id=place.id,
        day=day,
        period=period.value,
        status=WaitStatus.WAITING,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry, await position(session, entry)


async def position(session: AsyncSession, entry: WaitlistEntry) -> int:
    """1 for the first in line for the same location, day and period."""
    ahead = await session.scalar(
        select(func.count()).where(
            WaitlistEntry.location_id == entry.location_id,
            WaitlistEntry.day == entry.day,
            WaitlistEntry.period == entry.period,
            WaitlistEntry.status == WaitStatus.WAITING,
            WaitlistEntry.id < entry.id,
        )
    )
    return int(ahead or 0) + 1


async def leave(session: AsyncSession, entry_id: int, user_id: int, now: datetime) -> None:
    """The person leaves the line; refused once a desk is being offered to them (or later)."""
    result = await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.id == entry_id,
            WaitlistEntry.user_id == user_id,
            WaitlistEntry.status == WaitStatus.WAITING,
        )
        .values(status=WaitStatus.LEFT, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.NOT_FOUND)


async def in_line(session: AsyncSession, user_id: int, since: date) -> list[WaitlistEntry]:
    """The person's places in line for days from `since` on."""
    rows = await session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.user_id == user_id,
            WaitlistEntry.status == WaitStatus.WAITING,
            WaitlistEntry.day >= since,
        )
        .order_by(WaitlistEntry.day, WaitlistEntry.id)
    )
    return list(rows)


async def counts(session: AsyncSession, place: Place, day: date) -> dict[Period, int]:
    """How many people wait for each period of `day`."""
    rows = await session.execute(
        select(WaitlistEntry.period, func.count())
        .where(
            WaitlistEntry.location_id == place.id,
            WaitlistEntry.day == day,
            WaitlistEntry.status.in_(IN_LINE),
        )
        .group_by(WaitlistEntry.period)
    )
    return {Period(period): int(n) for period, n in rows}


async def refill(
    session: AsyncSession, place: Place, day: date, now: datetime, *, started: bool = False
) -> list[DeskBooking]:
    """Offer what is free on `day` to the people in line, first come first served.

    Each offer holds a desk until the offer window ends, never past the period's start; with
    `started` (a desk freed by a no-show) periods under way are offered too, held at most
    until they end. Returns the new offers (held bookings) so the caller can tell the people.
    """
    entries = (
        await session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.location_id == place.id,
                WaitlistEntry.day == day,
                WaitlistEntry.status == WaitStatus.WAITING,
            )
            .order_by(WaitlistEntry.id)
        )
    ).all()
    if not entries:
        return []
    closed = await closure_on(session, place, day) is not None
    offers = []
    for entry in entries:
        period = Period(entry.period)
        start, end = place.span(day, period)
        deadline = end if started and start <= now else start
        if closed or deadline <= now or await _has_desk(session, entry, period):
            _finish(entry, WaitStatus.EXPIRED, now)
            continue
        candidates = await desks.free_desks(session, place, day, period)
        hold_until = min(now + place.rules.offer_window, deadline)
        try:
            booking = await desks.claim(
                session, place, entry.user_id, day, period, candidates, now, hold_until=hold_until
            )
        except Refused:  # closed while this ran: the closure clears the line
            closed = True
            _finish(entry, WaitStatus.CLOSED, now)
            continue
        if booking is not None:
            entry.status = WaitStatus.OFFERED
            entry.booking_id = booking.id
            entry.updated_at = now
            offers.append(booking)
    return offers


async def _has_desk(session: AsyncSession, entry: WaitlistEntry, period: Period) -> bool:
    """The person booked something else at that time meanwhile: their place in line is moot."""
    clash = await session.scalar(
        select(DeskSlot.booking_id).where(
            DeskSlot.user_id == entry.user_id,
            DeskSlot.day == entry.day,
            DeskSlot.half.in_(period.halves),
        )
    )
    return clash is not None


def _finish(entry: WaitlistEntry, status: WaitStatus, now: datetime) -> None:
    entry.status = status
    entry.updated_at = now


async def _entry_of(session: AsyncSession, booking: DeskBooking) -> WaitlistEntry | None:
    return await session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_id == booking.id))


async def accept(
    session: AsyncSession,
    place: Place,
    booking_id: int,
    user_id: int,
    now: datetime,
    *,
    exempt: bool = False,
) -> DeskBooking:
    """The person takes the desk offered to them, while the offer lasts."""
    booking = await desks.own_booking(session, booking_id, user_id)
    if booking is None or booking.status != Status.HELD:
        raise Refused(Reason.OFFER_GONE, booking=booking)
    if booking.hold_expires_at is None or booking.hold_expires_at <= now:
        raise Refused(Reason.OFFER_GONE, booking=booking)
    others = await desks.count_upcoming(session, user_id, now) - 1
    if not exempt and others >= place.rules.max_active:
        raise Refused(Reason.QUOTA, limit=place.rules.max_active)
    if not await days.enter_open_day(session, booking.location_id, booking.day):
        raise Refused(Reason.CLOSED, closure=await closure_on(session, place, booking.day))
    result = await session.execute(
        update(DeskBooking)
        .where(DeskBooking.id == booking.id, DeskBooking.status == Status.HELD)
        .values(status=Status.ACTIVE, hold_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.OFFER_GONE, booking=booking)
    await session.refresh(booking)
    if (entry := await _entry_of(session, booking)) is not None:
        _finish(entry, WaitStatus.BOOKED, now)
    tally(session, "booking", "desk")
    return booking


async def decline(
    session: AsyncSession, booking_id: int, user_id: int, now: datetime
) -> DeskBooking:
    """The person turns the offer down; the caller offers the desk to the next in line."""
    booking = await desks.own_booking(session, booking_id, user_id)
    if booking is None or not await desks.release(
        session, booking, Status.DECLINED, now, expected=Status.HELD
    ):
        raise Refused(Reason.OFFER_GONE, booking=booking)
    if (entry := await _entry_of(session, booking)) is not None:
        _finish(entry, WaitStatus.DECLINED, now)
    return booking


async def expire_offers(session: AsyncSession, now: datetime) -> list[DeskBooking]:
    """End the offers whose time is up (each claimed by a conditional UPDATE)."""
    due = (
        await session.scalars(
            select(DeskBooking).where(
                DeskBooking.status == Status.HELD, DeskBooking.hold_expires_at <= now
            )
        )
    ).all()
    expired = []
    for booking in due:
        if await desks.release(session, booking, Status.EXPIRED, now, expected=Status.HELD):
            if (entry := await _entry_of(session, booking)) is not None:
                _finish(entry, WaitStatus.EXPIRED, now)
            expired.append(booking)
    return expired


async def refill_after(
    session: AsyncSession,
    places: Places,
    freed: Iterable[DeskBooking],
    now: datetime,
    *,
    started: bool = False,
) -> list[DeskBooking]:
    """Offer the desks of `freed` bookings to the people in line for those days."""
    offers: list[DeskBooking] = []
    for location_id, day in sorted({(b.location_id, b.day) for b in freed}):
        place = places.get(location_id)
        if place is not None:
            offers += await refill(session, place, day, now, started=started)
    return offers


async def close_day(
    session: AsyncSession, place: Place, day: date, now: datetime
) -> list[WaitlistEntry]:
    """Everyone in line for a day that is now closed leaves the line; they are returned."""
    entries = (
        await session.scalars(
            select(WaitlistEntry).where(
                WaitlistEntry.location_id == place.id,
                WaitlistEntry.day == day,
                WaitlistEntry.status.in_(IN_LINE),
            )
        )
    ).all()
    for entry in entries:
        _finish(entry, WaitStatus.CLOSED, now)
    return list(entries)
