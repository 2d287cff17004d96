"""End to end: the bot polls the sandbox over real HTTP and chats with several people."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.app import Runtime
from bot.sandbox import SandboxServer
from storage.users import User


async def test_three_people_chat_at_once_each_in_their_language(
    live: tuple[SandboxServer, Runtime],
) -> None:
    server, _ = live
    people = {
        "English": server.user(1001, "Anna", language_code="en"),
        "Русский": server.user(1002, "Ivan", language_code="ru"),
        "Suomi": server.user(1003, "Mikko", language_code="fi"),
    }
    await asyncio.gather(*(person.send("/start") for person in people.values()))
    await server.wait_idle()
    await asyncio.gather(*(person.press(language) for language, person in people.items()))
    await server.wait_idle()
    await asyncio.gather(*(person.send("/help") for person in people.values()))
    await server.wait_idle()

    assert people["English"].last.text.startswith("How I can help")
    assert people["Русский"].last.text.startswith("Чем я могу помочь")
    assert people["Suomi"].last.text.startswith("Näin voin auttaa")
    assert [row[0][0] for row in people["Suomi"].last.buttons] == [
        "Esitä kysymys", "Varaa valmentaja", "Omat varaukset"
    ]  # fmt: skip
    assert server.errors == []


async def test_commands_are_published_in_every_language(
    live: tuple[SandboxServer, Runtime],
) -> None:
    server, _ = live
    anna = server.user(1001, "Anna")
    await anna.send("/start")
    await server.wait_idle()
    described = {
        language: {c["command"]: c["description"] for c in commands}
        for (_scope, language), commands in server.bot_commands.items()
    }
    assert described[""]["language"] == "Change language"
    assert described["ru"]["cancel"] == "Прервать текущее действие"
    assert described["fi"]["help"] == "Mitä osaan"


async def test_a_person_who_blocked_the_bot_is_marked_and_welcomed_back(
    live: tuple[SandboxServer, Runtime],
) -> None:
    server, runtime = live
    anna = server.user(1001, "Anna")
    await anna.send("/start")
    await server.wait_idle()
    server.inject("sendMessage", error="403", chat_id=1001)  # blocked while /help was on its way
    await anna.send("/help")
    await server.wait_idle()
    async with runtime.factory() as session:
        blocked_at = (await session.execute(select(User.blocked_at))).scalar_one()
    assert blocked_at is not None
    assert [e.error_code for e in server.errors] == [403]

    await anna.send("/start")
    await server.wait_idle()
    assert anna.last.text.startswith("Hello, Anna!")
    async with runtime.factory() as session:
        assert (await session.execute(select(User.blocked_at))).scalar_one() is None


async def test_rate_limits_and_server_errors_are_retried_and_nothing_is_lost(
    live: tuple[SandboxServer, Runtime],
) -> None:
    server, _ = live
    anna = server.user(1001, "Anna")
    server.inject("sendMessage", error="429", retry_after=1)
    server.inject("sendMessage", error="500")
    await anna.send("/start")
    await server.wait_idle(timeout=20)
    assert anna.last.text.startswith("Hello, Anna!")
    assert len(anna.messages) == 1
    assert [e.error_code for e in server.errors] == [429, 500]


async def test_a_dropped_connection_is_retried(live: tuple[SandboxServer, Runtime]) -> None:
    server, _ = live
    anna = server.user(1001, "Anna")
    server.inject("sendMessage", error="drop")
    await anna.send("/start")
    await server.wait_idle(timeout=20)
    assert anna.last.text.startswith("Hello, Anna!")
