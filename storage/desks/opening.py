"""When a Business Oasis is open: periods of a day, weekly hours, public holidays, closures.

A `Place` is the read-only picture of one location that every booking rule is checked
against; `storage.desks.places` builds it from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MIDDAY = time(13, 0)


class Period(StrEnum):
    """A bookable part of a day (the values are short: they travel in callback data)."""

    FULL = "f"
    MORNING = "am"
    AFTERNOON = "pm"

    @property
    def halves(self) -> tuple[str, ...]:
        """The half-days a period occupies: a full day conflicts with either half."""
        return {"f": ("am", "pm"), "am": ("am",), "pm": ("pm",)}[self.value]


class ClosureKind(StrEnum):
    WEEKLY = "weekly"  # not open on that weekday
    HOLIDAY = "holiday"  # a national public holiday of the location's country
    CLOSED = "closed"  # a closed date from the seed data or closed by an admin


@dataclass(frozen=True, slots=True)
class Closure:
    kind: ClosureKind
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CheckIn:
    """By when (local time) a booked person must say "I'm here", or the desk goes."""

    morning: time = time(10, 30)  # mornings and full days
    afternoon: time = time(13, 30)


@dataclass(frozen=True, slots=True)
class Rules:
    max_active: int = 5
    horizon_days: int = 14
    offer_window: timedelta = timedelta(hours=2)
    reminder_at: time = time(18, 0)  # the evening before a booking, local time
    check_in: CheckIn | None = None  # None: the location does not ask for check-in
    coach_sessions_per_coach: int = 2  # a person's pending or upcoming sessions with a coach
    coach_sessions_total: int = 3  # … and in all, with a coach who meets here


@dataclass(frozen=True, slots=True)
class Zone:
    id: int
    key: str
    names: Mapping[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]


@dataclass(frozen=True, slots=True)
class Desk:
    id: int
    key: str
    label: str
    zone_id: int
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Place:
    id: int
    key: str
    timezone: ZoneInfo
    country: str
    names: Mapping[str, str]
    addresses: Mapping[str, str]
    hours: Mapping[int, tuple[time, time]]  # weekday (0 = Monday) -> opens, closes
    closed: Mapping[date, Mapping[str, str]]  # extra closed dates from the seed: reasons
    rules: Rules
    zones: tuple[Zone, ...]
    desks: tuple[Desk, ...]  # the desks that can be booked, in display order
    _desks: dict[int, Desk] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_desks", {desk.id: desk for desk in self.desks})

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names["en"]

    def address(self, language: str) -> str:
        return self.addresses.get(language) or self.addresses["en"]

    def desk(self, desk_id: int) -> Desk | None:
        return self._desks.get(desk_id)

    def zone(self, zone_id: int) -> Zone | None:
        return next((zone for zone in self.zones if zone.id == zone_id), None)

    def desks_in(self, zone_id: int | None) -> tuple[Desk, ...]:
        if zone_id is None:
            return self.desks
        return tuple(desk for desk in self.desks if desk.zone_id == zone_id)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.timezone).date()

    def bookable_days(self, now: datetime) -> list[date]:
        """Today and the days after it, as far ahead as the horizon allows."""
        today = self.today(now)
        return [today + timedelta(days=n) for n in range(self.rules.horizon_days)]

    def in_horizon(self, day: date, now: datetime) -> bool:
        return 0 <= (day - self.today(now)).days < self.rules.horizon_days

    def opening(self, day: date) -> tuple[time, time] | None:
        return self.hours.get(day.weekday())

    def times(self, day: date, period: Period) -> tuple[time, time]:
        """Local start and end of `period` on an open day."""
        opens, closes = self.opening(day) or (MIDDAY, MIDDAY)
        return {
            Period.FULL: (opens, closes),
            Period.MORNING: (opens, MIDDAY),
            Period.AFTERNOON: (MIDDAY, closes),
        }[period]

    def span(self, day: date, period: Period) -> tuple[datetime, datetime]:
        """Start and end of `period` on `day` as aware UTC datetimes."""
        start, end = self.times(day, period)
        return (
            datetime.combine(day, start, self.timezone).astimezone(UTC),
            datetime.combine(day, end, self.timezone).astimezone(UTC),
        )

    def reminder_due(self, day: date) -> datetime:
        """When the reminder of a booking on `day` is due: the evening before, local time
        (an aware local time turns into the right UTC instant across daylight-saving changes)."""
        evening = datetime.combine(day - timedelta(days=1), self.rules.reminder_at, self.timezone)
        return evening.astimezone(UTC)

    def check_in_by(self, day: date, period: Period) -> datetime | None:
        """The check-in deadline of a booking of `period` on `day` (None: no check-in here)."""
        if (check_in := self.rules.check_in) is None:
            return None
        deadline = check_in.afternoon if period is Period.AFTERNOON else check_in.morning
        return datetime.combine(day, deadline, self.timezone).astimezone(UTC)

    def started(self, day: date, period: Period, now: datetime) -> bool:
        return self.span(day, period)[0] <= now

    def closure(self, day: date, language: str = "en") -> Closure | None:
        """Why the location is closed on `day` by its own calendar (admin closures aside)."""
        if (reasons := self.closed.get(day)) is not None:
            return Closure(ClosureKind.CLOSED, reasons.get(language) or reasons.get("en", ""))
        holiday = public_holiday(self.country, day, language)
        if holiday is not None:
            return Closure(ClosureKind.HOLIDAY, holiday)
        if self.opening(day) is None:
            return Closure(ClosureKind.WEEKLY)
        return None


# The holidays package names holidays in a few languages per country; English otherwise.
_HOLIDAY_LANGUAGES = {"en": "en_US", "ru": "ru", "fi": "fi"}


def public_holiday(country: str, day: date, language: str = "en") -> str | None:
    """The name of the national public holiday on `day`, in `language` where available."""
    return _holidays(country, day.year, _HOLIDAY_LANGUAGES.get(language, "en_US")).get(day)


@lru_cache(maxsize=64)
def _holidays(country: str, year: int, language: str) -> Mapping[date, str]:
    calendar = holidays.country_holidays(country, years=year)
    if language not in calendar.supported_languages:
        language = "en_US"
    return dict(holidays.country_holidays(country, years=year, language=language))
