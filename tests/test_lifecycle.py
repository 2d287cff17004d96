"""Start-up and shutdown: commands published best-effort, health checks, draining updates."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Runtime, create_bot, create_dispatcher, publish_commands
from bot.metrics import Metrics
from bot.runners import create_web_app
from bot.sandbox import SandboxServer
from storage.engine import create_engine


async def test_commands_that_cannot_be_published_are_logged_not_fatal(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async with SandboxServer() as server:
        bot = create_bot(runtime.settings.model_copy(update={"telegram_api_url": server.url}),
                         "123:COMMANDS")  # fmt: skip
        server.inject("setMyCommands", error="403", times=100)
        with caplog.at_level(logging.WARNING):
            await publish_commands(bot, runtime.i18n)
        await bot.session.close()
    warnings = [r.getMessage() for r in caplog.records if "could not publish" in r.getMessage()]
    assert len(warnings) == 4, "default, en, ru and fi"
    assert server.bot_commands == {}


async def test_healthz_says_when_the_database_is_unreachable(runtime: Runtime) -> None:
    unreachable = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/nothing")
    broken = replace(runtime, engine=unreachable)
    bot = create_bot(runtime.settings, "123:HEALTH")
    app = create_web_app(broken, bot, create_dispatcher(broken))
    app.on_startup.clear()  # no Telegram to announce the webhook to
    app.on_shutdown.clear()
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/healthz")
        assert (answer.status, await answer.json()) == (503, {"ok": False, "database": False})
    await bot.session.close()
    await unreachable.dispose()


async def test_shutdown_waits_for_updates_in_flight() -> None:
    metrics = Metrics()
    assert await metrics.drained(grace=0)
    metrics.started()
    assert not await metrics.drained(grace=0.01)
    assert metrics.registry.get_sample_value("concierge_updates_in_flight") == 1
    metrics.finished()
    assert await metrics.drained(grace=0)


async def test_the_conversation_storage_closes_only_after_the_updates_in_flight_end(
    runtime: Runtime,
) -> None:
    dispatcher = create_dispatcher(runtime)
    storage, closed = dispatcher.fsm.storage, asyncio.Event()
    close = storage.close

    async def recorded_close() -> None:
        closed.set()
        await close()

    storage.close = recorded_close  # type: ignore[method-assign]
    runtime.metrics.started()  # an update is being handled (its chat lock is in Redis)
    shutdown = asyncio.create_task(dispatcher.emit_shutdown(**dispatcher.workflow_data))
    for _ in range(20):  # let the shutdown run as far as it can without the update ending
        await asyncio.sleep(0)
    assert not closed.is_set() and not shutdown.done()
    runtime.metrics.finished()
    await shutdown
    assert closed.is_set()
