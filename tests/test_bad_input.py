"""Bad input gets a clear answer and loses nothing: odd content, forged buttons, floods."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from sqlalchemy import text

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient
from handlers.ui.callbacks import MenuAction, MenuCB
from tests.conftest import FakeClock

Person = Callable[..., ChatClient]

STICKER = {
    "file_id": "s1",
    "file_unique_id": "u1",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "type": "regular",
}
PHOTO = [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]
VOICE = {"file_id": "v1", "file_unique_id": "u3", "duration": 3}
LOCATION = {"latitude": 61.05, "longitude": 28.19}


@pytest.mark.parametrize(
    "content",
    [{"sticker": STICKER}, {"photo": PHOTO}, {"voice": VOICE}, {"location": LOCATION}],
    ids=["sticker", "photo", "voice", "location"],
)
async def test_unsupported_content_gets_a_polite_hint(person: Person, content: dict) -> None:
    olga = person(11, language_code="ru")
    await olga.send(**content)
    assert olga.last.text.startswith("Извините, я понимаю только текст и нажатия кнопок.")


async def test_a_10_kb_message_is_answered_without_echoing_it(person: Person) -> None:
    anna = person(12)
    await anna.send("x" * 10_240)  # one "word" the knowledge base does not know
    assert anna.last.text.startswith("What would you like to know?")
    await anna.send("Could you recommend a good dentist near the river? " * 200)
    assert anna.last.text.startswith("Sorry, I don't know the answer to that")
    assert "xxxx" not in anna.last.text and "dentist" not in anna.last.text


@pytest.mark.parametrize(
    "data",
    ["lang:de", "m:nonsense", "totally-unknown", "lang:", "m:settings:extra:fields", "😀" * 16],
)
async def test_forged_buttons_are_refused_with_a_clear_message(person: Person, data: str) -> None:
    anna = person(13)
    await anna.send("/start")
    await anna.press_data(data)
    assert anna.toasts[-1] == (
        "This button is no longer valid. Please send /start to open the menu again."
    )


async def test_an_old_menu_button_still_works_after_the_language_changed(person: Person) -> None:
    anna = person(14)
    await anna.send("/start")
    await anna.click("English")
    old_menu = anna.last
    await anna.send("/language")
    await anna.click("Suomi")
    await anna.click("Settings", message=old_menu)
    assert anna.recorded.messages[old_menu.message_id].text == "<b>Asetukset</b>"


async def test_a_flood_is_throttled_and_other_users_are_still_served(
    person: Person, clock: FakeClock
) -> None:
    clock.step = 0.0  # twenty messages within the same instant
    flooder, other = person(15), person(16)
    for n in range(20):
        await flooder.send(f"message {n}")
    answers = [m.text for m in flooder.messages]
    assert answers.count("You are sending messages too fast. Please wait a moment.") == 1
    assert len(answers) <= 6
    await other.send("/start")
    assert other.last.text.startswith("Hello, Anna!")
    clock.advance(2.0)
    await flooder.send("/help")
    assert flooder.last.text.startswith("<b>How I can help</b>")


async def lose_the_users_table(runtime: Runtime) -> None:
    """Every update touches `users`: without it each one fails inside the database."""
    cascade = " CASCADE" if runtime.engine.dialect.name == "postgresql" else ""
    async with runtime.engine.begin() as connection:
        await connection.execute(text(f"DROP TABLE faq_questions{cascade}"))
        await connection.execute(text(f"DROP TABLE users{cascade}"))


async def test_a_database_failure_is_answered_politely_and_logged(
    person: Person, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    anna = person(17, language_code="fi")
    await lose_the_users_table(runtime)
    with caplog.at_level(logging.ERROR):
        await anna.send("/start")
    assert anna.last.text == "Pahoittelut, meillä meni jotain pieleen. Yritä uudelleen."
    assert any("update" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)


async def test_a_failing_button_answers_the_callback_with_an_alert(
    person: Person, runtime: Runtime, dispatcher: Dispatcher
) -> None:
    anna = person(18)
    await anna.send("/start")
    await lose_the_users_table(runtime)
    dispatcher["directory"].forget(18)
    await anna.click("English")
    assert anna.toasts[-1] == "Sorry, something went wrong on our side. Please try again."


class DownIsolation(BaseEventIsolation):
    """A per-chat lock whose store is unreachable (Redis down, its pool exhausted)."""

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        yield  # pragma: no cover - a context manager that never enters

    async def close(self) -> None:
        return None


async def test_a_failing_chat_lock_is_still_answered(
    runtime: Runtime, clock: FakeClock, bot: Bot
) -> None:
    runtime.events_isolation = DownIsolation()
    anna = ChatClient(create_dispatcher(runtime, clock=clock), bot, 1001)
    await anna.send("/start")
    assert anna.last.text == "Sorry, something went wrong on our side. Please try again."
    await anna.press_data(MenuCB(action=MenuAction.SETTINGS).pack(), anna.last)
    assert anna.toasts[-1] == "Sorry, something went wrong on our side. Please try again."
    assert runtime.metrics.errors_total == 2
