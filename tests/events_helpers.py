"""Events for tests, written through the seed sync (the path the file takes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.app import Runtime
from content.events import EventSeed
from storage.engine import unit_of_work
from storage.events import seed
from storage.events.tables import Event
from storage.users import Profile, touch


def sample(
    key: str,
    starts: datetime,
    *,
    capacity: int = 2,
    kind: str = "workshop",
    parts: int = 1,
    online: bool = False,
    language: str = "en",
    closes: datetime | None = None,
    opens: datetime | None = None,
    cancelled: bool = False,
    timezone: str = "Europe/Helsinki",
) -> EventSeed:
    spans = tuple(
        (starts + timedelta(days=7 * n), starts + timedelta(days=7 * n, hours=2))
        for n in range(parts)
    )
    return EventSeed(
        key=key, kind=kind,
        titles={"en": f"Event {key}", "fi": f"Tapahtuma {key}"},
        descriptions={"en": "What we do there."},
        language=language, location=None if online else "lpr", room=None if online else "Hall",
        link="https://meet.example.org/x" if online else None, timezone=timezone,
        capacity=capacity, parts=spans, opens_at=opens, closes_at=closes, cancelled=cancelled,
    )  # fmt: skip


async def add_events(runtime: Runtime, now: datetime, *seeds: EventSeed) -> dict[str, int]:
    """The events, synced; their ids by key."""
    async with unit_of_work(runtime.factory) as session:
        await seed.sync_events(session, seeds, runtime.places, now)
        rows = await session.execute(
            select(Event.key, Event.id).where(Event.key.in_([item.key for item in seeds]))
        )
        return {key: event_id for key, event_id in rows}


async def people(runtime: Runtime, *user_ids: int) -> None:
    async with unit_of_work(runtime.factory) as session:
        for user_id in user_ids:
            await touch(session, Profile(user_id, f"Person {user_id}", None, None), is_admin=False)
