"""Events and courses seeded from `content/seed/events.yaml`, validated: every problem with
its line. Times in the file are local to the event (its location's zone, or `timezone`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from content.coaches import is_meeting_link
from content.loader import ContentError, Problem, _Located
from content.places import KEY, SEED_DIR, PlaceSeed, _is_timezone, _Reader
from content.text import LANGUAGES

EVENTS_FILE = SEED_DIR / "events.yaml"
KINDS = ("workshop", "training", "pitching", "networking", "course")
MAX_TITLE, MAX_DESCRIPTION, MAX_ROOM, MAX_CAPACITY, MAX_PARTS = 120, 1500, 64, 10_000, 20
MAX_PART = timedelta(hours=12)
_FIELDS = set(
    "key kind title description language location room online timezone capacity sessions "
    "registration status".split()
)


@dataclass(frozen=True)
class EventSeed:
    key: str
    kind: str
    titles: dict[str, str]  # at least the default language
    descriptions: dict[str, str]
    language: str
    location: str | None  # a place key; None: online
    room: str | None
    link: str | None
    timezone: str
    capacity: int
    parts: tuple[tuple[datetime, datetime], ...]  # UTC
    opens_at: datetime | None  # None: open from the sync on
    closes_at: datetime | None  # None: at the start
    cancelled: bool = False


def load_events(
    path: Path = EVENTS_FILE,
    places: Sequence[PlaceSeed] = (),
    warnings: list[Problem] | None = None,
    default_language: str = "en",
) -> tuple[EventSeed, ...]:
    """The events in `path`, or ContentError listing everything wrong with the file."""
    reader = _EventReader(path, {place.key: place for place in places}, default_language)
    events = reader.read_events()
    if warnings is not None:
        warnings += reader.warnings
    if reader.problems:
        raise ContentError(reader.problems)
    return events


def local_moment(value: Any, zone: ZoneInfo) -> datetime | None:
    """'YYYY-MM-DD HH:MM' (or a YAML timestamp) in `zone`, as UTC; None if not one. A time
    that does not exist on that day (the hour skipped in spring) is not one either."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
    else:
        try:
            moment = datetime.strptime(str(value).strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            return None
    aware = moment.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return aware.astimezone(UTC) if back == moment else None


class Invalid(ValueError):
    """A value staff typed for an event that cannot be taken; `rule` names the check."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


_SEED_RULES = {
    "course_parts": "a course has two sessions or more",
    "single_part": "only a course has several sessions",
    "part_length": "a session ends after it starts, within 12 h",
    "part_order": "sessions are in time order without overlap",
}
_TYPED_SESSION = re.compile(
    r"(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}:\d{2})"
)


def count_rule(kind: Any, count: int) -> str | None:
    """What is wrong with an event of `kind` having `count` sessions, if anything."""
    if kind == "course" and count < 2:
        return "course_parts"
    if kind not in (None, "course") and count > 1:
        return "single_part"
    return None


def part_rule(
    before: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> str | None:
    """What is wrong with a session from `start` to `end` after the sessions `before`."""
    if not timedelta(0) < end - start <= MAX_PART:
        return "part_length"
    if before and start < before[-1][1]:
        return "part_order"
    return None


def typed_sessions(
    text: str, zone: ZoneInfo, kind: str, now: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """Sessions typed one a line as '2027-02-10 14:00-16:00' (local to `zone`), in the future,
    in order, as many as the kind allows: UTC (start, end) pairs, or Invalid."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines or len(lines) > MAX_PARTS:
        raise Invalid("sessions_format")
    typed = []
    for line in lines:
        found = _TYPED_SESSION.fullmatch(line)
        if found is None:
            raise Invalid("sessions_format")
        day, start_at, end_at = found.groups()
        start = local_moment(f"{day} {start_at:0>5}", zone)
        end = local_moment(f"{day} {end_at:0>5}", zone)
        if start is None or end is None:
            raise Invalid("sessions_format")
        typed.append((start, end))
    if (rule := count_rule(kind, len(typed))) is not None:
        raise Invalid(rule)
    parts: list[tuple[datetime, datetime]] = []
    for start, end in typed:
        if start <= now:
            raise Invalid("sessions_past")
        if (rule := part_rule(parts, start, end)) is not None:
            raise Invalid(rule)
        parts.append((start, end))
    return tuple(parts)


def typed_moment(text: str, zone: ZoneInfo) -> datetime:
    """'2027-02-10 14:00' local to `zone`, as UTC, or Invalid."""
    moment = local_moment(" ".join(text.split()), zone)
    if moment is None:
        raise Invalid("moment_format")
    return moment


def typed_window(text: str, zone: ZoneInfo, start: datetime) -> tuple[datetime, datetime]:
    """When registration opens and closes, typed as two moments local to `zone`
    ('2027-02-01 09:00 2027-02-10 12:00'): it opens before it closes, and closes by `start`."""
    words = text.split()
    if len(words) != 4:
        raise Invalid("window_format")
    opens = typed_moment(" ".join(words[:2]), zone)
    closes = typed_moment(" ".join(words[2:]), zone)
    if (rule := window_rule(opens, closes, start)) is not None:
        raise Invalid(rule)
    return opens, closes


def window_rule(
    opens: datetime | None, closes: datetime | None, start: datetime | None
) -> str | None:
    if closes and start and closes > start:
        return "window_after_start"
    if opens and (closes or start) and opens >= (closes or start):
        return "window_order"
    return None


def typed_text(text: str, *, longest: int, one_line: bool) -> str:
    """A title (one line: line breaks become spaces) or a description, within `longest`
    (the storage removes control characters as it writes)."""
    value = " ".join(text.split()) if one_line else text.strip()
    if not value:
        raise Invalid("text_empty")
    if len(value) > longest:
        raise Invalid("title_long" if one_line else "description_long")
    return value


def typed_capacity(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 0 < int(value) <= MAX_CAPACITY:
        raise Invalid("capacity")
    return int(value)


def typed_room(text: str) -> str:
    value = " ".join(text.split())
    if not 0 < len(value) <= MAX_ROOM:
        raise Invalid("room")
    return value


def typed_link(text: str) -> str:
    value = text.strip()
    if not is_meeting_link(value):
        raise Invalid("link")
    return value


class _EventReader(_Reader):
    def __init__(self, path: Path, places: dict[str, PlaceSeed], default_language: str) -> None:
        super().__init__(path)
        self.places = places
        self.default = default_language

    def read_events(self) -> tuple[EventSeed, ...]:
        if (document := self.document("events")) is None:
            return ()
        keys: dict[str, int] = {}
        events = [self.event(raw, keys) for raw in self.items(document, "events", "event")]
        return tuple(event for event in events if event is not None)

    def event(self, raw: _Located, keys: dict[str, int]) -> EventSeed | None:
        before = len(self.problems)
        self.unknown(raw, _FIELDS)
        key = raw.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            self.problem(
                self.line(raw, "key"),
                f"event: key {key!r} must be lowercase letters, digits or _ (at most 16)",
            )
            key = None
        elif key in keys:
            self.problem(raw.line, f"event: key {key} is already used at line {keys[key]}")
            key = None
        else:
            keys[key] = raw.line
        label = key or "event"
        kind = raw.get("kind")
        if kind not in KINDS:
            self.problem(self.line(raw, "kind"), f"{label}: kind must be one of {', '.join(KINDS)}")
        titles = self.languages(raw, "title", label, MAX_TITLE, one_line=True)
        descriptions = self.languages(raw, "description", label, MAX_DESCRIPTION)
        language = raw.get("language")
        if language not in LANGUAGES:
            self.problem(self.line(raw, "language"), f"{label}: language must be one of en, ru, fi")
        location, link, zone_name = self.where(raw, label)
        room = raw.get("room")
        if room is not None and (not isinstance(room, str) or not 0 < len(room) <= MAX_ROOM):
            self.problem(self.line(raw, "room"), f"{label}: room must be 1..{MAX_ROOM} characters")
            room = None
        capacity = raw.get("capacity")
        if type(capacity) is not int or not 0 < capacity <= MAX_CAPACITY:
            self.problem(self.line(raw, "capacity"), f"{label}: capacity must be 1..{MAX_CAPACITY}")
        zone = ZoneInfo(zone_name) if zone_name else None
        parts = self.parts(raw, label, zone, kind)
        opens_at, closes_at = self.registration(raw, label, zone, parts)
        status = raw.get("status", "scheduled")
        if status not in ("scheduled", "cancelled"):
            self.problem(
                self.line(raw, "status"), f"{label}: status must be scheduled or cancelled"
            )
        if len(self.problems) > before or key is None or not zone_name:
            return None
        return EventSeed(
            key, str(kind), titles, descriptions, str(language), location,
            room.strip() if isinstance(room, str) else None, link, zone_name, int(capacity),
            parts, opens_at, closes_at, status == "cancelled",
        )  # fmt: skip

    def languages(
        self, raw: _Located, field: str, label: str, longest: int, *, one_line: bool = False
    ) -> dict[str, str]:
        """en, ru, fi texts; the default language must be there, the others fall back to it."""
        value = raw.get(field)
        if not isinstance(value, _Located):
            self.problem(self.line(raw, field), f"{label}: {field} needs at least {self.default}")
            return {}
        self.unknown(value, set(LANGUAGES))
        texts = {lang: str(value.get(lang) or "").strip() for lang in LANGUAGES}
        if not texts[self.default]:
            self.problem(value.line, f"{label}: {field} needs {self.default}")
        for lang, text in texts.items():
            if len(text) > longest or (one_line and "\n" in text):
                self.problem(
                    self.line(value, lang),
                    f"{label}: {field} ({lang}) must be {'one line of ' if one_line else ''}"
                    f"at most {longest} characters",
                )
        missing = [lang for lang, text in texts.items() if not text]
        if missing and texts[self.default]:
            self.warnings.append(
                Problem(
                    self.path,
                    value.line,
                    f"{label}: {field} has no {', '.join(missing)}: shown in {self.default}",
                )
            )
        return {lang: text for lang, text in texts.items() if text}

    def where(self, raw: _Located, label: str) -> tuple[str | None, str | None, str | None]:
        """(place key, online link, time zone name)."""
        location, online, zone = raw.get("location"), raw.get("online"), raw.get("timezone")
        if (location is None) == (online is None):
            self.problem(
                raw.line, f"{label}: give either location (a place key) or online (a link)"
            )
            return None, None, None
        if zone is not None and not _is_timezone(zone):
            self.problem(self.line(raw, "timezone"), f"{label}: timezone {zone!r} is not IANA")
            return None, None, None
        if location is not None:
            place = self.places.get(str(location))
            if place is None:
                known = ", ".join(sorted(self.places)) or "none"
                self.problem(
                    self.line(raw, "location"),
                    f"{label}: location {location!r} is not a place (known: {known})",
                )
                return None, None, None
            return place.key, None, zone or place.timezone
        if not is_meeting_link(online):
            self.problem(self.line(raw, "online"), f"{label}: online must be an https link")
            return None, None, None
        if zone is None:
            self.problem(raw.line, f"{label}: an online event needs a timezone")
            return None, None, None
        return None, str(online), str(zone)

    def parts(
        self, raw: _Located, label: str, zone: ZoneInfo | None, kind: Any
    ) -> tuple[tuple[datetime, datetime], ...]:
        items = self.items(raw, "sessions", "session")
        if not items or len(items) > MAX_PARTS:
            self.problem(self.line(raw, "sessions"), f"{label}: sessions must list 1..{MAX_PARTS}")
            return ()
        if (rule := count_rule(kind, len(items))) is not None:
            self.problem(self.line(raw, "sessions"), f"{label}: {_SEED_RULES[rule]}")
        parts: list[tuple[datetime, datetime]] = []
        for item in items:
            self.unknown(item, {"start", "end"})
            if zone is None:
                continue
            start, end = local_moment(item.get("start"), zone), local_moment(item.get("end"), zone)
            if start is None or end is None:
                self.problem(
                    item.line, f"{label}: a session needs start and end as 'YYYY-MM-DD HH:MM'"
                )
            elif (rule := part_rule(parts, start, end)) is not None:
                self.problem(item.line, f"{label}: {_SEED_RULES[rule]}")
            else:
                parts.append((start, end))
        return tuple(parts)

    def registration(
        self,
        raw: _Located,
        label: str,
        zone: ZoneInfo | None,
        parts: tuple[tuple[datetime, datetime], ...],
    ) -> tuple[datetime | None, datetime | None]:
        value = raw.get("registration")
        if value is None or zone is None:
            return None, None
        if not isinstance(value, _Located):
            self.problem(
                self.line(raw, "registration"), f"{label}: registration: {{opens, closes}}"
            )
            return None, None
        self.unknown(value, {"opens", "closes"})
        moments = []
        for field in ("opens", "closes"):
            given = value.get(field)
            moment = None if given is None else local_moment(given, zone)
            if given is not None and moment is None:
                self.problem(
                    self.line(value, field), f"{label}: registration {field}: 'YYYY-MM-DD HH:MM'"
                )
            moments.append(moment)
        opens_at, closes_at = moments
        rule = window_rule(opens_at, closes_at, parts[0][0] if parts else None)
        if rule == "window_after_start":
            self.problem(self.line(value, "closes"), f"{label}: registration closes by the start")
        elif rule == "window_order":
            self.problem(self.line(value, "opens"), f"{label}: registration opens before it closes")
        return opens_at, closes_at
