"""Desk bookings: availability, booking, cancelling, and the rules every booking obeys.

No double booking is the database's job: a booking holds one `desk_slots` row per half-day
it covers, and the slots are unique by desk × day × half (no two people on one desk) and by
person × day × half (one desk per person at a time). A booking claims its slots with
INSERT ... ON CONFLICT DO NOTHING, so of many people confirming the last desk at the same
moment exactly one gets it, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column

from storage.base import Base, UTCDateTime, utcnow
from storage.opening import Closure, ClosureKind, Desk, Period, Place
from storage.places import ClosedDay, admin_closures, closure_on


class Status(StrEnum):
    HELD = "held"  # offered to someone from the waitlist, until `hold_expires_at`
    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # an offer nobody took in time
    DECLINED = "declined"  # an offer turned down


LIVE = (Status.HELD, Status.ACTIVE)  # the statuses that hold desk slots


class Reason(StrEnum):
    """Why a booking, a cancellation or an offer was refused (each has its own message)."""

    CLOSED = "closed"
    PAST = "past"  # a day before today
    HORIZON = "horizon"  # beyond the booking horizon
    STARTED = "started"  # the period has already started
    QUOTA = "quota"  # too many upcoming bookings
    TWICE = "twice"  # the person already has a desk at that time
    TAKEN = "taken"  # the desk (or every desk) was taken
    NO_DESK = "no_desk"  # a desk or zone that is not (or no longer) bookable
    NOT_FOUND = "not_found"  # not the person's booking, or no longer active
    TOO_LATE = "too_late"  # cancelling a booking that has started
    OFFER_GONE = "offer_gone"  # an offer that expired or was answered
    NOT_FULL = "not_full"  # joining the waitlist while desks are free
    WAITING = "waiting"  # already on the waitlist for that


class Refused(Exception):
    def __init__(
        self,
        reason: Reason,
        *,
        closure: Closure | None = None,
        limit: int = 0,
        booking: DeskBooking | None = None,
    ) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.closure = closure
        self.limit = limit
        self.booking = booking


class DeskBooking(Base):
    __tablename__ = "desk_bookings"
    __table_args__ = (
        Index("ix_desk_bookings_user_status_ends", "user_id", "status", "ends_at"),
        Index("ix_desk_bookings_location_day", "location_id", "day"),
        Index("ix_desk_bookings_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("desks.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))
    # What reminders need: when it starts and ends (UTC; the location gives the zone).
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # the .ics SEQUENCE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancel_reason: Mapped[str | None] = mapped_column(String(16))


class DeskSlot(Base):
    """A half-day of a desk held by a live booking: the rows that make double booking fail."""

    __tablename__ = "desk_slots"
    __table_args__ = (
        UniqueConstraint("user_id", "day", "half"),
        Index("ix_desk_slots_location_day", "location_id", "day"),
    )

    desk_id: Mapped[int] = mapped_column(
        ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    half: Mapped[str] = mapped_column(String(2), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("desk_bookings.id", ondelete="CASCADE"), index=True
    )


@dataclass(frozen=True, slots=True)
class DayAvailability:
    day: date
    closure: Closure | None
    free: dict[Period, int]  # desks free for each period that has not started
    total: int

    @property
    def open(self) -> bool:
        return self.closure is None and bool(self.free)

    @property
    def bookable(self) -> bool:
        return self.closure is None and any(self.free.values())

    @property
    def full(self) -> bool:
        """Open, not over, and not a desk left: the day for the waitlist."""
        return self.open and not self.bookable


async def availability(
    session: AsyncSession, place: Place, days: Sequence[date], now: datetime, language: str = "en"
) -> list[DayAvailability]:
    """What is free on each of `days` (consecutive): one query for the slots, one for closures."""
    if not days:
        return []
    first, last = days[0], days[-1]
    closed = await admin_closures(session, place, first, last)
    rows = await session.execute(
        select(DeskSlot.day, DeskSlot.half, DeskSlot.desk_id).where(
            DeskSlot.location_id == place.id, DeskSlot.day.between(first, last)
        )
    )
    taken: dict[tuple[date, str], set[int]] = {}
    for day, half, desk_id in rows:
        taken.setdefault((day, half), set()).add(desk_id)
    desk_ids = {desk.id for desk in place.desks}
    result = []
    for day in days:
        closure = place.closure(day, language) or closed.get(day)
        free: dict[Period, int] = {}
        if closure is None:
            morning = taken.get((day, "am"), set())
            afternoon = taken.get((day, "pm"), set())
            for period, busy in (
                (Period.FULL, morning | afternoon),
                (Period.MORNING, morning),
                (Period.AFTERNOON, afternoon),
            ):
                if not place.started(day, period, now):
                    free[period] = len(desk_ids - busy)
        result.append(DayAvailability(day, closure, free, len(desk_ids)))
    return result


async def free_desks(
    session: AsyncSession, place: Place, day: date, period: Period, zone_id: int | None = None
) -> list[Desk]:
    """The desks (of a zone, or all) with every half-day of `period` free, in display order."""
    busy = set(
        await session.scalars(
            select(DeskSlot.desk_id).where(
                DeskSlot.location_id == place.id,
                DeskSlot.day == day,
                DeskSlot.half.in_(period.halves),
            )
        )
    )
    return [desk for desk in place.desks_in(zone_id) if desk.id not in busy]


async def check_bookable(
    session: AsyncSession,
    place: Place,
    day: date,
    period: Period,
    now: datetime,
    language: str = "en",
) -> None:
    """Refused unless `period` of `day` is open, ahead, and within the booking horizon."""
    _check_calendar(place, day, now, language)
    if (closure := await closure_on(session, place, day, language)) is not None:
        raise Refused(Reason.CLOSED, closure=closure)
    if place.started(day, period, now):
        raise Refused(Reason.STARTED)


def _check_calendar(place: Place, day: date, now: datetime, language: str) -> None:
    """The checks that need no query: past, horizon, and the location's own calendar."""
    if day < place.today(now):
        raise Refused(Reason.PAST)
    if not place.in_horizon(day, now):
        raise Refused(Reason.HORIZON, limit=place.rules.horizon_days)
    if (closure := place.closure(day, language)) is not None:
        raise Refused(Reason.CLOSED, closure=closure)


