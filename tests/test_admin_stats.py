"""/stats and /export through the real dispatcher, on SQLite and on PostgreSQL + Redis: the
figures an admin reads match what was seeded (people, desk occupancy, coaching, events,
questions with the unanswered ones grouped), the chart arrives as a PNG, every export is the
right rows as a safe CSV and leaves an audit entry; wrong arguments get the usage, and
nobody but an admin in a private chat learns that the commands exist."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import BufferedInputFile, Chat
from sqlalchemy import func, select, update

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient
from storage import audit, desks, faq_log, stats
from storage.coaching import afterwards
from storage.coaching import sessions as coaching
from storage.coaching.coaches import get as get_coach
from storage.desks.opening import Period, Place
from storage.engine import unit_of_work
from storage.events import seats
from storage.events.tables import Registration
from storage.faq_log import FaqQuestion, Outcome
from storage.users import Profile, User, mark_blocked, touch
from tests.coaching_helpers import add_coach
from tests.conftest import FakeClock
from tests.events_helpers import add_events, sample
from tests.test_coaching_chat import Wall

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # a Thursday
ADMIN, COACH = 3001, 2101
ANNA, BORIS, MIKKO, EVIL = 1001, 1002, 1003, 1004
EVIL_NAME = '=HYPERLINK("http://evil.example","click")'
PRIVATE_ONLY = "Staff commands work only in a private chat with the bot."
GROUP = -100_700


@pytest.fixture
def stats_dispatcher(runtime: Runtime, clock: FakeClock, bot: Bot) -> Dispatcher:
    wall = Wall(NOW)
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


@pytest.fixture
def client(stats_dispatcher: Dispatcher, bot: Bot) -> Callable[..., ChatClient]:
    def make(user_id: int, **kwargs: object) -> ChatClient:
        return ChatClient(stats_dispatcher, bot, user_id, **kwargs)  # type: ignore[arg-type]

    return make


def plain(text: str | None) -> str:
    return re.sub(r"<[^>]+>", "", text or "").replace("\xa0", " ").replace("\u202f", " ")


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def open_half_days(place: Place, first: date) -> int:
    days = [first + timedelta(days=n) for n in range(7)]
    return sum(1 for day in days if place.closure(day) is None) * len(place.desks) * 2


async def seed(runtime: Runtime) -> int:
    """People with known languages and times, bookings, three coaching requests (one held and
    rated), two events, and questions of every outcome; how many people there are besides
    those of the tests (the coaches of the seed file, if the runtime synced any)."""
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH)
        for user_id, name in ((ANNA, "Anna"), (BORIS, "Boris"), (MIKKO, "Mikko"),
                              (EVIL, EVIL_NAME), (ADMIN, "Olga")):  # fmt: skip
            await touch(session, Profile(user_id, name, None, None), is_admin=user_id == ADMIN)
        # everyone else (the seeded coaches too): long known, not seen lately, in Finnish
        await session.execute(
            update(User).values(
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                last_seen_at=NOW - timedelta(days=60),
                blocked_at=None,
                locale="fi",
            )
        )
        for user_id, locale, created, seen in (
            (ANNA, "en", at(1), NOW - timedelta(days=2)),
            (BORIS, "ru", at(2), NOW - timedelta(days=10)),
            (MIKKO, "fi", at(3), NOW - timedelta(days=40)),
            (EVIL, None, at(4), NOW - timedelta(days=1)),
            (ADMIN, "en", datetime(2026, 1, 1, tzinfo=UTC), NOW),
        ):
            await session.execute(
                update(User)
                .where(User.id == user_id)
                .values(locale=locale, created_at=created, last_seen_at=seen)
            )
        await mark_blocked(session, MIKKO)

        lpr = next(place for place in runtime.places.all if place.key == "lpr")
        made = NOW - timedelta(days=1)
        await desks.book(session, lpr, ANNA, date(2026, 11, 27), Period.FULL, made)
        await desks.book(session, lpr, BORIS, date(2026, 11, 27), Period.MORNING, made)
        await desks.book(session, lpr, ANNA, date(2026, 11, 30), Period.AFTERNOON, made)

        asked = at(16, 10)  # Monday; the coach meets on Tuesdays 14:00–17:00, two sessions
        coach = await get_coach(session, COACH)
        assert coach is not None
        slots = await coaching.free_slots(session, coach, asked)
        ids = []
        for user_id, starts in zip((ANNA, BORIS, EVIL), slots[:3], strict=True):
            booked = await coaching.request(
                session, COACH, user_id, starts, "Funding", "online", asked
            )
            ids.append(booked.id)
        await coaching.accept(session, ids[0], COACH, asked + timedelta(hours=1))
        await coaching.decline(session, ids[1], COACH, "busy", asked + timedelta(hours=1))
        # nobody answers the third (a week later) by the day after the request
        assert len(await coaching.expire_due(session, at(17, 11))) == 1
        await afterwards.rate(session, ids[0], ANNA, 4, at(17, 20))

    ids = await add_events(
        runtime,
        NOW - timedelta(days=20),
        sample("past", at(21, 10), capacity=3),
        sample("soon", NOW + timedelta(days=5), capacity=2),
    )
    async with unit_of_work(runtime.factory) as session:
        await seats.register(session, ids["past"], ANNA, NOW - timedelta(days=8))
        await seats.register(session, ids["past"], BORIS, NOW - timedelta(days=8))
        await seats.register(session, ids["soon"], EVIL, NOW - timedelta(days=1))
        await session.execute(
            update(Registration)
            .where(Registration.event_id == ids["past"], Registration.user_id == ANNA)
            .values(attended=True)
        )
        for day, outcome, text, vote in (
            (20, Outcome.ANSWERED, "opening hours", True),
            (20, Outcome.ANSWERED, "wifi password", False),
            (21, Outcome.SUGGESTED, "visa", None),
            (21, Outcome.CHOSEN, "grants", None),
            (22, Outcome.UNKNOWN, "How do I cook borscht?", None),
            (23, Outcome.UNKNOWN, "How do I cook borscht?", None),
            (24, Outcome.UNKNOWN, "how to cook borscht", None),
            (24, Outcome.UNKNOWN, "Where can I park my car", None),
            (25, Outcome.UNCLEAR, "ok", None),
            (25, Outcome.SMALL_TALK, "hello", None),
            (25, Outcome.BROWSED, "What is the Oasis?", True),
        ):
            question_id = await faq_log.log_question(session, ANNA, "en", text, outcome=outcome)
            values: dict[str, object] = {"created_at": at(day)}
            if vote is not None:
                values["helpful"] = vote
            await session.execute(
                update(FaqQuestion).where(FaqQuestion.id == question_id).values(**values)
            )
        old = await faq_log.log_question(session, BORIS, "ru", "old", outcome=Outcome.UNKNOWN)
        await session.execute(
            update(FaqQuestion)
            .where(FaqQuestion.id == old)
            .values(created_at=datetime(2026, 10, 1, tzinfo=UTC))
        )
        everyone = await session.scalar(select(func.count()).select_from(User))
    return int(everyone or 0) - 6


def sent(client: ChatClient, kind: type[SendPhoto] | type[SendDocument]) -> list[bytes]:
    """What the bot uploaded to the client's chat, by method."""
    files = []
    for call in client.session.calls:
        if isinstance(call, kind) and int(call.chat_id) == client.chat.id:
            upload = call.photo if isinstance(call, SendPhoto) else call.document
            assert isinstance(upload, BufferedInputFile)
            files.append(upload.data)
    return files


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a byte-order mark for spreadsheet programs"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def export(admin: ChatClient, args: str) -> list[dict[str, str]]:
    before = len(sent(admin, SendDocument))
    await admin.send(f"/export {args}")
    files = sent(admin, SendDocument)
    assert len(files) == before + 1, admin.last.text
    return rows_of(files[-1])


