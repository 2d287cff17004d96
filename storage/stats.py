"""The figures of the staff's /stats: people, desk occupancy, coaching, events and questions,
each counted by the database (aggregate queries), and the activity the chart draws.

Windows are half-open, `[since, until)`. What is counted where:
- a person is active when last seen since the window's start; blocked when `blocked_at` is set;
- desk occupancy is the half-day slots held (bookings and open offers) of the half-days the
  location is open (its calendar and the staff's closures), all desks counted;
- coaching requests and event registrations by when they were made; ratings by when the
  session took place, attendance of the events that ended in the window;
- questions are the texts people typed (not topics opened from the list, not small talk):
  a pick from "did you mean" counts as suggested, an unclear one as unknown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Date, String, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coaching.tables import CoachingSession
from storage.coaching.tables import Status as SessionStatus
from storage.desks.opening import Place
from storage.desks.places import admin_closures
from storage.desks.tables import DeskBooking, DeskSlot
from storage.desks.tables import Status as BookingStatus
from storage.events.tables import Event, EventStatus, Registration, Seat
from storage.faq_log import FaqQuestion, Outcome
from storage.users import User

OUTCOME_GROUPS: dict[str, str] = {
    Outcome.ANSWERED: "answered",
    Outcome.SUGGESTED: "suggested",
    Outcome.CHOSEN: "suggested",
    Outcome.UNKNOWN: "unknown",
    Outcome.UNCLEAR: "unknown",
}
GROUPS = ("answered", "suggested", "unknown")
UNANSWERED_SAMPLE = 2000  # the latest unanswered texts grouped for the top list


def _count_if(condition: Any) -> Any:
    return func.count(case((condition, 1)))


def day_start(day: date) -> datetime:
    """Midnight UTC of `day`: the date ranges of exports and charts are UTC days."""
    return datetime.combine(day, time(0), UTC)


@dataclass(frozen=True, slots=True)
class People:
    total: int
    active_week: int
    active_month: int
    blocked: int
    languages: list[tuple[str | None, int]]  # most first; None: not chosen yet


# Rows that stand for someone erased (negative ids) or for nobody (0) are not people.
PERSON = User.id > 0


async def people(session: AsyncSession, now: datetime) -> People:
    row = (
        await session.execute(
            select(
                func.count(),
                _count_if(User.last_seen_at >= now - timedelta(days=7)),
                _count_if(User.last_seen_at >= now - timedelta(days=30)),
                _count_if(User.blocked_at.is_not(None)),
            )
            .select_from(User)
            .where(PERSON)
        )
    ).one()
    languages = await session.execute(
        select(User.locale, func.count())
        .where(PERSON)
        .group_by(User.locale)
        .order_by(func.count().desc())
    )
    return People(*(int(value) for value in row), [(code, int(n)) for code, n in languages])


@dataclass(frozen=True, slots=True)
class Occupancy:
    booked: int  # desk half-days held
    available: int  # desk half-days the location is open

    @property
    def share(self) -> float | None:
        return self.booked / self.available if self.available else None


async def occupancy(session: AsyncSession, place: Place, first: date, last: date) -> Occupancy:
    """Of the days from `first` to `last` (the location's own dates)."""
    booked = await session.scalar(
        select(func.count())
        .select_from(DeskSlot)
        .where(DeskSlot.location_id == place.id, DeskSlot.day.between(first, last))
    )
    closed = await admin_closures(session, place, first, last)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    open_days = sum(1 for day in days if day not in closed and place.closure(day) is None)
    return Occupancy(int(booked or 0), open_days * len(place.desks) * 2)


@dataclass(frozen=True, slots=True)
class Coaching:
    statuses: dict[str, int]  # of the requests made in the window
    ratings: int
    average: float | None

    @property
    def requested(self) -> int:
        return sum(self.statuses.values())

    def of(self, status: SessionStatus) -> int:
        return self.statuses.get(status, 0)


async def coaching(session: AsyncSession, since: datetime, until: datetime) -> Coaching:
    made = CoachingSession.created_at >= since, CoachingSession.created_at < until
    statuses = await session.execute(
        select(CoachingSession.status, func.count()).where(*made).group_by(CoachingSession.status)
    )
    ratings, average = (
        await session.execute(
            select(func.count(CoachingSession.rating), func.avg(CoachingSession.rating)).where(
                CoachingSession.starts_at >= since,
                CoachingSession.starts_at < until,
                CoachingSession.rating.is_not(None),
            )
        )
    ).one()
    mean = float(average) if average is not None else None
    return Coaching({status: int(n) for status, n in statuses}, int(ratings or 0), mean)


@dataclass(frozen=True, slots=True)
class Events:
    registrations: int  # made in the window, whatever became of them
    held: int  # events that ended in the window
    seated: int  # registered for those
    attended: int  # of them, marked as come


async def events(session: AsyncSession, since: datetime, until: datetime) -> Events:
    registrations = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.created_at >= since, Registration.created_at < until)
    )
    ended = Event.status == EventStatus.SCHEDULED, Event.ends_at >= since, Event.ends_at < until
    held = await session.scalar(select(func.count()).select_from(Event).where(*ended))
    seated, attended = (
        await session.execute(
            select(func.count(), _count_if(Registration.attended.is_(True)))
            .select_from(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(*ended, Registration.status == Seat.REGISTERED)
        )
    ).one()
    return Events(int(registrations or 0), int(held or 0), int(seated), int(attended))


@dataclass(frozen=True, slots=True)
class Faq:
    outcomes: dict[str, int]  # by group: answered, suggested, unknown
    helpful: int
    unhelpful: int

    @property
    def asked(self) -> int:
        return sum(self.outcomes.values())

    def share(self, group: str) -> float | None:
        return self.outcomes.get(group, 0) / self.asked if self.asked else None


async def faq(session: AsyncSession, since: datetime, until: datetime) -> Faq:
    window = FaqQuestion.created_at >= since, FaqQuestion.created_at < until
    rows = await session.execute(
        select(FaqQuestion.outcome, func.count()).where(*window).group_by(FaqQuestion.outcome)
    )
    outcomes: Counter[str] = Counter()
    for outcome, number in rows:
        if (group := OUTCOME_GROUPS.get(outcome)) is not None:
            outcomes[group] += int(number)
    helpful, unhelpful = (
        await session.execute(
            select(
                _count_if(FaqQuestion.helpful.is_(True)), _count_if(FaqQuestion.helpful.is_(False))
            ).where(*window)
        )
    ).one()
    return Faq(dict(outcomes), int(helpful), int(unhelpful))


async def unanswered(
    session: AsyncSession, since: datetime, until: datetime, limit: int = UNANSWERED_SAMPLE
) -> list[str]:
    """The latest texts the knowledge base knew nothing about (for `group_similar`)."""
    rows = await session.scalars(
        select(FaqQuestion.text)
        .where(
            FaqQuestion.outcome == Outcome.UNKNOWN,
            FaqQuestion.created_at >= since,
            FaqQuestion.created_at < until,
        )
        .order_by(FaqQuestion.created_at.desc(), FaqQuestion.id.desc())
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class SimilarGroup:
    """Texts asked in similar words: the wording shown for them, and which texts they are."""

    shown: str  # the group's most frequent wording, spacing tidied
    first: int  # the index of the first text with that wording
    members: tuple[int, ...]  # the indices of all its texts, in the order given

    @property
    def size(self) -> int:
        return len(self.members)


def similar_groups(texts: list[str], *, threshold: int = 80) -> list[SimilarGroup]:
    """Every group of similar texts, most frequent first (greedy: the most frequent wording
    first; each other joins the first group whose wording matches it by token set ratio ≥
    `threshold` on normalised text). Texts with no words belong to none. CPU work: run it in
    a thread for large samples."""
    at: dict[str, list[int]] = {}
    for number, text in enumerate(texts):
        key = " ".join(utils.default_process(text).split())
        if key:
            at.setdefault(key, []).append(number)
    counts = Counter({key: len(found) for key, found in at.items()})
    heads: list[str] = []
    members: list[list[int]] = []
    for key, _number in counts.most_common():
        match = process.extractOne(
            key, heads, scorer=fuzz.token_set_ratio, score_cutoff=threshold, processor=None
        )
        if match is None:
            heads.append(key)
            members.append(list(at[key]))
        else:
            members[match[2]] += at[key]
    order = sorted(range(len(heads)), key=lambda i: -len(members[i]))  # stable: ties keep frequency
    return [
        SimilarGroup(
            " ".join(texts[at[heads[i]][0]].split()), at[heads[i]][0], tuple(sorted(members[i]))
        )
        for i in order
    ]


def group_similar(texts: list[str], *, threshold: int = 80, top: int = 5) -> list[tuple[str, int]]:
    """The most frequent questions, similar wordings counted together (`similar_groups`);
    each with the wording shown for the group, most first."""
    return [(group.shown, group.size) for group in similar_groups(texts, threshold=threshold)[:top]]


@dataclass
class Activity:
    """What was booked per UTC day from `first` for `days` days, and the questions' outcomes
    per week (`first` is a Monday)."""

    first: date
    days: int
    desks: list[int] = field(default_factory=list)
    coaching: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    faq: dict[str, list[int]] = field(default_factory=dict)  # by group, per week


def _utc_day(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column, type_=String)  # SQLite keeps UTC as naive text


def _days_of(column: Any, first: date, days: int) -> tuple[Any, Any]:
    return column >= day_start(first), column < day_start(first + timedelta(days))


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


async def _per_day(
    session: AsyncSession, column: Any, first: date, days: int, *where: Any
) -> list[int]:
    day = _utc_day(session, column)
    rows = await session.execute(
        select(day, func.count()).where(*_days_of(column, first, days), *where).group_by(day)
    )
    counts = [0] * days
    for value, number in rows:
        index = (_as_date(value) - first).days
        if 0 <= index < days:
            counts[index] += int(number)
    return counts


async def activity(session: AsyncSession, first: date, days: int) -> Activity:
    made = DeskBooking.status.in_((BookingStatus.ACTIVE, BookingStatus.CANCELLED))
    found = Activity(first, days)
    found.desks = await _per_day(session, DeskBooking.created_at, first, days, made)
    found.coaching = await _per_day(session, CoachingSession.created_at, first, days)
    found.events = await _per_day(session, Registration.created_at, first, days)
    day = _utc_day(session, FaqQuestion.created_at)
    rows = await session.execute(
        select(day, FaqQuestion.outcome, func.count())
        .where(*_days_of(FaqQuestion.created_at, first, days))
        .group_by(day, FaqQuestion.outcome)
    )
    weeks = (days + 6) // 7
    found.faq = {group: [0] * weeks for group in GROUPS}
    for value, outcome, number in rows:
        index = (_as_date(value) - first).days // 7
        if (group := OUTCOME_GROUPS.get(outcome)) is not None and 0 <= index < weeks:
            found.faq[group][index] += int(number)
    return found