async def count_upcoming(session: AsyncSession, user_id: int, now: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                DeskBooking.user_id == user_id,
                DeskBooking.status.in_(LIVE),
                DeskBooking.ends_at > now,
            )
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class Situation:
    """What a booking decision needs from the database."""

    closed: str | None  # the reason, when an admin closed the day
    clash: int | None  # the person's booking at that time
    upcoming: int  # the person's live bookings that have not ended
    busy: frozenset[int]  # the desks taken for some half of the period


async def situation(
    session: AsyncSession, place: Place, user_id: int, day: date, period: Period, now: datetime
) -> Situation:
    """Read everything `book` decides on in one round trip (a booking is on the hot path)."""
    params = {"location_id": place.id, "user_id": user_id, "day": day, "now": now}
    params |= {f"half_{n}": half for n, half in enumerate(period.halves)}
    rows = await session.execute(_situation_query(len(period.halves)), params)
    closed, clash, upcoming, busy = None, None, 0, set()
    for name, text, number in rows:
        if name == "closed":
            closed = text
        elif name == "mine":
            clash = number
        elif name == "count":
            upcoming = int(number)
        else:
            busy.add(number)
    return Situation(closed, clash, upcoming, frozenset(busy))


@lru_cache(maxsize=4)
def _situation_query(halves: int) -> Any:
    """Built once per shape: building a statement costs more than running it here."""

    def kind(name: str) -> Any:
        return literal_column(f"'{name}'").label("kind")

    location, user, day = bindparam("location_id"), bindparam("user_id"), bindparam("day")
    in_period = DeskSlot.half.in_([bindparam(f"half_{n}") for n in range(halves)])
    return union_all(
        select(kind("closed"), ClosedDay.reason.label("text"), literal_column("0")).where(
            ClosedDay.location_id == location, ClosedDay.day == day
        ),
        select(kind("mine"), literal_column("''"), DeskSlot.booking_id).where(
            DeskSlot.user_id == user, DeskSlot.day == day, in_period
        ),
        select(kind("count"), literal_column("''"), func.count()).where(
            DeskBooking.user_id == user,
            DeskBooking.status.in_(LIVE),
            DeskBooking.ends_at > bindparam("now", type_=UTCDateTime),
        ),
        select(kind("busy"), literal_column("''"), DeskSlot.desk_id).where(
            DeskSlot.location_id == location, DeskSlot.day == day, in_period
        ),
    )


