"""A person's reminder settings and when a reminder may reach them.

Each kind of reminder (desks, coaching, events) can be turned off, and
quiet hours (22:00–08:00 unless changed, in the zone of what the reminder is about) keep
reminders away at night: one due then moves to the end of the quiet hours, unless that is too
late to be useful; then it goes out just before they begin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.users import User


class Kind(StrEnum):
    DESKS = "desks"
    COACHING = "coaching"
    EVENTS = "events"


_COLUMN = {
    Kind.DESKS: "remind_desks",
    Kind.COACHING: "remind_coaching",
    Kind.EVENTS: "remind_events",
}

DEFAULT_QUIET = (time(22, 0), time(8, 0))
BEFORE_QUIET = timedelta(minutes=1)  # "just before they begin"


@dataclass(frozen=True, slots=True)
class Preferences:
    kinds: frozenset[Kind] = frozenset(Kind)  # the kinds that are on
    quiet: tuple[time, time] | None = DEFAULT_QUIET  # from, until (local); None: no quiet hours

    def wants(self, kind: Kind) -> bool:
        return kind in self.kinds


def preferences_of(user: User | None) -> Preferences:
    if user is None:
        return Preferences()
    kinds = frozenset(kind for kind, column in _COLUMN.items() if getattr(user, column))
    quiet = None
    if user.quiet_from is not None and user.quiet_until is not None:
        quiet = (_clock(user.quiet_from), _clock(user.quiet_until))
    return Preferences(kinds, quiet)


async def preferences(session: AsyncSession, user_id: int) -> Preferences:
    return preferences_of(await session.get(User, user_id))


async def set_kind(session: AsyncSession, user_id: int, kind: Kind, on: bool) -> None:
    await session.execute(update(User).where(User.id == user_id).values({_COLUMN[kind]: on}))


async def set_quiet(session: AsyncSession, user_id: int, quiet: tuple[time, time] | None) -> None:
    start, end = (None, None) if quiet is None else (_minutes(quiet[0]), _minutes(quiet[1]))
    await session.execute(
        update(User).where(User.id == user_id).values(quiet_from=start, quiet_until=end)
    )


def fit(
    due: datetime,
    useful_until: datetime,
    quiet: tuple[time, time] | None,
    zone: ZoneInfo,
) -> datetime | None:
    """When a reminder due at `due` goes out, given quiet hours in `zone`: `due` itself
    outside them; the end of the quiet hours if that is still before `useful_until`; else just
    before they began (earlier than `due`: the caller drops a moment already past). None when
    it would come too late to be useful."""
    window = quiet and _quiet_around(due, quiet, zone)
    if window is None:
        return due if due < useful_until else None
    began, ends = window
    if ends < useful_until:
        return ends
    before = began - BEFORE_QUIET
    return before if before < useful_until else None


def _quiet_around(
    moment: datetime, quiet: tuple[time, time], zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The quiet hours `moment` falls in, as UTC (start, end); None when it falls in none."""
    start, end = quiet
    if start == end:
        return None
    local = moment.astimezone(zone)
    for offset in (-1, 0):  # the quiet hours that began yesterday evening, or today
        day = local.date() + timedelta(days=offset)
        began = datetime.combine(day, start, zone)
        ends_day = day if end > start else day + timedelta(days=1)
        ends = datetime.combine(ends_day, end, zone)
        if began <= local < ends:
            return began.astimezone(UTC), ends.astimezone(UTC)
    return None


def _clock(minutes: int) -> time:
    return time(minutes // 60 % 24, minutes % 60)


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute
