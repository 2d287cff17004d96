"""Reading events: the upcoming ones (by kind and language, page by page), one with its parts,
a person's registrations, and an event's counts for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.events.tables import HOLDING, Event, EventPart, EventStatus, Registration, Seat


@dataclass(frozen=True, slots=True)
class Page:
    events: list[Event]
    total: int


async def upcoming(
    session: AsyncSession,
    now: datetime,
    *,
    kind: str | None = None,
    language: str | None = None,
    offset: int = 0,
    limit: int = 5,
) -> Page:
    """Scheduled events that have not ended, soonest first."""
    where = [Event.status == EventStatus.SCHEDULED, Event.ends_at > now]
    if kind:
        where.append(Event.kind == kind)
    if language:
        where.append(Event.language == language)
    total = await session.scalar(select(func.count()).select_from(Event).where(*where))
    rows = await session.scalars(
        select(Event).where(*where).order_by(Event.starts_at, Event.id).offset(offset).limit(limit)
    )
    return Page(list(rows), int(total or 0))


async def parts(session: AsyncSession, event_id: int) -> list[EventPart]:
    return list(
        await session.scalars(
            select(EventPart).where(EventPart.event_id == event_id).order_by(EventPart.position)
        )
    )


async def mine(
    session: AsyncSession, user_id: int, now: datetime
) -> list[tuple[Registration, Event]]:
    """The person's seats and places in line on events that have not ended, in time order."""
    rows = await session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.user_id == user_id,
            Registration.status.in_(HOLDING),
            Event.status == EventStatus.SCHEDULED,
            Event.ends_at > now,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [(registration, event) for registration, event in rows]


@dataclass(frozen=True, slots=True)
class Counts:
    registered: int
    waiting: int
    attended: int


async def counts(session: AsyncSession, event_id: int) -> Counts:
    rows = await session.execute(
        select(Registration.status, Registration.attended, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status, Registration.attended)
    )
    registered = waiting = attended = 0
    for status, came, number in rows:
        if status == Seat.REGISTERED:
            registered += number
            attended += number if came else 0
        elif status == Seat.WAITING:
            waiting += number
    return Counts(registered, waiting, attended)


async def drafts(session: AsyncSession, *, limit: int = 10) -> list[Event]:
    """Drafts staff have not published, the latest first."""
    return list(
        await session.scalars(
            select(Event)
            .where(Event.status == EventStatus.DRAFT)
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(limit)
        )
    )
