"""What can be booked: availability for the calendar, and every rule a booking obeys,
checked on one read of the situation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import UTCDateTime
from storage.desks.opening import Closure, ClosureKind, Desk, Period, Place
from storage.desks.places import ClosedDay, admin_closures, closure_on
from storage.desks.tables import LIVE, DeskBooking, DeskSlot, Reason, Refused


@dataclass(frozen=True, slots=True)
class DayAvailability:
    day: date
    closure: Closure | None
    free: dict[Period, int]  # desks free for each period that has not started
    total: int
    # the asking person's own half-days ("am", "pm") on this day, at any location: half →
    # location id (nobody holds two desks at once, so these periods are not theirs to book)
    mine: Mapping[str, int] = field(default_factory=dict)

    def held(self, period: Period) -> bool:
        """The person already has a desk for some of `period` (here or at another location)."""
        return any(half in self.mine for half in period.halves)

    @property
    def open(self) -> bool:
        return self.closure is None and bool(self.free)

    @property
    def bookable(self) -> bool:
        """A desk is free for a period the person does not already hold a desk for."""
        return self.closure is None and any(
            count and not self.held(period) for period, count in self.free.items()
        )

    @property
    def all_mine(self) -> bool:
        """Every period still ahead is one the person already holds a desk for."""
        return self.open and all(self.held(period) for period in self.free)

    @property
    def full(self) -> bool:
        """Open, not over, and not a desk left: the day for the waitlist."""
        return self.open and not self.all_mine and not self.bookable


async def availability(
    session: AsyncSession,
    place: Place,
    days: Sequence[date],
    now: datetime,
    language: str = "en",
    user_id: int | None = None,
) -> list[DayAvailability]:
    """What is free on each of `days` (consecutive): one query for the slots, one for closures;
    with `user_id`, also the half-days that person already holds a desk for, anywhere."""
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
    mine: dict[date, dict[str, int]] = {}
    if user_id is not None:
        own = await session.execute(
            select(DeskSlot.day, DeskSlot.half, DeskSlot.location_id).where(
                DeskSlot.user_id == user_id, DeskSlot.day.between(first, last)
            )
        )
        for day, half, location_id in own:
            mine.setdefault(day, {})[half] = location_id
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
        result.append(DayAvailability(day, closure, free, len(desk_ids), mine.get(day, {})))
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
