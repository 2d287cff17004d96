"""Desk bookings: booking, cancelling, and the lists people and staff see.

A booking claims its slots (see `storage.desks.tables`) with INSERT ... ON CONFLICT DO NOTHING,
so of many people confirming the last desk at the same moment exactly one gets it, on SQLite
and on PostgreSQL alike. The names callers need from the neighbouring modules are here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.desks import days
from storage.desks.opening import Desk, Period, Place
from storage.desks.places import closure_on
from storage.desks.rules import (
    DayAvailability,
    Situation,
    availability,
    check_bookable,
    check_rules,
    count_upcoming,
    free_desks,
)
from storage.desks.tables import LIVE, DeskBooking, DeskDay, DeskSlot, Reason, Refused, Status
from storage.tally import tally

__all__ = [
    "LIVE",
    "DayAvailability",
    "DeskBooking",
    "DeskSlot",
    "Reason",
    "Refused",
    "Situation",
    "Status",
    "availability",
    "between",
    "book",
    "cancel",
    "check_bookable",
    "check_rules",
    "claim",
    "count_upcoming",
    "free_desks",
    "next_booked_day",
    "on_day",
    "own_booking",
    "release",
    "upcoming",
]


async def book(
    session: AsyncSession,
    place: Place,
    user_id: int,
    day: date,
    period: Period,
    now: datetime,
    *,
    desk_id: int | None = None,
    zone_id: int | None = None,
    exempt: bool = False,
    language: str = "en",
) -> DeskBooking:
    """Book a desk (that one, any in the zone, or any) or raise Refused saying why not
    (a closure's reason in `language`)."""
    facts = await check_rules(session, place, user_id, day, period, now, exempt, language)
    if desk_id is not None:
        desk = place.desk(desk_id)
        if desk is None or (zone_id is not None and desk.zone_id != zone_id):
            raise Refused(Reason.NO_DESK)
        candidates = [desk]
    else:
        if zone_id is not None and place.zone(zone_id) is None:
            raise Refused(Reason.NO_DESK)
        candidates = [desk for desk in place.desks_in(zone_id) if desk.id not in facts.busy]
    booking = await claim(session, place, user_id, day, period, candidates, now)
    if booking is None:
        raise Refused(Reason.TAKEN)
    tally(session, "booking", "desk")
    return booking


async def claim(
    session: AsyncSession,
    place: Place,
    user_id: int,
    day: date,
    period: Period,
    candidates: Sequence[Desk],
    now: datetime,
    *,
    hold_until: datetime | None = None,
) -> DeskBooking | None:
    """Take the first candidate desk whose slots are still free; None if all are gone.

    With `hold_until` the booking is an offer held until then (status `held`). Refused
    (CLOSED) when the day has been closed meanwhile: the check and the claim are one with the
    closure's write of the same day row (`storage.desks.days`).
    """
    if not candidates:
        return None
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not await days.enter_open_day(session, place.id, day):
        raise Refused(Reason.CLOSED, closure=await closure_on(session, place, day))
    starts_at, ends_at = place.span(day, period)
    values: dict[str, Any] = {
        "user_id": user_id,
        "location_id": place.id,
        "desk_id": candidates[0].id,
        "day": day,
        "period": period.value,
        "status": Status.HELD if hold_until else Status.ACTIVE,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "reminded_at": None,
        "checked_in_at": None,
        "hold_expires_at": hold_until,
        "sequence": 0,
        "created_at": now,
        "updated_at": now,
        "cancel_reason": None,
    }
    if dialect == "postgresql":
        booking_id = await _claim_postgres(session, place, period, candidates, values)
    else:
        booking_id = await _claim_sqlite(session, place, candidates, values)
    if booking_id is None:
        return None
    # The row is written; the object joins the session as loaded, with no second query.
    booking = DeskBooking(id=booking_id, **values)
    make_transient_to_detached(booking)
    session.add(booking)
    return booking


async def _claim_postgres(
    session: AsyncSession,
    place: Place,
    period: Period,
    candidates: Sequence[Desk],
    values: dict[str, Any],
) -> int | None:
    """The booking row, then its slots for the first candidate desk that has them free."""
    booking_id = int((await session.execute(_BOOKING_INSERT, values)).scalar_one())
    claim_slots = _slot_insert(len(period.halves))
    for desk in candidates:
        params = {"desk_id": desk.id, "day": values["day"], "user_id": values["user_id"]}
        params |= {"location_id": place.id, "booking_id": booking_id}
        params |= {f"half_{n}": half for n, half in enumerate(period.halves)}
        result = await session.execute(claim_slots, params)
        claimed = result.rowcount  # type: ignore[attr-defined]
        if claimed == len(period.halves):
            if desk.id != values["desk_id"]:
                values["desk_id"] = desk.id
                await session.execute(
                    update(_BOOKINGS).where(_BOOKINGS.c.id == booking_id).values(desk_id=desk.id)
                )
            return booking_id
        if claimed:  # half of a full day: give it back and try the next desk
            await session.execute(delete(DeskSlot).where(DeskSlot.booking_id == booking_id))
    await session.execute(delete(_BOOKINGS).where(_BOOKINGS.c.id == booking_id))
    return None


async def _claim_sqlite(
    session: AsyncSession, place: Place, candidates: Sequence[Desk], values: dict[str, Any]
) -> int | None:
    """One statement per candidate desk: the booking row, written only if its day is open,
    and by the table's trigger (migration 0006) its slots; a slot held already fails the
    statement as a whole. SQLite's writers are serial, so the day's check holds."""
    for desk in candidates:
        values["desk_id"] = desk.id
        try:
            booking_id = (await session.execute(_open_day_insert(), values)).scalar_one_or_none()
        except IntegrityError:  # that desk (or the person) is taken at that time
            continue
        if booking_id is None:
            raise Refused(Reason.CLOSED, closure=await closure_on(session, place, values["day"]))
        return int(booking_id)
    return None


_BOOKINGS = DeskBooking.__table__
_BOOKING_INSERT = insert(_BOOKINGS).returning(_BOOKINGS.c.id)


@lru_cache(maxsize=1)
def _open_day_insert() -> Any:
    """The booking row, written only if its day is not closed (one statement instead of the
    day row's own, on the booking path: SQLite's writers are serial, so the check holds)."""
    columns = [column for column in _BOOKINGS.c if column.name != "id"]
    closed = exists().where(
        DeskDay.location_id == bindparam("location_id"),
        DeskDay.day == bindparam("day", type_=Date),
        DeskDay.closed.is_(True),
    )
    row = select(*(bindparam(c.name, type_=c.type) for c in columns)).where(~closed)
    statement = insert(_BOOKINGS).from_select([c.name for c in columns], row)
    return statement.returning(_BOOKINGS.c.id)


@lru_cache(maxsize=8)
def _slot_insert(halves: int) -> Any:
    """PostgreSQL's INSERT of a booking's slots, ON CONFLICT DO NOTHING, built once per shape: a
    statement with a list of VALUES is compiled anew on every use, this one comes from the
    cache."""
    table = DeskSlot.__table__
    rows = [
        {
            "desk_id": bindparam("desk_id"),
            "day": bindparam("day", type_=Date),
            "half": bindparam(f"half_{n}", type_=String),
            "user_id": bindparam("user_id"),
            "location_id": bindparam("location_id"),
            "booking_id": bindparam("booking_id"),
        }
        for n in range(halves)
    ]
    return postgresql.insert(table).values(rows).on_conflict_do_nothing()


async def release(
    session: AsyncSession,
    booking: DeskBooking,
    status: Status,
    now: datetime,
    *,
    expected: Status = Status.ACTIVE,
    reason: str | None = None,
    unless_checked_in: bool = False,
) -> bool:
    """Move a live booking to `status` and free its desk; False if it was not `expected`
    (or, with `unless_checked_in`, if the person has checked in meanwhile).

    The conditional UPDATE makes this safe against a second instance or a concurrent
    cancellation: only one of them sees the row change.
    """
    still = [DeskBooking.checked_in_at.is_(None)] if unless_checked_in else []
    result = await session.execute(
        update(DeskBooking)
        .where(DeskBooking.id == booking.id, DeskBooking.status == expected, *still)
        .values(
            status=status,
            sequence=DeskBooking.sequence + 1,
            updated_at=now,
            cancel_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.execute(delete(DeskSlot).where(DeskSlot.booking_id == booking.id))
    await session.refresh(booking)
    return True


async def own_booking(session: AsyncSession, booking_id: int, user_id: int) -> DeskBooking | None:
    """The booking if it is `user_id`'s (buttons can be forged: ownership is checked here)."""
    booking = await session.get(DeskBooking, booking_id)
    return booking if booking is not None and booking.user_id == user_id else None


async def cancel(
    session: AsyncSession, booking_id: int, user_id: int, now: datetime
) -> DeskBooking:
    """The person cancels their booking: allowed until its period starts."""
    booking = await own_booking(session, booking_id, user_id)
    if booking is None or booking.status != Status.ACTIVE:
        raise Refused(Reason.NOT_FOUND, booking=booking)
    if booking.starts_at <= now:
        raise Refused(Reason.TOO_LATE, booking=booking)
    if not await release(session, booking, Status.CANCELLED, now, reason="user"):
        raise Refused(Reason.NOT_FOUND, booking=booking)
    return booking


async def upcoming(session: AsyncSession, user_id: int, now: datetime) -> list[DeskBooking]:
    """The person's live bookings that have not ended, soonest first."""
    rows = await session.scalars(
        select(DeskBooking)
        .where(
            DeskBooking.user_id == user_id,
            DeskBooking.status.in_(LIVE),
            DeskBooking.ends_at > now,
        )
        .order_by(DeskBooking.starts_at, DeskBooking.id)
    )
    return list(rows)


async def on_day(session: AsyncSession, place: Place, day: date) -> list[DeskBooking]:
    """The live bookings of a location on `day`, by desk order."""
    rows = await session.scalars(
        select(DeskBooking).where(
            DeskBooking.location_id == place.id,
            DeskBooking.day == day,
            DeskBooking.status.in_(LIVE),
        )
    )
    order = {desk.id: n for n, desk in enumerate(place.desks)}
    return sorted(rows, key=lambda b: (order.get(b.desk_id, len(order)), b.period, b.id))


async def next_booked_day(session: AsyncSession, after: date) -> date | None:
    """The first day after `after` with a live booking at any location."""
    day = await session.scalar(
        select(func.min(DeskBooking.day)).where(
            DeskBooking.day > after, DeskBooking.status.in_(LIVE)
        )
    )
    return day


async def between(session: AsyncSession, first: date, last: date) -> list[DeskBooking]:
    """Every booking (any status) of the days from `first` to `last`, for the staff's export."""
    rows = await session.scalars(
        select(DeskBooking)
        .where(DeskBooking.day.between(first, last), DeskBooking.status != Status.HELD)
        .order_by(DeskBooking.day, DeskBooking.location_id, DeskBooking.starts_at, DeskBooking.id)
    )
    return list(rows)


async def last_location(session: AsyncSession, user_id: int) -> int | None:
    """The location of the person's latest desk booking: where they are, as far as we know."""
    location_id: int | None = await session.scalar(
        select(DeskBooking.location_id)
        .where(DeskBooking.user_id == user_id)
        .order_by(DeskBooking.created_at.desc(), DeskBooking.id.desc())
        .limit(1)
    )
    return location_id
