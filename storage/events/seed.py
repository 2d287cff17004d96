"""The events of the seed file (`content.events.EventSeed`), synced by key at start."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.desks.places import Places
from storage.events import listing, seats
from storage.events.tables import Event, EventPart, EventStatus, Refused, Registration

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Synced:
    """What the sync changed that people must hear of."""

    moved: list[Event] = field(default_factory=list)
    cancelled: list[tuple[Event, list[Registration]]] = field(default_factory=list)
    promoted: list[Registration] = field(default_factory=list)


async def sync_events(
    session: AsyncSession, seeds: Iterable[Any], places: Places, now: datetime
) -> Synced:
    by_key = {place.key: place for place in places.all}
    synced = Synced()
    for seed in seeds:
        place = by_key.get(seed.location) if seed.location else None
        parts = list(seed.parts)
        values = {
            "kind": seed.kind,
            "titles": seed.titles,
            "descriptions": seed.descriptions,
            "language": seed.language,
            "location_id": place.id if place else None,
            "room": seed.room,
            "link": seed.link,
            "timezone": seed.timezone,
            "starts_at": parts[0][0],
            "ends_at": parts[-1][1],
            "closes_at": seed.closes_at or parts[0][0],
        }
        event = await session.scalar(select(Event).where(Event.key == seed.key))
        if event is None:
            event = Event(
                key=seed.key, capacity=seed.capacity, taken=0, opens_at=seed.opens_at or now,
                status=EventStatus.CANCELLED if seed.cancelled else EventStatus.SCHEDULED,
                version=0, created_at=now, updated_at=now, **values,
            )  # fmt: skip
            session.add(event)
            await session.flush()
            await write_parts(session, event.id, parts)
            continue
        old = [(part.starts_at, part.ends_at) for part in await listing.parts(session, event.id)]
        changed = any(getattr(event, name) != value for name, value in values.items())
        if seed.opens_at is not None and event.opens_at != seed.opens_at:
            event.opens_at, changed = seed.opens_at, True
        for name, value in values.items():
            setattr(event, name, value)
        if old != parts:
            await session.execute(delete(EventPart).where(EventPart.event_id == event.id))
            await write_parts(session, event.id, parts)
            if event.status == EventStatus.SCHEDULED:
                synced.moved.append(event)
        if changed or old != parts:
            event.version += 1
            event.updated_at = now
        await session.flush()
        if event.capacity != seed.capacity and event.status == EventStatus.SCHEDULED:
            try:
                freed = await seats.set_capacity(session, event.id, seed.capacity, now)
                synced.promoted += freed.promoted
            except Refused:
                log.warning(
                    "event %s: capacity %d is below the %d seats taken; kept %d",
                    seed.key, seed.capacity, event.taken, event.capacity,
                )  # fmt: skip
        if seed.cancelled and event.status == EventStatus.SCHEDULED:
            synced.cancelled.append((event, await seats.cancel_event(session, event.id, now)))
            if event in synced.moved:
                synced.moved.remove(event)
    return synced


async def write_parts(
    session: AsyncSession, event_id: int, parts: list[tuple[datetime, datetime]]
) -> None:
    session.add_all(
        EventPart(event_id=event_id, position=index, starts_at=start, ends_at=end)
        for index, (start, end) in enumerate(parts)
    )
    await session.flush()
