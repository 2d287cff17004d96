"""After a session: the entrepreneur's rating and comment, the coach's private note and
no-show mark, and the staff's report of sessions and ratings per coach (never the notes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import clean_text
from storage.coaching.sessions import coach_request, own_session
from storage.coaching.tables import Coach, CoachingSession, Reason, Refused, Status

MAX_COMMENT, MAX_NOTE = 500, 1000


def held(booked: CoachingSession, now: datetime) -> bool:
    """A confirmed session whose time has come (it can be rated, noted, marked a no-show)."""
    return booked.status == Status.CONFIRMED and booked.starts_at <= now


async def rate(
    session: AsyncSession, session_id: int, user_id: int, stars: int, now: datetime
) -> CoachingSession:
    booked = await own_session(session, session_id, user_id)
    if not held(booked, now) or booked.ends_at > now:
        raise Refused(Reason.ANSWERED)
    if not 1 <= stars <= 5:
        raise Refused(Reason.NOT_FOUND)
    booked.rating = stars
    await session.flush()
    return booked


async def comment(
    session: AsyncSession, session_id: int, user_id: int, text: str, now: datetime
) -> CoachingSession:
    booked = await own_session(session, session_id, user_id)
    if booked.rating is None or not held(booked, now):
        raise Refused(Reason.ANSWERED)
    booked.comment = clean_text(text, multiline=True).strip()[:MAX_COMMENT]
    await session.flush()
    return booked


async def note(
    session: AsyncSession, session_id: int, coach_user_id: int, text: str, now: datetime
) -> CoachingSession:
    _coach, booked = await coach_request(session, session_id, coach_user_id)
    if not held(booked, now):
        raise Refused(Reason.ANSWERED)
    booked.coach_note = clean_text(text, multiline=True).strip()[:MAX_NOTE]
    await session.flush()
    return booked


async def mark_no_show(
    session: AsyncSession, session_id: int, coach_user_id: int, now: datetime
) -> CoachingSession:
    """The entrepreneur did not come (pressed again: they did after all)."""
    _coach, booked = await coach_request(session, session_id, coach_user_id)
    if not held(booked, now):
        raise Refused(Reason.ANSWERED)
    booked.no_show = not booked.no_show
    await session.flush()
    return booked


@dataclass
class CoachFigures:
    coach_id: int
    name: str
    requested: int = 0
    confirmed: int = 0  # confirmed (held or to come)
    declined: int = 0
    expired: int = 0
    cancelled: int = 0
    no_show: int = 0
    ratings: int = 0
    stars: int = 0

    @property
    def average(self) -> float | None:
        return round(self.stars / self.ratings, 1) if self.ratings else None


def _span(first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time(0), UTC),
        datetime.combine(last + timedelta(days=1), time(0), UTC),
    )


async def between(session: AsyncSession, first: date, last: date) -> list[CoachingSession]:
    """The sessions (any status) starting from `first` to `last` (UTC days), in time order."""
    since, until = _span(first, last)
    rows = await session.scalars(
        select(CoachingSession)
        .where(CoachingSession.starts_at >= since, CoachingSession.starts_at < until)
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return list(rows)


def figures(sessions: Sequence[CoachingSession], coaches: dict[int, Coach]) -> list[CoachFigures]:
    """Per coach: what was requested and became of it, and the ratings (by coach name)."""
    found: dict[int, CoachFigures] = {}
    for booked in sessions:
        coach = coaches.get(booked.coach_id)
        row = found.setdefault(
            booked.coach_id, CoachFigures(booked.coach_id, coach.name if coach else "?")
        )
        row.requested += 1
        status = Status(booked.status)
        if status == Status.CONFIRMED:
            row.confirmed += 1
        elif status == Status.DECLINED:
            row.declined += 1
        elif status == Status.EXPIRED:
            row.expired += 1
        elif status == Status.CANCELLED:
            row.cancelled += 1
        row.no_show += int(booked.no_show)
        if booked.rating is not None:
            row.ratings += 1
            row.stars += booked.rating
    return sorted(found.values(), key=lambda f: (f.name, f.coach_id))
