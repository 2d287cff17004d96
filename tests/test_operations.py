"""Operations, on SQLite and on PostgreSQL + Redis: /metrics after real updates (the handler
that took each, its latency, bookings and FAQ outcomes counted once committed), the outbox's
backlog read at scrape time, the delivery engine's outcomes, JSON log lines that name their
update, and LOG_FORMAT checked like every setting."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Runtime, create_dispatcher
from bot.logs import log_handler
from bot.runners import create_ops_app
from bot.sandbox.recording import ChatClient
from bot.settings import ConfigError, load_settings
from handlers.ui.callbacks import LanguageCB, Locale
from storage import faq_log, outbox
from storage.base import utcnow
from storage.engine import create_engine, create_session_factory, unit_of_work
from tests.conftest import FakeClock
from tests.test_bad_input import DownIsolation

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # a Tuesday, 08:00 in Lappeenranta
ANNA, BORIS, ADMIN = 1001, 1002, 3001


class Wall:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


async def scrape(runtime: Runtime, now: datetime | None = None) -> Samples:
    clock = (lambda: now) if now is not None else utcnow
    return samples((await runtime.metrics.exposition(runtime.factory, clock)).decode())


@pytest.fixture
def wall() -> Wall:
    return Wall(NOW)


@pytest.fixture
def dispatcher(runtime: Runtime, clock: FakeClock, wall: Wall, bot: Bot) -> Dispatcher:
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


async def join(dispatcher: Dispatcher, bot: Bot, user_id: int, name: str = "Anna") -> ChatClient:
    client = ChatClient(dispatcher, bot, user_id, first_name=name)
    await client.send("/start")
    await client.press_data(LanguageCB(locale=Locale.EN).pack())
    return client


# --- /metrics after real updates -----------------------------------------------------------


async def test_metrics_show_each_handler_its_latency_and_what_people_did(
    runtime: Runtime, dispatcher: Dispatcher, bot: Bot
) -> None:
    anna = await join(dispatcher, bot, ANNA)
    await anna.click("Book a desk")
    await anna.click("Lappeenranta")
    await anna.click("⚡ Earliest free day")
    await anna.click("Morning")
    await anna.click("Any free desk")
    await anna.click("✅ Confirm booking")
    assert anna.toasts[-1] == "Booked!"
    await anna.send("When is the Business Oasis open?")
    await anna.send("how do I cook borscht")
    await anna.feed(
        {"update_id": 999_001, "edited_message": anna.message_update("typo")["message"]}
    )

    found = await scrape(runtime)
    confirm = "handlers.desks.choice.confirm"
    assert value(found, "concierge_updates_total", handler=confirm) == 1
    assert value(found, "concierge_update_duration_seconds_count", handler=confirm) == 1
    assert value(found, "concierge_update_duration_seconds_bucket", handler=confirm, le="+Inf") == 1
    assert value(found, "concierge_updates_total", handler="handlers.start.start") == 1
    assert value(found, "concierge_updates_total", handler="handlers.faq.questions.ask") == 2
    assert value(found, "concierge_updates_total", handler="unhandled") == 1  # the edit
    assert value(found, "concierge_bookings_total", kind="desk") == 1
    assert value(found, "concierge_faq_questions_total", outcome="answered") == 1
    assert value(found, "concierge_faq_questions_total", outcome="unknown") == 1
    assert value(found, "concierge_errors_total") == 0
    assert value(found, "concierge_updates_in_flight") == 0

    async with TestClient(TestServer(create_ops_app(runtime))) as client:
        answer = await client.get("/metrics")
        assert answer.status == 200
        assert answer.headers["Content-Type"] == CONTENT_TYPE_LATEST
        assert "concierge_bookings_total" in await answer.text()


async def test_what_rolled_back_is_not_counted(
    runtime: Runtime, dispatcher: Dispatcher, bot: Bot
) -> None:
    await join(dispatcher, bot, ANNA)
    with pytest.raises(RuntimeError):
        async with unit_of_work(runtime.factory) as session:
            await faq_log.log_question(
                session, ANNA, "en", "lost", outcome=faq_log.Outcome.ANSWERED
            )
            raise RuntimeError("the update failed after the question was logged")
    assert value(await scrape(runtime), "concierge_faq_questions_total", outcome="answered") is None
    async with unit_of_work(runtime.factory) as session:
        await faq_log.log_question(session, ANNA, "en", "kept", outcome=faq_log.Outcome.ANSWERED)
    assert value(await scrape(runtime), "concierge_faq_questions_total", outcome="answered") == 1


# --- the outbox at scrape time -------------------------------------------------------------


async def test_the_outbox_backlog_shows_what_is_overdue_and_by_how_much(runtime: Runtime) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert value(await scrape(runtime, now), "concierge_outbox_depth", lane="urgent") == 0
    async with unit_of_work(runtime.factory) as session:
        outbox.enqueue(session, ANNA, "test", due_at=now - timedelta(seconds=90))
        outbox.enqueue(session, ANNA, "test", due_at=now - timedelta(seconds=10))
        outbox.enqueue(session, ANNA, "test", due_at=now + timedelta(hours=1))  # not yet due
        await outbox.enqueue_bulk(session, [BORIS, ADMIN], "test", 1, now - timedelta(seconds=5))
    found = await scrape(runtime, now)
    assert value(found, "concierge_outbox_depth", lane="urgent") == 2
    assert value(found, "concierge_outbox_lateness_seconds", lane="urgent") == 90
    assert value(found, "concierge_outbox_depth", lane="bulk") == 2
    assert value(found, "concierge_outbox_lateness_seconds", lane="bulk") == 5


async def test_an_unreadable_outbox_is_a_missing_number_not_a_zero(runtime: Runtime) -> None:
    unreachable = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/nothing")
    try:
        text = await runtime.metrics.exposition(create_session_factory(unreachable))
    finally:
        await unreachable.dispose()
    depth = value(samples(text.decode()), "concierge_outbox_depth", lane="urgent")
    assert depth is not None and depth != depth  # NaN


# --- the delivery engine -------------------------------------------------------------------


async def test_messages_sent_blocked_and_429s_are_counted(
    runtime: Runtime, dispatcher: Dispatcher, bot: Bot, wall: Wall
) -> None:
    wall.now = utcnow() + timedelta(minutes=1)  # the outbox's rows are due at the real time
    bot.session.delivery.metrics = runtime.metrics  # type: ignore[attr-defined]
    await join(dispatcher, bot, ADMIN, "Olga")
    refuse: list[Exception] = []

    async def to_the_admin(method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage) and method.chat_id == ADMIN and refuse:
            raise refuse.pop(0)

    bot.session.on_call = to_the_admin  # type: ignore[attr-defined]
    anna, boris = await join(dispatcher, bot, ANNA), await join(dispatcher, bot, BORIS, "Boris")
    await anna.send("how do I cook borscht")
    await anna.click("Yes")  # the hand-off reaches the admin
    refuse.append(TelegramRetryAfter(SendMessage(chat_id=ADMIN, text="x"), "Too Many", 30))
    refuse.append(TelegramForbiddenError(SendMessage(chat_id=ADMIN, text="x"), "blocked"))
    await boris.send("what is the weather on Mars")
    await boris.click("Yes")  # told to wait 30 s: delivery pauses
    wall.now += timedelta(seconds=31)
    await bot.session.after_update()  # type: ignore[attr-defined]  # then the admin blocked us

    found = await scrape(runtime)
    assert value(found, "concierge_messages_total", outcome="sent") == 1
    assert value(found, "concierge_messages_total", outcome="blocked") == 1
    assert value(found, "concierge_telegram_retry_after_total") == 1
    assert value(found, "concierge_telegram_retry_after_seconds_total") == 30


# --- logs ----------------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the root logger writes in JSON, as `LOG_FORMAT=json` configures it."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


async def test_a_json_log_line_names_the_update_it_was_written_for(
    runtime: Runtime, clock: FakeClock, bot: Bot, log_lines: io.StringIO
) -> None:
    runtime.events_isolation = DownIsolation()
    anna = ChatClient(create_dispatcher(runtime, clock=clock), bot, ANNA)
    update = anna.message_update("/start")
    await anna.feed(update)
    assert anna.last.text == "Sorry, something went wrong on our side. Please try again."
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    [failure] = [line for line in lines if line["message"].endswith("failed")]
    assert failure["update_id"] == update["update_id"]
    assert (failure["level"], failure["logger"]) == ("ERROR", "bot.middlewares.errors")
    assert "ConnectionError" in failure["exc_info"]
    assert datetime.fromisoformat(failure["time"]).tzinfo is not None


def test_the_text_format_names_the_update_too() -> None:
    stream = io.StringIO()
    handler = log_handler("text", stream)
    record = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "hello", None, None)
    record.update_id = 42
    handler.handle(record)
    handler.handle(logging.LogRecord("bot.x", logging.INFO, __file__, 1, "quiet", None, None))
    first, second = stream.getvalue().splitlines()
    assert first.endswith(" INFO bot.x update=42: hello")
    assert second.endswith(" INFO bot.x: quiet")


def test_a_bad_log_format_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^LOG_FORMAT: "):
        load_settings(log_format="xml")
    assert load_settings(log_format="JSON").log_format == "json"
    assert load_settings().log_format == "text"
