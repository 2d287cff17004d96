"""Privacy, on SQLite and on PostgreSQL + Redis: the notice after the first language choice
and in Settings, /mydata (everything stored, as a JSON file), /forgetme (live bookings end and
go to the next in line, the coach is told, and afterwards no table holds the person's id or
name), the confirmation only the person can give, and the retention job."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import JSON, Integer, String, func, select

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient
from handlers.privacy import PrivacyAction, PrivacyCB
from handlers.ui.callbacks import LanguageCB, Locale
from scheduler.setup import anonymise_expired, create_scheduler
from storage import audit
from storage.engine import unit_of_work
from storage.events.tables import Registration
from storage.faq_log import FaqQuestion, Outcome, log_question
from storage.models import Base
from storage.outbox import OutboxMessage, State
from storage.privacy import ANONYMOUS
from storage.users import User
from tests.coaching_helpers import add_coach
from tests.conftest import FakeClock
from tests.events_helpers import add_events, sample
from tests.test_coaching_chat import request_session
from tests.test_desk_chat import AM, GUESTS, WEDNESDAY, book, my_bookings, wait_for_morning

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday, 08:00 in Lappeenranta
STARTS = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
ANNA, BORIS, CARL, DORA, COACH, ADMIN = 7770001, 1002, 1003, 1004, 5001, 3001
NAMES = ("Zephyrine", "Quaternion", "zq_private")  # Anna's first name, last name, username
STALE = "This button is no longer valid. Please send /start to open the menu again."
DONE = "Done: everything I stored about you is erased."


class Wall:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall(NOW)


@pytest.fixture
def privacy_dispatcher(runtime: Runtime, clock: FakeClock, wall: Wall, bot: Bot) -> Dispatcher:
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


Join = Callable[..., Awaitable[ChatClient]]


@pytest.fixture
def join(privacy_dispatcher: Dispatcher, bot: Bot) -> Join:
    async def make(user_id: int, name: str = "Guest", **profile: Any) -> ChatClient:
        client = ChatClient(privacy_dispatcher, bot, user_id, first_name=name, **profile)
        await client.send("/start")
        await client.press_data(LanguageCB(locale=Locale.EN).pack())
        return client

    return make


@pytest.fixture
async def anna(join: Join) -> ChatClient:
    return await join(ANNA, NAMES[0], last_name=NAMES[1], username=NAMES[2])


def plain(text: str | None) -> str:
    return re.sub(r"<[^>]+>", "", text or "").replace("\u202f", " ").replace("\xa0", " ")


def texts(client: ChatClient) -> list[str]:
    return [plain(message.text) for message in client.messages]


def alert(client: ChatClient) -> str:
    toast = client.recorded.toasts[-1]
    assert toast.show_alert, f"a passing toast, not an alert: {toast.text!r}"
    return plain(toast.text)


def my_data(client: ChatClient) -> dict[str, Any]:
    [sent] = [
        call
        for call in client.session.calls
        if isinstance(call, SendDocument) and int(call.chat_id) == client.user.id
    ]
    assert isinstance(sent.document, BufferedInputFile)
    assert sent.document.filename == "my-data.json"
    assert f"your Telegram id: {client.user.id}" in (sent.caption or "")
    return json.loads(sent.document.data)  # type: ignore[no-any-return]


def confirmation(client: ChatClient) -> PrivacyCB:
    markup = client.last.reply_markup
    assert markup is not None
    data = markup.inline_keyboard[0][0].callback_data
    assert data is not None
    return PrivacyCB.unpack(data)


async def traces(runtime: Runtime, user_id: int, words: tuple[str, ...]) -> list[str]:
    """Every cell of every table that holds `user_id` (a number, or in text) or one of
    `words`: what an erasure must leave none of."""
    found = []
    wanted = [word.lower() for word in words]
    number = re.compile(rf"(?<!\d){user_id}(?!\d)")
    async with unit_of_work(runtime.factory) as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    kind = getattr(column.type, "impl", column.type)
                    if isinstance(kind, Integer) and value == user_id:
                        found.append(f"{table.name}.{column.name} in row {row[0]}")
                    elif isinstance(kind, String | JSON) and value is not None:
                        text = value if isinstance(value, str) else json.dumps(value)
                        if number.search(text) or any(w in text.lower() for w in wanted):
                            found.append(f"{table.name}.{column.name}: {text[:80]}")
    return found


@pytest.fixture
async def coach(runtime: Runtime, join: Join) -> ChatClient:
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, name="Tiina Coach", location_id=lpr.id, horizon_days=8)
    return await join(COACH, "Tiina")


async def register(client: ChatClient, title: str, button: str) -> None:
    await client.send("/start")
    await client.click("Events")
    await client.click(title)
    await client.click(button)


# --- the notice ------------------------------------------------------------------------------


async def test_the_notice_follows_the_first_language_choice_and_lives_in_settings(
    anna: ChatClient,
) -> None:
    first = plain(anna.last.text)
    assert first.startswith("Great, I will speak English with you.")
    assert "🔒 Privacy" in first and "anonymised after 365 days" in first
    assert "/mydata" in first and "/forgetme" in first
    await anna.press_data(LanguageCB(locale=Locale.FI).pack())
    assert "/forgetme" not in plain(anna.last.text)  # once only

    await anna.press_data(LanguageCB(locale=Locale.EN).pack())
    await anna.send("/start")
    await anna.click("Settings")
    await anna.click("🔒 Privacy")
    assert plain(anna.last.text).startswith("🔒 Privacy\nI store your Telegram name")
    screen = anna.last
    await anna.click("📄 My data", screen)
    assert my_data(anna)["profile"]["first_name"] == NAMES[0]
    await anna.click("🗑 Erase my data", screen)
    asked = anna.recorded.messages[screen.message_id]
    assert plain(asked.text).startswith("Erase everything I store about you?")


# --- /mydata ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("coach")
async def test_mydata_sends_everything_stored_about_the_person(
    runtime: Runtime, anna: ChatClient
) -> None:
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    await add_events(runtime, NOW, sample("talk", STARTS, capacity=5))
    await book(anna, lpr, WEDNESDAY, AM)
    await anna.send("/start")
    await request_session(anna)
    await register(anna, "Event talk", "Register")
    await anna.send("How do I register a company in Finland?")
    await anna.send("/start")
    await anna.click("Settings")
    await anna.click("🔔 Reminders")
    await anna.click("🔕 Turn event reminders off")
    await anna.send("/start")
    await anna.click("Book a coach")  # a conversation under way is part of it too

    await anna.send("/mydata")
    data = my_data(anna)
    assert data["telegram_id"] == ANNA
    profile = data["profile"]
    assert (profile["first_name"], profile["last_name"], profile["username"]) == NAMES
    assert profile["locale"] == "en" and profile["remind_events"] is False
    assert profile["is_admin"] is False and profile["created_at"].startswith("20")
    [desk] = data["desk_bookings"]
    assert (desk["location"], desk["day"], desk["period"]) == ("lpr", "2026-12-02", "am")
    [session] = data["coaching_sessions"]
    assert session["coach"] == "Tiina Coach" and session["status"] == "pending"
    assert "pitch deck" in session["topic"] and "coach_note" not in session
    [seat] = data["event_registrations"]
    assert seat["status"] == "registered" and seat["event_title"]["en"] == "Event talk"
    assert "How do I register a company in Finland?" in [q["text"] for q in data["faq_questions"]]
    assert "desk.reminder" in {m["kind"] for m in data["pending_messages"]}
    assert data["desk_waitlist"] == [] and data["coach_profile"] is None
    assert "conversation" in data


async def test_a_coach_sees_their_coach_profile_and_is_not_erased(
    coach: ChatClient, join: Join
) -> None:
    await coach.send("/mydata")
    assert my_data(coach)["coach_profile"]["name"] == "Tiina Coach"
    await coach.send("/forgetme")
    assert "ask the programme staff to remove your role first" in plain(coach.last.text)
    admin = await join(ADMIN, "Staff")
    await admin.send("/forgetme")
    assert "ask the programme staff to remove your role first" in plain(admin.last.text)


# --- /forgetme -------------------------------------------------------------------------------


async def test_forgetme_ends_everything_tells_the_others_and_leaves_no_trace(
    runtime: Runtime, join: Join, anna: ChatClient, coach: ChatClient, bot: Bot
) -> None:
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    await add_events(runtime, NOW, sample("talk", STARTS, capacity=1))
    guests = [await join(user_id) for user_id in GUESTS[:7]]
    for guest in guests:
        await book(guest, lpr, WEDNESDAY, AM)
    await book(anna, lpr, WEDNESDAY, AM)  # the eighth and last desk
    boris = await join(BORIS, "Boris")
    assert "(number 1 in line)" in await wait_for_morning(boris, lpr)
    await anna.send("/start")
    await request_session(anna)
    assert "Session request" in plain(coach.last.text)
    await register(anna, "Event talk", "Register")
    carl = await join(CARL, "Carl")
    await register(carl, "Event talk", "Join the waitlist")
    await anna.send("How do I register a company in Finland?")
    await anna.send(f"I am {NAMES[0]} {NAMES[1]}, where is the Business Oasis?")
    async with unit_of_work(runtime.factory) as session:
        kinds = await session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.chat_id == ANNA, OutboxMessage.state == State.PENDING
            )
        )
        assert "desk.reminder" in set(kinds)
    assert await traces(runtime, ANNA, NAMES)  # the scan finds what there is

    await anna.send("/forgetme")
    assert plain(anna.last.text).startswith("Erase everything I store about you?")
    await anna.click("🗑 Yes, erase everything")
    assert plain(anna.last.text).startswith(DONE)
    assert anna.toasts[-1] == "Erased."

    assert plain(boris.last.text).startswith("🎉 A desk has freed up for you!")
    await boris.click("✅ Take it")
    assert plain(boris.last.text).startswith("✅ The desk is yours!")
    told = [text for text in texts(coach) if "withdrew the request" in text]
    assert told and "(someone who has left)" in told[0] and NAMES[0] not in told[0]
    assert any(text.startswith("🎉 A seat freed up and it is yours.") for text in texts(carl))
    assert "1. Wed, 2 Dec · Morning" in await my_bookings(boris)

    assert await traces(runtime, ANNA, NAMES) == []
    async with unit_of_work(runtime.factory) as session:  # kept for statistics, nameless
        assert await session.scalar(select(func.count()).select_from(FaqQuestion)) >= 2
        assert await session.scalar(select(func.count()).select_from(Registration)) == 2
    storage = runtime.storage
    if (redis := getattr(storage, "redis", None)) is not None:
        keys = [key async for key in redis.scan_iter(match=f"fsm:*{ANNA}*")]
        assert [k for k in keys if not k.endswith(b":lock")] == []


async def test_two_people_erased_after_doing_the_same_things(runtime: Runtime, join: Join) -> None:
    await add_events(runtime, NOW, sample("talk", STARTS, capacity=5))
    for user_id, name in ((ANNA, NAMES[0]), (DORA, "Dora")):
        client = await join(user_id, name)
        await register(client, "Event talk", "Register")
        await client.send("How do I register a company in Finland?")
        await client.send("/forgetme")
        await client.click("🗑 Yes, erase everything")
        assert plain(client.last.text).startswith(DONE)
    async with unit_of_work(runtime.factory) as session:
        rows = list(await session.scalars(select(Registration)))
        assert len(rows) == 2 and len({row.user_id for row in rows}) == 2
        assert all(row.user_id < 0 for row in rows)
        assert await session.get(User, ANNA) is None and await session.get(User, DORA) is None
    assert await traces(runtime, DORA, ("Dora",)) == []


async def test_keeping_the_data_at_the_confirmation_erases_nothing(
    runtime: Runtime, anna: ChatClient
) -> None:
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    await book(anna, lpr, WEDNESDAY, AM)
    await anna.send("/forgetme")
    question = anna.last
    await anna.click("No, keep my data")
    assert plain(anna.last.text) == "All right: nothing is erased."
    await anna.click("Yes, erase everything", question)  # the old screen, pressed later
    assert alert(anna) == STALE
    assert "1. Wed, 2 Dec · Morning" in await my_bookings(anna)
    async with unit_of_work(runtime.factory) as session:
        assert (await session.get(User, ANNA)) is not None


async def test_only_the_person_themself_can_confirm(
    runtime: Runtime, anna: ChatClient, join: Join
) -> None:
    await anna.send("/forgetme")
    theirs = confirmation(anna)
    assert theirs.action == PrivacyAction.CONFIRM and theirs.user == ANNA
    boris = await join(BORIS, "Boris")
    await boris.press_data(theirs.pack())  # Anna's button, pressed by Boris
    assert alert(boris) == STALE
    await boris.send("/forgetme")
    forged = PrivacyCB(action=PrivacyAction.CONFIRM, user=BORIS, token=theirs.token)
    await boris.press_data(forged.pack())  # his own id, Anna's token
    assert alert(boris) == STALE
    await boris.press_data(PrivacyCB(action=PrivacyAction.CONFIRM, user=BORIS).pack())
    assert alert(boris) == STALE
    async with unit_of_work(runtime.factory) as session:
        assert await session.get(User, ANNA) is not None
        assert await session.get(User, BORIS) is not None
    await anna.press_data(theirs.pack(), anna.last)
    assert plain(anna.last.text).startswith(DONE)


async def test_a_second_confirmation_after_the_erasure_is_harmless(
    runtime: Runtime, anna: ChatClient
) -> None:
    await anna.send("/forgetme")
    question = anna.last
    await anna.click("🗑 Yes, erase everything")
    await anna.click("🗑 Yes, erase everything", question)
    assert alert(anna) == STALE
    await anna.send("/start")  # back, as someone new: asked for a language again
    assert "Please choose your language" in plain(anna.last.text)
    async with unit_of_work(runtime.factory) as session:
        assert (await session.get(User, ANNA)).locale is None  # type: ignore[union-attr]


async def test_mydata_and_forgetme_only_in_a_private_chat(anna: ChatClient) -> None:
    group = {"id": -100123, "type": "group", "title": "Founders"}
    update = anna.message_update("/forgetme")
    update["message"]["chat"] = group
    await anna.feed(update)
    said = anna.session.chat(-100123).messages
    assert [plain(m.text) for m in said.values()][-1].startswith("Please send this in a private")


# --- retention -------------------------------------------------------------------------------


async def test_old_questions_and_audit_entries_are_anonymised(
    runtime: Runtime, anna: ChatClient
) -> None:
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=10)
    assert await anonymise_expired(runtime.factory, timedelta(days=365), NOW) == (0, 0)
    async with unit_of_work(runtime.factory) as session:
        assert await session.get(User, ANONYMOUS) is None  # made only when needed
    async with unit_of_work(runtime.factory) as session:
        first = await log_question(session, ANNA, "en", "An old question", outcome=Outcome.ANSWERED)
        second = await log_question(session, ANNA, "en", "A new question", outcome=Outcome.UNKNOWN)
        (await session.get(FaqQuestion, first)).created_at = old  # type: ignore[union-attr]
        (await session.get(FaqQuestion, second)).created_at = recent  # type: ignore[union-attr]
        audit.record(session, ADMIN, audit.Action.EXPORT, target="users", at=old)
        audit.record(session, ADMIN, audit.Action.RELOAD, at=recent)
    assert await anonymise_expired(runtime.factory, timedelta(days=365), NOW) == (1, 1)
    assert await anonymise_expired(runtime.factory, timedelta(days=365), NOW) == (0, 0)
    async with unit_of_work(runtime.factory) as session:
        gone = await session.get(FaqQuestion, first)
        kept = await session.get(FaqQuestion, second)
        assert gone is not None and kept is not None
        assert (gone.text, gone.user_id, gone.outcome) == ("", ANONYMOUS, "answered")
        assert (kept.text, kept.user_id) == ("A new question", ANNA)
        entries = {entry.action: entry for entry in await audit.latest(session, 10)}
        assert entries["export"].actor_id is None and entries["export"].target is None
        assert entries["content.reloaded"].actor_id == ADMIN
    scheduler = create_scheduler(
        runtime.storage, runtime.engine, runtime.factory, timedelta(days=365)
    )
    assert scheduler.get_job("anonymise_expired") is not None
