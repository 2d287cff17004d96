"""The Business Oasis locations, zones and desks (`content/seed/places.yaml`), validated."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml

from content.curation import bracketed, placeholder_note
from content.loader import ContentError, Problem, _Loader, _Located
from content.text import LANGUAGES

SEED_DIR = Path(__file__).resolve().with_name("seed")
PLACES_FILE = SEED_DIR / "places.yaml"
FEATURES = ("monitor", "standing", "window", "accessible")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
MAX_LABEL = 16
NOON = time(13, 0)
CHECK_IN_DEFAULT = (time(10, 30), time(13, 30))
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_RULE_LIMITS = {
    "max_active": (1, 50),
    "horizon_days": (1, 60),
    "offer_window_minutes": (5, 1440),
    "coach_sessions_per_coach": (1, 20),
    "coach_sessions_total": (1, 50),
}
_PLACE_KEYS = set("key timezone country name address hours closed rules zones desks".split())


@dataclass(frozen=True)
class ZoneSeed:
    key: str
    names: Mapping[str, str]


@dataclass(frozen=True)
class DeskSeed:
    key: str
    label: str
    zone: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class ClosedDateSeed:
    day: date
    reasons: Mapping[str, str]


@dataclass(frozen=True)
class RulesSeed:
    max_active: int = 5
    horizon_days: int = 14
    offer_window_minutes: int = 120
    coach_sessions_per_coach: int = 2  # pending or upcoming, with one coach of the location
    coach_sessions_total: int = 3  # pending or upcoming, in all
    reminder_time: time = time(18, 0)  # the evening before a booking
    check_in: tuple[time, time] | None = None  # deadlines: morning/full day, afternoon


@dataclass(frozen=True)
class PlaceSeed:
    key: str
    timezone: str
    country: str
    names: Mapping[str, str]
    addresses: Mapping[str, str]
    hours: Mapping[int, tuple[time, time]]
    closed: tuple[ClosedDateSeed, ...]
    rules: RulesSeed
    zones: tuple[ZoneSeed, ...]
    desks: tuple[DeskSeed, ...]


class _SeedLoader(_Loader):
    """The line-aware loader; an impossible date such as 2026-02-30 stays a string."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_SeedLoader.add_constructor("tag:yaml.org,2002:timestamp", _SeedLoader.construct_yaml_timestamp)


def load_places(
    path: Path = PLACES_FILE, warnings: list[Problem] | None = None
) -> tuple[PlaceSeed, ...]:
    """The locations in `path`, or ContentError listing everything wrong with the file;
    placeholders still to fill in go into `warnings`."""
    reader = _Reader(path)
    places = reader.read()
    if warnings is not None:
        warnings += reader.warnings
    if reader.problems:
        raise ContentError(reader.problems)
    return places


def _is_timezone(name: Any) -> bool:
    """Whether `name` is an IANA time zone, e.g. Europe/Helsinki."""
    if not isinstance(name, str):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _as_date(value: Any) -> date | None:
    """A calendar date from YAML's 2026-12-30 or from the text "2026-12-30"."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


def _clock(value: Any) -> time | None:
    """A time of day from "HH:MM" or from YAML's sexagesimal reading of an unquoted 18:00."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        hours, minutes = divmod(value, 60)
    elif isinstance(value, str) and (match := _CLOCK.match(value.strip())):
        hours, minutes = int(match[1]), int(match[2])
    else:
        return None
    return time(hours, minutes) if 0 <= hours < 24 and 0 <= minutes < 60 else None


