"""Coaches for tests, written straight into the tables (the seed's coaches are in the
database too: they are synced when the runtime opens)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from storage.coaching.coaches import replace_availability
from storage.coaching.tables import Coach
from storage.users import Profile, set_roles, touch

TUESDAY_AFTERNOON = ((1, 14 * 60, 17 * 60),)  # weekday, from, until (minutes)


async def add_coach(
    session: AsyncSession,
    user_id: int,
    *,
    name: str = "Test Coach",
    zone: str = "Europe/Helsinki",
    country: str = "FI",
    location_id: int | None = None,
    online: bool = True,
    minutes: int = 60,
    buffer: int = 15,
    notice_hours: int = 12,
    horizon_days: int = 21,
    max_per_day: int = 4,
    weekly: Iterable[tuple[int, int, int]] = TUESDAY_AFTERNOON,
    extra: Iterable[tuple[date, int, int]] = (),
    blocked: Iterable[date] = (),
    expertise: str = "funding,pitching",
    languages: str = "en,fi",
) -> Coach:
    await touch(session, Profile(user_id, name.split()[0], None, None), is_admin=False)
    await set_roles(session, user_id, is_coach=True)
    coach = Coach(
        user_id=user_id, name=name, bio="A coach for the tests.", expertise=expertise,
        languages=languages, location_id=location_id, online=online,
        meeting_link="https://meet.example.org/test" if online else None, timezone=zone,
        country=country, session_minutes=minutes, buffer_minutes=buffer,
        notice_hours=notice_hours, horizon_days=horizon_days, max_per_day=max_per_day,
        active=True,
    )  # fmt: skip
    session.add(coach)
    await session.flush()
    windows = [
        {"coach_id": user_id, "weekday": w, "day": None, "start_minute": a, "end_minute": b}
        for w, a, b in weekly
    ] + [
        {"coach_id": user_id, "weekday": None, "day": d, "start_minute": a, "end_minute": b}
        for d, a, b in extra
    ]
    await replace_availability(session, user_id, windows, blocked)
    return coach
