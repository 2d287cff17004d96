"""A coach's free slots: the windows of each day in the coach's zone, cut into sessions.

A day has no slots when it is blocked (vacation) or already has the coach's maximum of
sessions; a public holiday of the coach's country keeps only the one-off windows added for
that date. Slots follow each other from a window's start, a session and its buffer apart, and
start at least the minimum notice from now. A slot is free when none of the cells it and its
buffer cover is held (`storage.coaching.tables.CoachCell`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from zoneinfo import ZoneInfo

from storage.coaching.tables import CELL_SECONDS
from storage.desks.opening import public_holiday


@dataclass(frozen=True, slots=True)
class Window:
    start: int  # minutes after local midnight
    end: int


@dataclass(frozen=True)
class Availability:
    """What slots are made of, as read from the coach's rows."""

    zone: ZoneInfo
    country: str
    session_minutes: int
    buffer_minutes: int
    notice: timedelta
    horizon_days: int
    max_per_day: int
    weekly: Mapping[int, tuple[Window, ...]]  # weekday (0 Monday) → windows
    extra: Mapping[date, tuple[Window, ...]] = field(default_factory=dict)  # one-off windows
    blocked: frozenset[date] = frozenset()

    def windows_on(self, day: date) -> tuple[Window, ...]:
        if day in self.blocked:
            return ()
        extra = self.extra.get(day, ())
        if is_holiday(self.country, day):
            return extra
        weekly = self.weekly.get(day.weekday(), ())
        if not extra:
            return weekly
        return tuple(sorted((*weekly, *extra), key=lambda w: w.start))

    def days(self, now: datetime) -> list[date]:
        """Today and the days up to the horizon, in the coach's zone."""
        return days_ahead(self.zone, self.horizon_days, now)


def days_ahead(zone: ZoneInfo, horizon_days: int, now: datetime) -> list[date]:
    """Today in `zone` and the `horizon_days` days after it."""
    today = now.astimezone(zone).date()
    return [today + timedelta(days=n) for n in range(horizon_days + 1)]


@lru_cache(maxsize=4096)
def is_holiday(country: str, day: date) -> bool:
    return public_holiday(country, day) is not None


def cell_of(moment: datetime) -> int:
    return int(moment.timestamp()) // CELL_SECONDS


def cells(starts_at: datetime, minutes: int, buffer_minutes: int) -> tuple[range, range]:
    """The cells of a session's own time, and of the buffer after it."""
    first = cell_of(starts_at)
    own = minutes * 60 // CELL_SECONDS
    pause = buffer_minutes * 60 // CELL_SECONDS
    return range(first, first + own), range(first + own, first + own + pause)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def candidates(availability: Availability, day: date) -> tuple[tuple[int, datetime], ...]:
    """Every slot start a day's windows give, free or not, as UTC epoch seconds and as the
    moment itself."""
    return _day_slots(
        day,
        availability.windows_on(day),
        availability.zone,
        availability.session_minutes,
        availability.session_minutes + availability.buffer_minutes,
    )


@lru_cache(maxsize=8192)
def _day_slots(
    day: date, windows: tuple[Window, ...], zone: ZoneInfo, minutes: int, step: int
) -> tuple[tuple[int, datetime], ...]:
    """Within a window the slots are a fixed step apart in UTC too, unless the clocks change
    inside it (then each is placed by the local clock). Kept: every screen of free times asks
    for the same days of the same coaches again."""
    starts: list[int] = []
    for window in windows:
        count = (window.end - window.start - minutes) // step + 1
        if count <= 0:
            continue
        first = _epoch(day, window.start, zone)
        if _epoch(day, window.end, zone) - first == (window.end - window.start) * 60:
            starts.extend(range(first, first + count * step * 60, step * 60))
        else:  # a clock change inside the window
            starts.extend(_epoch(day, window.start + n * step, zone) for n in range(count))
    return tuple((start, datetime.fromtimestamp(start, UTC)) for start in starts)


def _epoch(day: date, minute: int, zone: ZoneInfo) -> int:
    moment = datetime.combine(day, time(minute // 60 % 24, minute % 60), zone)
    if minute >= 24 * 60:
        moment += timedelta(days=1)
    return int(moment.timestamp())


@lru_cache(maxsize=4096)
def _local_day_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    return _epoch(day, 0, zone), _epoch(day, 24 * 60, zone)


def free_slots(
    availability: Availability,
    now: datetime,
    held: Iterable[tuple[int, int]],
    session_starts: Iterable[int],
    days: Iterable[date] | None = None,
) -> list[datetime]:
    """The free slot starts (UTC, in order) on `days` (default: up to the horizon).

    `held`: the coach's held time as cell ranges (first, end); `session_starts`: the first
    cell of each live session, which count against the coach's maximum per local day."""
    earliest = int((now + availability.notice).timestamp())
    horizon = availability.days(now)
    first_day, last_day = horizon[0], horizon[-1]
    span = availability.session_minutes * 60 // CELL_SECONDS
    span += availability.buffer_minutes * 60 // CELL_SECONDS
    # A slot starting in cell c covers c .. c+span-1: it overlaps a held range [a, b) when
    # a-span < c < b, so those are the starts taken.
    taken = set(chain.from_iterable(range(first - span + 1, end) for first, end in held))
    starts = sorted(cell * CELL_SECONDS for cell in session_starts)
    zone, most = availability.zone, availability.max_per_day
    free: list[datetime] = []
    for day in days if days is not None else horizon:
        if not first_day <= day <= last_day:
            continue
        if len(starts) >= most and most <= _count_between(starts, *_local_day_bounds(day, zone)):
            continue
        free.extend(
            moment
            for start, moment in candidates(availability, day)
            if start >= earliest and start // CELL_SECONDS not in taken
        )
    return free


def _count_between(ordered: list[int], since: int, until: int) -> int:
    return bisect_left(ordered, until) - bisect_left(ordered, since)
