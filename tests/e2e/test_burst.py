"""Bursts through the production polling loop (updates handled as tasks, Redis conversation
storage on the PostgreSQL run): every update is answered, none is dropped."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from bot.app import Runtime
from bot.demo import sandboxed_bot
from bot.sandbox import SandboxServer
from bot.settings import Settings
from content.library import Library, Shelf
from handlers.ui.callbacks import MenuAction, MenuCB
from tests.e2e.conftest import until

QUESTIONS = ("When is the Oasis open?", "Mikä on ohjelma?", "Как забронировать место?")


def production_polling(
    settings: Settings, shelf: Shelf
) -> AbstractAsyncContextManager[tuple[SandboxServer, Runtime]]:
    library = Library(shelf, shelf.knowledge.source)
    return sandboxed_bot(settings, library, as_in_production=True)


async def test_a_hundred_people_asking_three_questions_at_once_get_300_answers(
    settings: Settings, shelf: Shelf
) -> None:
    async with production_polling(settings, shelf) as (server, runtime):
        people = [server.user(10_000 + n, f"P{n}", language_code="en") for n in range(100)]
        # All 300 wait in the sandbox before the first getUpdates takes them.
        for question in QUESTIONS:
            for person in people:
                await person.send(question)
        await until(
            server, lambda: all(len(p.messages) == len(QUESTIONS) for p in people), within=120
        )
        await server.wait_idle(30)
    answers = sum(len(p.messages) for p in people)
    assert answers == 300
    assert not any("something went wrong" in m.text for p in people for m in p.messages)
    assert runtime.metrics.errors_total == 0


async def test_one_person_pressing_200_buttons_gets_an_answer_to_every_press(
    settings: Settings, shelf: Shelf
) -> None:
    async with production_polling(settings, shelf) as (server, _runtime):
        anna = server.user(1001, "Anna")
        await anna.send("/start")
        await until(server, lambda: bool(anna.messages), within=30)
        await server.wait_idle(30)
        message_id = anna.last.message_id
        settings_button = MenuCB(action=MenuAction.SETTINGS).pack()
        presses = [await anna.click(message_id, settings_button) for _ in range(200)]
        await until(
            server, lambda: all(anna.answer_for(p) is not None for p in presses), within=120
        )
        await server.wait_idle(30)
    assert all(anna.answer_for(press) is not None for press in presses)