def _period(value: Any) -> tuple[time, time] | None:
    """Opening and closing from "09:00-18:00" or from a pair [09:00, 18:00]."""
    if isinstance(value, str):
        parts: list[Any] = value.replace("–", "-").split("-")
    elif isinstance(value, list):
        parts = value
    else:
        return None
    if len(parts) != 2:
        return None
    opens, closes = _clock(parts[0]), _clock(parts[1])
    return (opens, closes) if opens and closes else None


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.countries = holidays.list_supported_countries()

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def document(self, top: str) -> _Located | None:
        """The file as a mapping holding the list `top`, or None with the problem
        noted (unreadable, not YAML, not such a mapping)."""
        try:
            document = yaml.load(self.path.read_text(encoding="utf-8"), Loader=_SeedLoader)
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(0, f"cannot read the file: {exc}")
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(mark.line + 1 if mark else 0, f"not valid YAML: {reason}")
            return None
        if not isinstance(document, _Located):
            self.problem(1, f"expected a mapping with a list of {top}: {{{top}: [...]}}")
            return None
        self.unknown(document, {top})
        return document

    def read(self) -> tuple[PlaceSeed, ...]:
        if (document := self.document("places")) is None:
            return ()
        items = self.items(document, "places", "place")
        seen: dict[str, int] = {}
        places = [self.place(raw, seen) for raw in items]
        if not items:
            self.problem(document.lines.get("places", 1), "places must list at least one place")
        return tuple(place for place in places if place is not None)

    def place(self, raw: _Located, seen: dict[str, int]) -> PlaceSeed | None:
        before = len(self.problems)
        self.unknown(raw, _PLACE_KEYS)
        key = self.key(raw, "place", seen)
        label = key or "place"
        timezone = raw.get("timezone")
        if not _is_timezone(timezone):
            self.problem(self.line(raw, "timezone"), f"{label}: unknown time zone {timezone!r}")
        country = raw.get("country")
        if isinstance(country, bool):
            self.problem(self.line(raw, "country"), f'{label}: write the country in quotes: "NO"')
        elif not isinstance(country, str) or country not in self.countries:
            self.problem(
                self.line(raw, "country"),
                f"{label}: country {country!r} must be a code with public holidays, e.g. FI",
            )
        names, addresses = self.texts(raw, "name", label), self.texts(raw, "address", label)
        hours, closed = self.hours(raw, label), self.closed(raw, label)
        rules, zones = self.rules(raw, label), self.zones(raw, label)
        desks = self.desks(raw, label, {zone.key for zone in zones})
        if key is None or len(self.problems) > before:
            return None
        return PlaceSeed(
            key, str(timezone), str(country), names, addresses, hours, closed, rules, zones, desks
        )

    def hours(self, raw: _Located, label: str) -> dict[int, tuple[time, time]]:
        value = raw.get("hours")
        if not isinstance(value, _Located):
            self.problem(self.line(raw, "hours"), f"{label}: hours must map weekdays to hours")
            return {}
        self.unknown(value, set(WEEKDAYS))
        hours = {}
        for weekday, day in enumerate(WEEKDAYS):
            if value.get(day) is None:
                continue
            period = _period(value[day])
            line = value.lines[day]
            if period is None:
                self.problem(line, f'{label}: {day}: write the hours as "09:00-18:00" in quotes')
            elif not period[0] < NOON < period[1]:
                self.problem(line, f"{label}: {day}: must open before 13:00 and close after it")
            else:
                hours[weekday] = period
        if not hours:
            self.problem(value.line, f"{label}: hours need at least one open weekday")
        return hours

    def closed(self, raw: _Located, label: str) -> tuple[ClosedDateSeed, ...]:
        days: dict[date, int] = {}
        closed = []
        for item in self.items(raw, "closed", "closed date"):
            self.unknown(item, {"date", "reason"})
            day = _as_date(item.get("date"))
            reasons = self.texts(item, "reason", label)
            line = self.line(item, "date")
            if day is None:
                self.problem(line, f"{label}: {item.get('date')!r} is not a date like 2026-12-30")
            elif day in days:
                self.problem(line, f"{label}: {day} is already closed at line {days[day]}")
            else:
                days[day] = line
                closed.append(ClosedDateSeed(day, reasons))
        return tuple(closed)

    def rules(self, raw: _Located, label: str) -> RulesSeed:
        value = raw.get("rules")
        if value is None:
            return RulesSeed()
        if not isinstance(value, _Located):
            self.problem(self.line(raw, "rules"), f"{label}: rules must be a mapping")
            return RulesSeed()
        self.unknown(value, {*_RULE_LIMITS, "reminder_time", "check_in"})
        for name, (low, high) in _RULE_LIMITS.items():
            number = value.get(name, low)
            if type(number) is not int or not low <= number <= high:
                self.problem(self.line(value, name), f"{label}: {name} must be {low}..{high}")
        numbers = {k: v for k, v in value.items() if k in _RULE_LIMITS}
        reminder = _clock(value.get("reminder_time", "18:00"))
        if reminder is None:
            line = self.line(value, "reminder_time")
            self.problem(line, f'{label}: reminder_time must be "HH:MM"')
        check_in = self.check_in(value, label) if "check_in" in value else None
        return RulesSeed(**numbers, reminder_time=reminder or time(18, 0), check_in=check_in)

    def check_in(self, rules: _Located, label: str) -> tuple[time, time] | None:
        """Deadlines to say "I'm here": a morning one (mornings and full days, before 13:00)
        and an afternoon one (after 13:00); `check_in: true` takes 10:30 and 13:30."""
        raw = rules["check_in"]
        if raw is True:
            return CHECK_IN_DEFAULT
        if not isinstance(raw, _Located):
            self.problem(self.line(rules, "check_in"), f"{label}: check_in must be a mapping")
            return None
        self.unknown(raw, {"morning", "afternoon"})
        found = []
        for key, default, fits, rule in (
            ("morning", "10:30", lambda t: t < NOON, "before"),
            ("afternoon", "13:30", lambda t: t > NOON, "after"),
        ):
            clock = _clock(raw.get(key, default))
            if clock is None or not fits(clock):
                message = f'{label}: check_in {key} must be "HH:MM" {rule} 13:00'
                self.problem(self.line(raw, key), message)
            found.append(clock)
        morning, afternoon = found
        return (morning, afternoon) if morning and afternoon else None

    def zones(self, raw: _Located, label: str) -> tuple[ZoneSeed, ...]:
        seen: dict[str, int] = {}
        zones = []
        for item in self.items(raw, "zones", "zone"):
            self.unknown(item, {"key", "name"})
            key = self.key(item, f"{label}: zone", seen)
            names = self.texts(item, "name", f"{label}: zone {key}")
            if key is not None:
                zones.append(ZoneSeed(key, names))
        if not zones:
            self.problem(self.line(raw, "zones"), f"{label}: zones must list at least one zone")
        return tuple(zones)

    def desks(self, raw: _Located, label: str, zones: set[str]) -> tuple[DeskSeed, ...]:
        seen: dict[str, int] = {}
        labels: dict[str, int] = {}
        desks = []
        for item in self.items(raw, "desks", "desk"):
            self.unknown(item, {"key", "label", "zone", "features"})
            key = self.key(item, f"{label}: desk", seen)
            where = f"{label}: desk {key}"
            text = item.get("label")
            text = str(text).strip() if isinstance(text, str | int) else ""
            if not 0 < len(text) <= MAX_LABEL:
                self.problem(
                    self.line(item, "label"), f"{where}: label needs 1..{MAX_LABEL} characters"
                )
            elif text in labels:
                self.problem(item.line, f"{where}: label {text} is used at line {labels[text]}")
            labels.setdefault(text, item.line)
            zone = item.get("zone")
            if not isinstance(zone, str) or zone not in zones:
                self.problem(self.line(item, "zone"), f"{where}: there is no zone {zone!r}")
            features = item.get("features") or []
            if not isinstance(features, list) or any(f not in FEATURES for f in features):
                self.problem(
                    self.line(item, "features"),
                    f"{where}: features must be a list from {', '.join(FEATURES)}",
                )
            elif key is not None:
                desks.append(DeskSeed(key, text, zone, tuple(dict.fromkeys(features))))
        if not desks:
            self.problem(self.line(raw, "desks"), f"{label}: desks must list at least one desk")
        return tuple(desks)

    def key(self, raw: _Located, what: str, seen: dict[str, int]) -> str | None:
        key = raw.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            self.problem(
                self.line(raw, "key"),
                f"{what}: key {key!r} must be lowercase letters, digits or _ (at most 16)",
            )
            return None
        if key in seen:
            self.problem(raw.line, f"{what}: key {key} is already used at line {seen[key]}")
            return None
        seen[key] = raw.line
        return key

    def texts(self, raw: _Located, key: str, label: str) -> dict[str, str]:
        value = raw.get(key)
        if not isinstance(value, _Located):
            self.problem(self.line(raw, key), f"{label}: {key} needs en, ru and fi")
            return {}
        self.unknown(value, set(LANGUAGES))
        missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
        if missing:
            self.problem(value.line, f"{label}: {key} is missing {', '.join(missing)}")
        for lang in LANGUAGES:
            for _offset, token in bracketed(str(value.get(lang) or "")):
                known, note = placeholder_note(token)
                found = Problem(
                    self.path, self.line(value, lang), f"{label}: {key} ({lang}): {note}"
                )
                (self.warnings if known else self.problems).append(found)
        return {lang: str(value[lang]).strip() for lang in LANGUAGES if lang not in missing}

    def items(self, raw: _Located, key: str, what: str) -> list[_Located]:
        value = raw.get(key) or []
        if not isinstance(value, list):
            self.problem(self.line(raw, key), f"{key} must be a list")
            return []
        bad = [item for item in value if not isinstance(item, _Located)]
        for item in bad:
            self.problem(self.line(raw, key), f"a {what} must be a mapping, not {item!r}")
        return [item for item in value if isinstance(item, _Located)]

    def unknown(self, mapping: _Located, known: set[str]) -> None:
        for key in mapping:
            if key not in known:
                self.problem(
                    mapping.lines.get(str(key), mapping.line),
                    f"unknown field {key!r}; expected one of {', '.join(sorted(known))}",
                )

    @staticmethod
    def line(mapping: _Located, key: str) -> int:
        return mapping.lines.get(key, mapping.line)