async def test_stats_tell_the_figures_and_draw_the_chart(
    client: Callable[..., ChatClient], runtime: Runtime
) -> None:
    seeded_coaches = await seed(runtime)
    admin = client(ADMIN, first_name="Olga")
    await admin.send("/stats")
    [text] = [plain(m.text) for m in admin.messages if m.text]
    total = 6 + seeded_coaches
    counts = f"In all: {total} · active in 7 days: 3 · in 30 days: 4 · unreachable"
    assert counts + " (blocked the bot or never started it): 1" in text
    languages = text.split("Languages: ")[1].split("\n")[0]
    assert set(languages.split(", ")) == {
        f"Finnish {2 + seeded_coaches}",
        "English 2",
        "Russian 1",
        "not chosen 1",
    }

    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    this_week, next_week = (
        open_half_days(lpr, date(2026, 11, 23)),
        open_half_days(lpr, date(2026, 11, 30)),
    )
    assert (
        f"{lpr.name('en')}: this week 3 of {this_week} ({round(300 / this_week)}%), "
        f"next week 1 of {next_week} ({round(100 / next_week)}%)"
    ) in text
    for place in runtime.places.all:
        if place is not lpr:
            assert f"{place.name('en')}: this week 0 of " in text

    assert "Requested: 3 · confirmed: 1 · declined: 1 · expired: 1 · cancelled: 0" in text
    assert "Average rating: 4.0 of 5 (1 rating)" in text
    assert "Registrations: 3 · events held: 1, registered for them: 2, came: 1 (50%)" in text
    assert "Asked: 9 · answered: 22% · suggested: 22% · unknown: 56%" in text
    assert "Votes: 👍 2 · 👎 1" in text
    top = text.split("Asked most often without an answer:\n")[1].split("\n")
    assert top == ["1. How do I cook borscht? — 3", "2. Where can I park my car — 1"]

    [png] = sent(admin, SendPhoto)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert isinstance(admin.last.photo, list)


