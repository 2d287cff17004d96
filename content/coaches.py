"""The sample coaches (`content/seed/coaches.yaml`), validated: every problem with its line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from content.loader import ContentError, Problem, _Located
from content.places import SEED_DIR, WEEKDAYS, PlaceSeed, _as_date, _is_timezone, _period, _Reader
from content.text import LANGUAGES

COACHES_FILE = SEED_DIR / "coaches.yaml"
EXPERTISE = (
    "business_plan", "funding", "marketing", "legal",
    "international", "pitching", "technology", "accounting",
)  # fmt: skip
SESSION_MINUTES, BUFFER_MINUTES = (30, 45, 60), (0, 10, 15)
MAX_BIO, MAX_NAME, MAX_LINK = 500, 64, 256
_NUMBERS = {"notice_hours": (1, 168, 12), "horizon_days": (1, 60, 21), "max_per_day": (1, 12, 4)}
_FIELDS = set(
    "key user_id name bio expertise languages location online meeting_link timezone country "
    "session_minutes buffer_minutes notice_hours horizon_days max_per_day hours extra "
    "blocked".split()
)


@dataclass(frozen=True)
class WindowSeed:
    """A weekly window (`weekday`, 0 Monday) or a one-off one on `day`."""

    weekday: int | None
    day: date | None
    start: time
    end: time


@dataclass(frozen=True)
class CoachSeed:
    key: str
    user_id: int
    name: str
    bio: str
    expertise: tuple[str, ...]
    languages: tuple[str, ...]
    location: str | None
    online: bool
    meeting_link: str | None
    timezone: str
    country: str
    session_minutes: int = 60
    buffer_minutes: int = 0
    notice_hours: int = 12
    horizon_days: int = 21
    max_per_day: int = 4
    windows: tuple[WindowSeed, ...] = ()
    blocked: tuple[date, ...] = ()


def load_coaches(
    path: Path = COACHES_FILE,
    places: Sequence[PlaceSeed] = (),
    warnings: list[Problem] | None = None,
) -> tuple[CoachSeed, ...]:
    """The coaches in `path`, or ContentError listing everything wrong with the file (a
    location must be one of `places`)."""
    reader = _CoachReader(path, {place.key: place for place in places})
    coaches = reader.read_coaches()
    if warnings is not None:
        warnings += reader.warnings
    if reader.problems:
        raise ContentError(reader.problems)
    return coaches


def is_meeting_link(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > MAX_LINK or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and "." in (parts.hostname or "")


class _CoachReader(_Reader):
    def __init__(self, path: Path, places: dict[str, PlaceSeed]) -> None:
        super().__init__(path)
        self.places = places

    def read_coaches(self) -> tuple[CoachSeed, ...]:
        if (document := self.document("coaches")) is None:
            return ()
        items = self.items(document, "coaches", "coach")
        if not items:
            self.problem(document.lines.get("coaches", 1), "coaches must list at least one coach")
        keys: dict[str, int] = {}
        ids: dict[int, int] = {}
        coaches = [self.coach(raw, keys, ids) for raw in items]
        return tuple(coach for coach in coaches if coach is not None)

    def coach(self, raw: _Located, keys: dict[str, int], ids: dict[int, int]) -> CoachSeed | None:
        before = len(self.problems)
        self.unknown(raw, _FIELDS)
        key = self.key(raw, "coach", keys)
        label = key or "coach"
        user_id = raw.get("user_id")
        if type(user_id) is not int or not 0 < user_id < 2**53:
            self.problem(self.line(raw, "user_id"), f"{label}: user_id must be a Telegram id")
        elif user_id in ids:
            self.problem(
                self.line(raw, "user_id"),
                f"{label}: user_id {user_id} is already used at line {ids[user_id]}",
            )
        else:
            ids[user_id] = self.line(raw, "user_id")
        name = str(raw.get("name") or "").strip()
        if not 0 < len(name) <= MAX_NAME or "\n" in name:
            self.problem(
                self.line(raw, "name"),
                f"{label}: name must be one line of 1..{MAX_NAME} characters",
            )
        bio = str(raw.get("bio") or "").strip()
        if not 0 < len(bio) <= MAX_BIO:
            self.problem(self.line(raw, "bio"), f"{label}: bio must be 1..{MAX_BIO} characters")
        expertise = self.choices(raw, "expertise", EXPERTISE, label)
        languages = self.choices(raw, "languages", LANGUAGES, label)
        location, online = raw.get("location"), raw.get("online", False)
        place = self.places.get(location) if isinstance(location, str) else None
        if location is not None and place is None:
            self.problem(
                self.line(raw, "location"),
                f"{label}: location {location!r} is not a place of the places seed",
            )
        if not isinstance(online, bool):
            self.problem(self.line(raw, "online"), f"{label}: online must be true or false")
        elif location is None and not online:
            self.problem(
                raw.line, f"{label}: a coach meets somewhere: give a location, or online: true"
            )
        link = raw.get("meeting_link")
        if online is True and not is_meeting_link(link):
            self.problem(
                self.line(raw, "meeting_link"),
                f"{label}: online needs a meeting_link, a full https:// address",
            )
        elif link is not None and not is_meeting_link(link):
            self.problem(
                self.line(raw, "meeting_link"),
                f"{label}: meeting_link must be a full https:// address",
            )
        zone = raw.get("timezone", place.timezone if place else None)
        if not _is_timezone(zone):
            self.problem(
                self.line(raw, "timezone"),
                f"{label}: timezone {zone!r} must be an IANA time zone "
                "(required without a location)",
            )
        country = raw.get("country", place.country if place else None)
        if not isinstance(country, str) or country not in self.countries:
            self.problem(
                self.line(raw, "country"),
                f"{label}: country {country!r} must be a code with public holidays, e.g. FI "
                "(required without a location)",
            )
        minutes = self.pick(raw, "session_minutes", SESSION_MINUTES, 60, label)
        buffer = self.pick(raw, "buffer_minutes", BUFFER_MINUTES, 0, label)
        numbers = {}
        for field, (low, high, default) in _NUMBERS.items():
            number = raw.get(field, default)
            if type(number) is not int or not low <= number <= high:
                self.problem(self.line(raw, field), f"{label}: {field} must be {low}..{high}")
            numbers[field] = number
        windows = self.weekly(raw, label, minutes) + self.extra(raw, label, minutes)
        blocked = []
        for item in raw.get("blocked") or []:
            day = _as_date(item)
            if day is None:
                self.problem(
                    self.line(raw, "blocked"),
                    f"{label}: blocked: {item!r} is not a date like 2027-07-01",
                )
            else:
                blocked.append(day)
        if key is None or len(self.problems) > before:
            return None
        return CoachSeed(
            key, int(user_id), name, bio, expertise, languages, location, bool(online), link,
            str(zone), str(country), minutes, buffer, windows=windows, blocked=tuple(blocked),
            **numbers,
        )  # fmt: skip

    def choices(
        self, raw: _Located, field: str, known: Sequence[str], label: str
    ) -> tuple[str, ...]:
        value = raw.get(field)
        if not isinstance(value, list) or not value:
            self.problem(
                self.line(raw, field),
                f"{label}: {field} must list at least one of {', '.join(known)}",
            )
            return ()
        unknown = [item for item in value if item not in known]
        if unknown:
            self.problem(
                self.line(raw, field),
                f"{label}: unknown {field} {', '.join(map(str, unknown))}; "
                f"known: {', '.join(known)}",
            )
        return tuple(dict.fromkeys(item for item in value if item in known))

    def pick(
        self, raw: _Located, field: str, allowed: Sequence[int], default: int, label: str
    ) -> int:
        value = raw.get(field, default)
        if value not in allowed or type(value) is not int:
            self.problem(
                self.line(raw, field),
                f"{label}: {field} must be one of {', '.join(map(str, allowed))}",
            )
            return default
        return int(value)

    def windows_of(
        self, value: Any, line: int, label: str, minutes: int
    ) -> list[tuple[time, time]]:
        spans = value if isinstance(value, list) else [value]
        found: list[tuple[time, time]] = []
        for span in spans:
            period = _period(span)
            if period is None:
                self.problem(line, f'{label}: write each window as "14:00-17:00" in quotes')
                continue
            start, end = period
            length = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            if start.minute % 5 or end.minute % 5:
                self.problem(line, f"{label}: {span}: windows start and end on five-minute steps")
            elif length < minutes:
                self.problem(line, f"{label}: {span}: shorter than one session of {minutes} min")
            elif any(s < end and start < e for s, e in found):
                self.problem(line, f"{label}: {span}: overlaps another window of that day")
            else:
                found.append(period)
        return found

    def weekly(self, raw: _Located, label: str, minutes: int) -> tuple[WindowSeed, ...]:
        value = raw.get("hours")
        if value is None:
            return ()
        if not isinstance(value, _Located):
            self.problem(self.line(raw, "hours"), f"{label}: hours must map weekdays to windows")
            return ()
        self.unknown(value, set(WEEKDAYS))
        return tuple(
            WindowSeed(weekday, None, start, end)
            for weekday, day in enumerate(WEEKDAYS)
            if value.get(day) is not None
            for start, end in self.windows_of(
                value[day], value.lines[day], f"{label}: {day}", minutes
            )
        )

    def extra(self, raw: _Located, label: str, minutes: int) -> tuple[WindowSeed, ...]:
        found = []
        for item in self.items(raw, "extra", "one-off window"):
            self.unknown(item, {"date", "hours"})
            day = _as_date(item.get("date"))
            if day is None:
                self.problem(
                    self.line(item, "date"),
                    f"{label}: extra: {item.get('date')!r} is not a date like 2027-01-15",
                )
                continue
            for start, end in self.windows_of(
                item.get("hours"), self.line(item, "hours"), f"{label}: {day}", minutes
            ):
                found.append(WindowSeed(None, day, start, end))
        return tuple(found)
