"""Coaches: who they are, their availability, the seed sync, invites and retirement."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import insert, utcnow
from storage.coaching.slots import Availability, Window
from storage.coaching.tables import (
    Coach,
    CoachBlockedDay,
    CoachInvite,
    CoachWindow,
    Reason,
    Refused,
)
from storage.desks.places import Places
from storage.users import User, set_roles

INVITE_DAYS = 7
DEFAULT_ZONE, DEFAULT_COUNTRY = "Europe/Helsinki", "FI"


def split(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def expertise_of(coach: Coach) -> list[str]:
    return split(coach.expertise)


def languages_of(coach: Coach) -> list[str]:
    return split(coach.languages)


def in_person(coach: Coach) -> bool:
    return coach.location_id is not None


def modes_of(coach: Coach) -> list[str]:
    """How the coach meets: "in_person" where they have a location, "online" if they offer it."""
    return [mode for mode, on in (("in_person", in_person(coach)), ("online", coach.online)) if on]


async def get(session: AsyncSession, user_id: int) -> Coach | None:
    return await session.get(Coach, user_id)


async def active_coach(session: AsyncSession, user_id: int) -> Coach:
    """The presser as a coach who takes sessions, or Refused (role first)."""
    coach = await session.get(Coach, user_id)
    if coach is None:
        raise Refused(Reason.NOT_COACH)
    if not coach.active:
        raise Refused(Reason.RETIRED)
    return coach


async def listed(
    session: AsyncSession, *, expertise: str | None = None, language: str | None = None
) -> list[Coach]:
    """The active coaches, by name, with that expertise and speaking that language."""
    rows = await session.scalars(
        select(Coach).where(Coach.active.is_(True)).order_by(Coach.name, Coach.user_id)
    )
    return [
        coach
        for coach in rows
        if (expertise is None or expertise in expertise_of(coach))
        and (language is None or language in languages_of(coach))
    ]


def availability_of(coach: Coach, rows: Iterable[tuple[Any, ...]]) -> Availability:
    """The coach's availability from their rows (weekday, day, start minute, end minute), a
    blocked day being a row with no minutes (read with the held time in one statement, by
    `storage.coaching.sessions.coach_time`)."""
    weekly: dict[int, list[Window]] = {}
    extra: dict[date, list[Window]] = {}
    blocked: set[date] = set()
    for weekday, day, start, end in rows:
        if start is None:
            blocked.add(day)
        elif day is not None:
            extra.setdefault(day, []).append(Window(start, end))
        elif weekday is not None:
            weekly.setdefault(weekday, []).append(Window(start, end))
    return Availability(
        zone=ZoneInfo(coach.timezone),
        country=coach.country,
        session_minutes=coach.session_minutes,
        buffer_minutes=coach.buffer_minutes,
        notice=timedelta(hours=coach.notice_hours),
        horizon_days=coach.horizon_days,
        max_per_day=coach.max_per_day,
        weekly={day: tuple(sorted(w, key=lambda x: x.start)) for day, w in weekly.items()},
        extra={day: tuple(sorted(w, key=lambda x: x.start)) for day, w in extra.items()},
        blocked=frozenset(blocked),
    )


async def sync_coaches(session: AsyncSession, seeds: Iterable[Any], places: Places) -> None:
    """Write the seeded coaches (`content.coaches.CoachSeed` objects) that are not there yet:
    the file gives a coach their first profile and availability, which are the coach's to
    change in the bot from then on (a restart does not undo that). The person is created if
    they have not started the bot yet, and becomes a coach."""
    by_key = {place.key: place for place in places.all}
    for seed in seeds:
        if await session.get(Coach, seed.user_id) is not None:
            continue
        place = by_key.get(seed.location) if seed.location else None
        first_name = seed.name.split()[0]
        # Not started yet: like someone who blocked the bot, not written to (a broadcast
        # leaves them out) until their first message clears the mark.
        unseen = {"id": seed.user_id, "first_name": first_name, "blocked_at": utcnow()}
        await session.execute(insert(session, User).values(**unseen).on_conflict_do_nothing())
        await set_roles(session, seed.user_id, is_coach=True)
        values = {
            "key": seed.key,
            "name": seed.name,
            "bio": seed.bio,
            "expertise": ",".join(seed.expertise),
            "languages": ",".join(seed.languages),
            "location_id": place.id if place else None,
            "online": seed.online,
            "meeting_link": seed.meeting_link,
            "timezone": seed.timezone,
            "country": seed.country,
            "session_minutes": seed.session_minutes,
            "buffer_minutes": seed.buffer_minutes,
            "notice_hours": seed.notice_hours,
            "horizon_days": seed.horizon_days,
            "max_per_day": seed.max_per_day,
        }
        session.add(Coach(user_id=seed.user_id, active=True, **values))
        await session.flush()
        windows = [
            {
                "coach_id": seed.user_id,
                "weekday": window.weekday,
                "day": window.day,
                "start_minute": window.start.hour * 60 + window.start.minute,
                "end_minute": window.end.hour * 60 + window.end.minute,
            }
            for window in seed.windows
        ]
        await replace_availability(session, seed.user_id, windows, seed.blocked)


async def replace_availability(
    session: AsyncSession, coach_id: int, windows: list[dict[str, object]], blocked: Iterable[date]
) -> None:
    await session.execute(delete(CoachWindow).where(CoachWindow.coach_id == coach_id))
    await session.execute(delete(CoachBlockedDay).where(CoachBlockedDay.coach_id == coach_id))
    if windows:
        await session.execute(insert(session, CoachWindow).values(windows))
    days = [{"coach_id": coach_id, "day": day} for day in set(blocked)]
    if days:
        await session.execute(insert(session, CoachBlockedDay).values(days))


async def make_coach(
    session: AsyncSession, user_id: int, places: Places, name: str | None = None
) -> Coach:
    """Make someone who has started the bot a coach (again, if they were retired). A new coach
    starts with no windows, speaking the language they use the bot in, and meets at the first
    location until they change it."""
    user = await session.get(User, user_id)
    if user is None:
        raise Refused(Reason.NOT_FOUND)
    await set_roles(session, user_id, is_coach=True)
    coach = await session.get(Coach, user_id)
    if coach is not None:
        coach.active, coach.retired_at = True, None
        return coach
    place = places.all[0] if places.all else None
    coach = Coach(
        user_id=user_id,
        name=(name or " ".join(filter(None, (user.first_name, user.last_name))) or "Coach")[:64],
        bio="",
        expertise="",
        languages=user.locale or "en",
        location_id=place.id if place else None,
        online=place is None,
        timezone=str(place.timezone) if place else DEFAULT_ZONE,
        country=place.country if place else DEFAULT_COUNTRY,
        session_minutes=60,
        buffer_minutes=0,
        notice_hours=12,
        horizon_days=21,
        max_per_day=4,
        active=True,
    )
    session.add(coach)
    await session.flush()
    return coach


async def create_invite(session: AsyncSession, admin_id: int, now: datetime) -> CoachInvite:
    invite = CoachInvite(
        token=secrets.token_urlsafe(18),
        created_by=admin_id,
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(
    session: AsyncSession, token: str, user_id: int, places: Places, now: datetime
) -> Coach:
    """Whoever opens a valid invite becomes a coach; the invite is then used up (a conditional
    UPDATE: of two people opening it at once, one gets it)."""
    invite = await session.get(CoachInvite, token)
    if invite is None:
        raise Refused(Reason.INVITE_UNKNOWN)
    if invite.used_by is not None:
        raise Refused(Reason.INVITE_USED)
    if invite.expires_at <= now:
        raise Refused(Reason.INVITE_EXPIRED)
    result = await session.execute(
        update(CoachInvite)
        .where(CoachInvite.token == token, CoachInvite.used_by.is_(None))
        .values(used_by=user_id, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Refused(Reason.INVITE_USED)
    return await make_coach(session, user_id, places)


async def retire(session: AsyncSession, coach: Coach, now: datetime) -> None:
    """The coach stops taking sessions (their live sessions are ended by the caller, through
    `storage.coaching.sessions.end_all_of`)."""
    coach.active, coach.retired_at = False, now
    await set_roles(session, coach.user_id, is_coach=False)
    await session.flush()