async def test_the_chart_counts_bookings_by_the_day_they_were_made(runtime: Runtime) -> None:
    await seed(runtime)
    first = date(2026, 10, 5)  # a Monday, eight weeks before NOW's week ends
    async with unit_of_work(runtime.factory) as session:
        found = await stats.activity(session, first, 53)
    made = (date(2026, 11, 25) - first).days
    assert found.desks[made] == 3 and sum(found.desks) == 3
    assert found.coaching[(date(2026, 11, 16) - first).days] == 3 and sum(found.coaching) == 3
    assert sum(found.events) == 3
    week = (date(2026, 11, 16) - first).days // 7
    by_week = {group: values[week : week + 2] for group, values in found.faq.items()}
    assert by_week == {"answered": [2, 0], "suggested": [2, 0], "unknown": [1, 4]}
    assert sum(sum(values) for values in found.faq.values()) == 9  # the old one is before


def test_similar_questions_are_counted_together() -> None:
    texts = ["Where is the parking?", "where is parking", "visa", "parking where", "???"]
    assert stats.group_similar(texts, top=2) == [("Where is the parking?", 3), ("visa", 1)]


async def test_exports_are_the_rows_of_the_range_as_safe_csv(
    client: Callable[..., ChatClient], runtime: Runtime
) -> None:
    await seed(runtime)
    admin = client(ADMIN, first_name="Olga")

    users = await export(admin, "users 2026-11-01 2026-11-30")
    assert [row["user_id"] for row in users] == [str(i) for i in (ANNA, BORIS, MIKKO, EVIL)]
    assert users[0]["language"] == "en" and users[0]["roles"] == ""
    assert users[2]["blocked_at_utc"] != "" and users[0]["blocked_at_utc"] == ""
    assert users[3]["name"] == "'" + EVIL_NAME
    assert admin.last.caption == "4 rows, 2026-11-01 to 2026-11-30."
    assert [r["user_id"] for r in await export(admin, "users 2026-11-02 2026-11-03")] == [
        str(BORIS),
        str(MIKKO),
    ]

    bookings = await export(admin, "bookings 2026-11-23 2026-12-06")
    assert sorted((r["date"], r["period"], r["user_id"]) for r in bookings) == [
        ("2026-11-27", "full", str(ANNA)),
        ("2026-11-27", "morning", str(BORIS)),
        ("2026-11-30", "afternoon", str(ANNA)),
    ]

    sessions = await export(admin, "sessions 2026-11-17 2026-11-24")
    assert [(r["status"], r["rating"]) for r in sessions] == [
        ("confirmed", "4"),
        ("declined", ""),
        ("expired", ""),
    ]

    events = await export(admin, "events 2026-11-01 2026-11-30")
    assert sorted((r["event"], r["user_id"], r["attended"]) for r in events) == [
        ("Event past", str(ANNA), "1"),
        ("Event past", str(BORIS), "0"),
    ]

    questions = await export(admin, "faq 2026-11-01 2026-11-30")
    assert len(questions) == 11
    assert questions[0] == {
        "asked_at_utc": "2026-11-20T09:00:00+00:00",
        "language": "en",
        "question": "opening hours",
        "outcome": "answered",
        "entry": "",
        "vote": "up",
    }
    assert {row["outcome"] for row in questions} >= {"unknown", "suggested", "chosen"}

    async with unit_of_work(runtime.factory) as session:
        entries = await audit.latest(session, 10)
    exported = [(e.actor_id, e.action, e.target, e.details) for e in reversed(entries)]
    assert exported[:2] == [
        (ADMIN, "export", "users 2026-11-01..2026-11-30", {"rows": 4}),
        (ADMIN, "export", "users 2026-11-02..2026-11-03", {"rows": 2}),
    ]
    assert (ADMIN, "export", "faq 2026-11-01..2026-11-30", {"rows": 11}) in exported


