"""Staff writing events in the chat: a draft made of what they typed (only staff see it),
published when they say so, and later changes of the texts, the times, the room or link and
the registration window. Operations never commit; their outcome says whom a change concerns
(the caller writes the notices in the same unit of work)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import clean_text
from storage.events.seed import write_parts
from storage.events.tables import Event, EventPart, EventStatus, Reason, Refused

Parts = Sequence[tuple[datetime, datetime]]


@dataclass(frozen=True, slots=True)
class Draft:
    kind: str
    language: str
    location_id: int | None  # None: online
    room: str | None
    link: str | None
    timezone: str
    title: str  # in the default language; the others are added on the draft
    description: str
    default_language: str
    parts: tuple[tuple[datetime, datetime], ...]
    capacity: int


async def create_draft(session: AsyncSession, draft: Draft, now: datetime) -> Event:
    event = Event(
        key=None, kind=draft.kind,
        titles={draft.default_language: clean_text(draft.title)},
        descriptions={draft.default_language: clean_text(draft.description, multiline=True)},
        language=draft.language, location_id=draft.location_id, room=draft.room,
        link=draft.link, timezone=draft.timezone, capacity=draft.capacity, taken=0,
        opens_at=now, closes_at=draft.parts[0][0], starts_at=draft.parts[0][0],
        ends_at=draft.parts[-1][1], status=EventStatus.DRAFT, version=0, created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(event)
    await session.flush()
    await write_parts(session, event.id, draft.parts)
    return event


async def editable(session: AsyncSession, event_id: int) -> Event:
    """A draft or a scheduled event, fresh from the database; Refused otherwise."""
    event = await session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise Refused(Reason.NOT_FOUND)
    if event.status == EventStatus.CANCELLED:
        raise Refused(Reason.CANCELLED)
    return event


async def publish(session: AsyncSession, event_id: int, now: datetime) -> Event:
    """The draft goes public (once: a conditional write, so a double tap publishes once).
    Registration opens now unless staff set a later opening; refused once the start is past."""
    event = await editable(session, event_id)
    if event.status != EventStatus.DRAFT:
        raise Refused(Reason.PUBLISHED)
    if now >= event.starts_at:
        raise Refused(Reason.STARTED)
    result = await session.execute(
        update(Event)
        .where(Event.id == event_id, Event.status == EventStatus.DRAFT)
        .values(status=EventStatus.SCHEDULED, opens_at=max(event.opens_at, now), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Refused(Reason.PUBLISHED)
    return await editable(session, event_id)


async def discard(session: AsyncSession, event_id: int) -> bool:
    """A draft is deleted (a published event is cancelled instead, never deleted)."""
    result = await session.execute(
        delete(Event)
        .where(Event.id == event_id, Event.status == EventStatus.DRAFT)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _changed(event: Event, now: datetime) -> None:
    event.version += 1  # calendars take the new version over the old
    event.updated_at = now


async def set_text(
    session: AsyncSession, event_id: int, field: str, language: str, text: str, now: datetime
) -> Event:
    """The title or the description in one language (checked by the caller, cleaned here)."""
    event = await editable(session, event_id)
    texts = dict(event.titles if field == "title" else event.descriptions)
    texts[language] = clean_text(text, multiline=field == "description").strip()
    if field == "title":
        event.titles = texts
    else:
        event.descriptions = texts
    _changed(event, now)
    await session.flush()
    return event


async def move(session: AsyncSession, event_id: int, parts: Parts, now: datetime) -> bool:
    """New times for the sessions; whether the event is scheduled (its people are to be
    told and their reminders planned again). Refused once it has started. A registration
    that closed at the old start closes at the new one; one that would close after the new
    start closes at it."""
    event = await editable(session, event_id)
    if now >= event.starts_at and event.status == EventStatus.SCHEDULED:
        raise Refused(Reason.STARTED)
    start = parts[0][0]
    if event.closes_at == event.starts_at or event.closes_at > start:
        event.closes_at = start
    if event.opens_at >= event.closes_at:
        event.opens_at = min(now, event.closes_at)
    event.starts_at, event.ends_at = start, parts[-1][1]
    _changed(event, now)
    await session.execute(delete(EventPart).where(EventPart.event_id == event_id))
    await session.flush()
    await write_parts(session, event_id, parts)
    return event.status == EventStatus.SCHEDULED


async def set_place(
    session: AsyncSession, event_id: int, now: datetime, *, room: str | None, link: str | None
) -> bool:
    """A new room (an event at a location) or link (online); whether people are to be told."""
    event = await editable(session, event_id)
    if event.location_id is None:
        event.link = link
    else:
        event.room = room
    _changed(event, now)
    await session.flush()
    return event.status == EventStatus.SCHEDULED


async def set_window(
    session: AsyncSession, event_id: int, now: datetime, *, opens_at: datetime, closes_at: datetime
) -> Event:
    """The registration window (checked by the caller: opens before it closes, by the start)."""
    event = await editable(session, event_id)
    event.opens_at, event.closes_at = opens_at, closes_at
    event.updated_at = now
    await session.flush()
    return event
