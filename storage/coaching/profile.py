"""What a coach changes about themselves: the profile (name, bio, topics, languages, where they
meet, the meeting link, the time zone) and the availability (weekly and one-off windows,
vacation days, session length, buffer, notice, horizon, a day's maximum). Each change is
checked here; a bad value is refused with the rule it breaks (`Invalid`)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import clean_text, insert
from storage.coaching.coaches import split
from storage.coaching.tables import Coach, CoachBlockedDay, CoachWindow

EXPERTISE = (
    "business_plan", "funding", "marketing", "legal",
    "international", "pitching", "technology", "accounting",
)  # fmt: skip
LANGUAGES = ("en", "ru", "fi")
SESSION_MINUTES, BUFFER_MINUTES = (30, 45, 60), (0, 10, 15)
NOTICE_HOURS, HORIZON_DAYS, PER_DAY = (2, 12, 24, 48), (7, 14, 21, 30, 60), (1, 2, 3, 4, 6, 8)
MAX_NAME, MAX_BIO, MAX_LINK = 64, 500, 256
MAX_VACATION_DAYS = 90
_WINDOW = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")


class Invalid(ValueError):
    """A value a coach typed or picked that cannot be taken; `rule` names the check."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def parse_window(text: str, minutes: int) -> tuple[int, int]:
    """ "14:00-17:00" → (840, 1020): on five-minute steps, start before end, room for a
    session of `minutes`."""
    match = _WINDOW.match(text)
    if match is None:
        raise Invalid("window_format")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise Invalid("window_format")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start % 5 or end % 5:
        raise Invalid("window_steps")
    if end - start < minutes:
        raise Invalid("window_short")
    return start, end


def check_link(link: str) -> str:
    link = link.strip()
    parts = urlsplit(link)
    if (
        len(link) > MAX_LINK
        or parts.scheme != "https"
        or not parts.hostname
        or "." not in parts.hostname
        or any(c.isspace() for c in link)
    ):
        raise Invalid("link")
    return link


async def add_window(
    session: AsyncSession, coach: Coach, start: int, end: int, *, weekday: int | None = None,
    day: date | None = None,
) -> CoachWindow:  # fmt: skip
    """A weekly window (every `weekday`) or a one-off on `day`; it may not overlap another of
    the same day."""
    if (weekday is None) == (day is None) or (weekday is not None and not 0 <= weekday <= 6):
        raise Invalid("window_day")
    same = CoachWindow.weekday == weekday if day is None else CoachWindow.day == day
    rows = await session.scalars(
        select(CoachWindow).where(CoachWindow.coach_id == coach.user_id, same)
    )
    if any(row.start_minute < end and start < row.end_minute for row in rows):
        raise Invalid("window_overlap")
    window = CoachWindow(
        coach_id=coach.user_id, weekday=weekday, day=day, start_minute=start, end_minute=end
    )
    session.add(window)
    await session.flush()
    return window


async def windows_of(session: AsyncSession, coach: Coach, today: date) -> list[CoachWindow]:
    """The weekly windows, then the one-off ones from today on, in order."""
    rows = await session.scalars(select(CoachWindow).where(CoachWindow.coach_id == coach.user_id))
    weekly = sorted((r for r in rows if r.day is None), key=lambda r: (r.weekday, r.start_minute))
    rows = await session.scalars(
        select(CoachWindow).where(CoachWindow.coach_id == coach.user_id, CoachWindow.day >= today)
    )
    return weekly + sorted(rows, key=lambda r: (r.day, r.start_minute))


async def remove_window(session: AsyncSession, coach: Coach, window_id: int) -> bool:
    """Only the coach's own window (the button's id is checked against the owner)."""
    result = await session.execute(
        delete(CoachWindow).where(
            CoachWindow.id == window_id, CoachWindow.coach_id == coach.user_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def block(session: AsyncSession, coach: Coach, first: date, last: date, today: date) -> int:
    """Vacation from `first` to `last` (at most MAX_VACATION_DAYS, not in the past); how many
    days. Sessions already booked then stand: the coach cancels them if need be."""
    if last < first or first < today:
        raise Invalid("vacation_dates")
    if (last - first).days + 1 > MAX_VACATION_DAYS:
        raise Invalid("vacation_long")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rows = [{"coach_id": coach.user_id, "day": day} for day in days]
    await session.execute(insert(session, CoachBlockedDay).values(rows).on_conflict_do_nothing())
    return len(days)


async def blocked_days(session: AsyncSession, coach: Coach, today: date) -> list[date]:
    rows = await session.scalars(
        select(CoachBlockedDay.day)
        .where(CoachBlockedDay.coach_id == coach.user_id, CoachBlockedDay.day >= today)
        .order_by(CoachBlockedDay.day)
    )
    return list(rows)


async def unblock_all(session: AsyncSession, coach: Coach, today: date) -> None:
    await session.execute(
        delete(CoachBlockedDay).where(
            CoachBlockedDay.coach_id == coach.user_id, CoachBlockedDay.day >= today
        )
    )


def set_format(coach: Coach, field: str, value: int) -> None:
    """Session length, buffer, notice, horizon or a day's maximum, from the offered choices."""
    choices = {
        "session_minutes": SESSION_MINUTES,
        "buffer_minutes": BUFFER_MINUTES,
        "notice_hours": NOTICE_HOURS,
        "horizon_days": HORIZON_DAYS,
        "max_per_day": PER_DAY,
    }
    if value not in choices.get(field, ()):
        raise Invalid("format")
    setattr(coach, field, value)


def set_name(coach: Coach, text: str) -> None:
    name = clean_text(text).strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise Invalid("name")
    coach.name = name


def set_bio(coach: Coach, text: str) -> None:
    bio = clean_text(text, multiline=True).strip()
    if len(bio) > MAX_BIO:
        raise Invalid("bio")
    coach.bio = bio


def toggle(coach: Coach, field: str, key: str) -> None:
    """A topic or a language on or off (a coach keeps at least one language)."""
    known = {"expertise": EXPERTISE, "languages": LANGUAGES}.get(field)
    if known is None or key not in known:
        raise Invalid("toggle")
    current = split(getattr(coach, field))
    chosen = [k for k in known if (k in current) != (k == key)]
    if field == "languages" and not chosen:
        raise Invalid("languages_empty")
    setattr(coach, field, ",".join(chosen))


def set_where(coach: Coach, location_id: int | None, online: bool) -> None:
    """Where the coach meets: a location, online, or both — never nowhere; online needs a
    meeting link."""
    if location_id is None and not online:
        raise Invalid("where_nowhere")
    if online and not coach.meeting_link:
        raise Invalid("link_missing")
    coach.location_id, coach.online = location_id, online


def set_link(coach: Coach, text: str) -> None:
    coach.meeting_link = check_link(text)


def set_timezone(coach: Coach, name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("timezone") from None
    coach.timezone = name