@pytest.mark.parametrize(
    "args",
    [
        "",
        "users",
        "people 2026-11-01 2026-11-30",
        "users 2026-11-30",
        "users 2026-11-30 2026-11-01",
        "faq 2025-01-01 2026-11-30",
        "events 2026-11-01 soon",
    ],
)
async def test_a_wrong_export_gets_the_usage(
    client: Callable[..., ChatClient], runtime: Runtime, args: str
) -> None:
    admin = client(ADMIN, first_name="Olga")
    await admin.send(f"/export {args}".strip())
    assert "Usage: /export WHAT FROM TO" in plain(admin.last.text)
    assert sent(admin, SendDocument) == []
    async with unit_of_work(runtime.factory) as session:
        assert await audit.latest(session, 10) == []


async def test_nobody_but_an_admin_in_a_private_chat_gets_them(
    client: Callable[..., ChatClient], runtime: Runtime
) -> None:
    await seed(runtime)
    anna = client(ANNA)
    await anna.send("/nosuchcommand")
    unknown = anna.last.text
    for command in ("/stats", "/export users 2026-11-01 2026-11-30"):
        await anna.send(command)
        assert anna.last.text == unknown, command
    assert sent(anna, SendDocument) == sent(anna, SendPhoto) == []

    admin = client(ADMIN, first_name="Olga")
    admin.chat = Chat(id=GROUP, type="supergroup", title="Oasis residents")
    for command in ("/stats", "/export users 2026-11-01 2026-11-30"):
        await admin.send(command)
        assert admin.session.chat(GROUP).messages, command
        assert list(admin.session.chat(GROUP).messages.values())[-1].text == PRIVATE_ONLY
    assert sent(admin, SendDocument) == sent(admin, SendPhoto) == []
    async with unit_of_work(runtime.factory) as session:
        assert await audit.latest(session, 10) == []


async def test_numbers_are_written_in_the_admins_language(
    client: Callable[..., ChatClient], runtime: Runtime
) -> None:
    await seed(runtime)
    async with unit_of_work(runtime.factory) as session:
        await session.execute(update(User).where(User.id == ADMIN).values(locale="ru"))
    admin = client(ADMIN, first_name="Olga", language_code="ru")
    await admin.send("/stats")
    text = next(m.text for m in admin.messages if m.text)
    assert "(50\xa0%)" in text and "4,0" in text
    assert len(sent(admin, SendPhoto)) == 1
