"""Taking and freeing seats: register, join the line, unregister, staff removal, a larger
capacity, a cancelled event, a person whose data is erased — and the one path every freed
seat goes through (`fill`).

Operations never commit; the caller's unit of work does, and writes the notices the changes
call for (the outcome says who to tell)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.events.tables import (
    HOLDING,
    Event,
    EventStatus,
    Reason,
    Refused,
    Registration,
    Seat,
)
from storage.tally import tally
from storage.users import User


@dataclass(frozen=True, slots=True)
class Taken:
    registration: Registration
    seated: bool  # False: in line
    place: int = 0  # the place in line (1 = next)


@dataclass(slots=True)
class Freed:
    """What freeing seats did: who got a seat from the line (to be told)."""

    promoted: list[Registration] = field(default_factory=list)


async def event_for_update(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id, populate_existing=True)


def check_open(event: Event | None, now: datetime) -> Event:
    """Refused unless people can register (or join the line) now."""
    if event is None or event.status == EventStatus.DRAFT:
        raise Refused(Reason.NOT_FOUND)
    if event.status == EventStatus.CANCELLED:
        raise Refused(Reason.CANCELLED)
    if now >= event.starts_at:
        raise Refused(Reason.STARTED)
    if now < event.opens_at:
        raise Refused(Reason.NOT_OPEN)
    if now >= event.closes_at:
        raise Refused(Reason.CLOSED)
    return event


async def _take_seat(session: AsyncSession, event_id: int, now: datetime) -> bool:
    """One seat, if one is free: the conditional UPDATE is what keeps the capacity."""
    result = await session.execute(
        update(Event)
        .where(
            Event.id == event_id,
            Event.status == EventStatus.SCHEDULED,
            Event.taken < Event.capacity,
        )
        .values(taken=Event.taken + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def _give_seat(session: AsyncSession, event_id: int, now: datetime) -> None:
    await session.execute(
        update(Event)
        .where(Event.id == event_id, Event.taken > 0)
        .values(taken=Event.taken - 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def register(session: AsyncSession, event_id: int, user_id: int, now: datetime) -> Taken:
    """A seat if one is free, else a place at the end of the line; refused when registration
    is not open, or the person already holds a seat or a place."""
    event = check_open(await session.get(Event, event_id), now)
    mine = await own(session, event.id, user_id)
    if mine is not None and mine.status in HOLDING:
        raise Refused(Reason.ALREADY)
    if mine is None:
        try:
            async with session.begin_nested():
                mine = Registration(
                    event_id=event.id, user_id=user_id, status=Seat.WAITING, queued_at=now,
                    created_at=now, updated_at=now,
                )  # fmt: skip
                session.add(mine)
                await session.flush()
        except IntegrityError:  # the same person, a moment ago (a double tap)
            raise Refused(Reason.ALREADY) from None
    else:  # back after leaving: a conditional write, so two taps cannot both come back
        back = await session.execute(
            update(Registration)
            .where(Registration.id == mine.id, Registration.status.not_in(HOLDING))
            .values(status=Seat.WAITING, queued_at=now, attended=False, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if back.rowcount != 1:
            raise Refused(Reason.ALREADY)
    seated = await _take_seat(session, event.id, now)
    await session.execute(
        update(Registration)
        .where(Registration.id == mine.id)
        .values(status=Seat.REGISTERED if seated else Seat.WAITING)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(mine)
    tally(session, "booking", "event" if seated else "event_waiting")
    return Taken(mine, seated, 0 if seated else await place_in_line(session, mine))


async def leave(
    session: AsyncSession,
    event_id: int,
    user_id: int,
    now: datetime,
    *,
    status: Seat = Seat.LEFT,
) -> tuple[Registration, bool, Freed]:
    """The person gives up their seat or their place (`status` REMOVED when staff do it):
    (their row, whether it was a seat, who the freed seat went to). Refused once the event
    has started, or when they hold neither."""
    event = await session.get(Event, event_id)
    if event is None:
        raise Refused(Reason.NOT_FOUND)
    if now >= event.starts_at and status == Seat.LEFT:
        raise Refused(Reason.STARTED)
    mine = await own(session, event_id, user_id)
    if mine is None:
        raise Refused(Reason.NOT_REGISTERED)
    for held in HOLDING:
        gone = await session.execute(
            update(Registration)
            .where(Registration.id == mine.id, Registration.status == held)
            .values(status=status, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if gone.rowcount == 1:
            break
    else:
        raise Refused(Reason.NOT_REGISTERED)
    await session.refresh(mine)
    freed = Freed()
    if held == Seat.REGISTERED:
        await _give_seat(session, event_id, now)
        freed = await fill(session, event_id, now)
    return mine, held == Seat.REGISTERED, freed


async def forget_person(session: AsyncSession, user_id: int, now: datetime) -> Freed:
    """Before a person's data is erased: every seat and place they hold ends (REMOVED) and
    each freed seat goes to the line through `fill` (deleting their rows alone would leave
    the seats counted as taken); who got a seat (to be told)."""
    freed = Freed()
    held = await session.scalars(
        select(Registration.event_id).where(
            Registration.user_id == user_id, Registration.status.in_(HOLDING)
        )
    )
    for event_id in list(held):
        try:
            _row, _seat, more = await leave(session, event_id, user_id, now, status=Seat.REMOVED)
        except Refused:  # gone meanwhile
            continue
        freed.promoted += more.promoted
    return freed


async def fill(session: AsyncSession, event_id: int, now: datetime) -> Freed:
    """The one way a free seat is given: to the first in line who can still take it, and on
    to the next while seats are free. People who can no longer take a seat (they blocked the
    bot, their account is gone) are skipped and leave the line. After the closing time the
    line stops: nobody is promoted."""
    freed = Freed()
    event = await event_for_update(session, event_id)
    if event is None or event.status != EventStatus.SCHEDULED or now >= event.closes_at:
        return freed
    while True:
        first = (
            await session.execute(
                select(Registration, User.blocked_at)
                .outerjoin(User, User.id == Registration.user_id)
                .where(Registration.event_id == event_id, Registration.status == Seat.WAITING)
                .order_by(Registration.queued_at, Registration.id)
                .limit(1)
            )
        ).first()
        if first is None:
            return freed
        waiting, blocked_at = first
        if blocked_at is not None:
            await _set(session, waiting, Seat.SKIPPED, now, was=Seat.WAITING)
            continue
        if not await _take_seat(session, event_id, now):
            return freed
        if await _set(session, waiting, Seat.REGISTERED, now, was=Seat.WAITING):
            freed.promoted.append(waiting)
        else:  # they left the line meanwhile: the seat goes back
            await _give_seat(session, event_id, now)


async def set_capacity(session: AsyncSession, event_id: int, capacity: int, now: datetime) -> Freed:
    """A new capacity; more seats go to the line at once. Refused below the seats taken."""
    result = await session.execute(
        update(Event)
        .where(Event.id == event_id, Event.taken <= capacity)
        .values(capacity=capacity, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Refused(
            Reason.BELOW_TAKEN if await session.get(Event, event_id) else Reason.NOT_FOUND
        )
    return await fill(session, event_id, now)


async def cancel_event(session: AsyncSession, event_id: int, now: datetime) -> list[Registration]:
    """The event is off: every seat and place ends; the people who held them (to be told)."""
    event = await event_for_update(session, event_id)
    if event is None or event.status == EventStatus.DRAFT:
        raise Refused(Reason.NOT_FOUND)
    if event.status == EventStatus.CANCELLED:
        raise Refused(Reason.CANCELLED)
    held = list(
        await session.scalars(
            select(Registration).where(
                Registration.event_id == event_id, Registration.status.in_(HOLDING)
            )
        )
    )
    await session.execute(
        update(Registration)
        .where(Registration.event_id == event_id, Registration.status.in_(HOLDING))
        .values(status=Seat.CANCELLED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    event.status = EventStatus.CANCELLED
    event.taken = 0
    event.version += 1
    event.updated_at = now
    await session.flush()
    return held


async def place_in_line(session: AsyncSession, mine: Registration) -> int:
    """1 for the next in line; 0 when not in line."""
    if mine.status != Seat.WAITING:
        return 0
    ahead = await session.scalar(
        select(func.count()).where(
            Registration.event_id == mine.event_id,
            Registration.status == Seat.WAITING,
            (Registration.queued_at < mine.queued_at)
            | ((Registration.queued_at == mine.queued_at) & (Registration.id < mine.id)),
        )
    )
    return int(ahead or 0) + 1


async def own(session: AsyncSession, event_id: int, user_id: int) -> Registration | None:
    return await session.scalar(
        select(Registration)
        .where(Registration.event_id == event_id, Registration.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def _set(
    session: AsyncSession, row: Registration, status: Seat, now: datetime, *, was: Seat
) -> bool:
    result = await session.execute(
        update(Registration)
        .where(Registration.id == row.id, Registration.status == was)
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        await session.refresh(row)
    return result.rowcount == 1


async def holders(
    session: AsyncSession, event_id: int, statuses: Sequence[Seat] = HOLDING
) -> list[Registration]:
    return list(
        await session.scalars(
            select(Registration)
            .where(Registration.event_id == event_id, Registration.status.in_(statuses))
            .order_by(Registration.queued_at, Registration.id)
        )
    )