async def check_rules(
    session: AsyncSession,
    place: Place,
    user_id: int,
    day: date,
    period: Period,
    now: datetime,
    exempt: bool = False,
    language: str = "en",
) -> Situation:
    """Every rule a booking (or a place in line) obeys, checked on one read of the situation;
    Refused with the first rule broken.

    A person's updates are handled one at a time (aiogram's event isolation), so the person's
    own facts cannot change under the check; the slots' unique keys back that up.
    """
    _check_calendar(place, day, now, language)
    facts = await situation(session, place, user_id, day, period, now)
    if facts.closed is not None:
        raise Refused(Reason.CLOSED, closure=Closure(ClosureKind.CLOSED, facts.closed))
    if place.started(day, period, now):
        raise Refused(Reason.STARTED)
    if facts.clash is not None:
        raise Refused(Reason.TWICE, booking=await session.get(DeskBooking, facts.clash))
    if not exempt and facts.upcoming >= place.rules.max_active:
        raise Refused(Reason.QUOTA, limit=place.rules.max_active)
    return facts


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

    With `hold_until` the booking is an offer held until then (status `held`).
    """
    if not candidates:
        return None
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
        "hold_expires_at": hold_until,
        "sequence": 0,
        "created_at": now,
        "updated_at": now,
        "cancel_reason": None,
    }
    booking_id = (await session.execute(_BOOKING_INSERT, values)).scalar_one()
    claim_slots = _slot_insert(session.get_bind().dialect.name, len(period.halves))
    for desk in candidates:
        params = {"desk_id": desk.id, "day": day, "user_id": user_id, "location_id": place.id}
        params |= {"booking_id": booking_id}
        params |= {f"half_{n}": half for n, half in enumerate(period.halves)}
        result = await session.execute(claim_slots, params)
        claimed = result.rowcount  # type: ignore[attr-defined]
        if claimed == len(period.halves):
            if desk.id != values["desk_id"]:
                values["desk_id"] = desk.id
                await session.execute(
                    update(_BOOKINGS).where(_BOOKINGS.c.id == booking_id).values(desk_id=desk.id)
                )
            # The row is written; the object joins the session as loaded, with no second query.
            booking = DeskBooking(id=booking_id, **values)
            make_transient_to_detached(booking)
            session.add(booking)
            return booking
        if claimed:  # half of a full day: give it back and try the next desk
            await session.execute(delete(DeskSlot).where(DeskSlot.booking_id == booking_id))
    await session.execute(delete(_BOOKINGS).where(_BOOKINGS.c.id == booking_id))
    return None


_BOOKINGS = DeskBooking.__table__
_BOOKING_INSERT = insert(_BOOKINGS).returning(_BOOKINGS.c.id)


@lru_cache(maxsize=8)
def _slot_insert(dialect: str, halves: int) -> Any:
    """INSERT of a booking's slots, ON CONFLICT DO NOTHING, built once per shape: a statement
    with a list of VALUES is compiled anew on every use, this one comes from the cache."""
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
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return make(table).values(rows).on_conflict_do_nothing()


async def release(
    session: AsyncSession,
    booking: DeskBooking,
    status: Status,
    now: datetime,
    *,
    expected: Status = Status.ACTIVE,
    reason: str | None = None,
) -> bool:
    """Move a live booking to `status` and free its desk; False if it was not `expected`.

    The conditional UPDATE makes this safe against a second instance or a concurrent
    cancellation: only one of them sees the row change.
    """
    result = await session.execute(
        update(DeskBooking)
        .where(DeskBooking.id == booking.id, DeskBooking.status == expected)
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


async def between(session: AsyncSession, first: date, last: date) -> list[DeskBooking]:
    """Every booking (any status) of the days from `first` to `last`, for the staff's export."""
    rows = await session.scalars(
        select(DeskBooking)
        .where(DeskBooking.day.between(first, last), DeskBooking.status != Status.HELD)
        .order_by(DeskBooking.day, DeskBooking.location_id, DeskBooking.starts_at, DeskBooking.id)
    )
    return list(rows)
