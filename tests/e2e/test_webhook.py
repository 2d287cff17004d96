"""End to end in webhook mode: the sandbox pushes updates to the bot's aiohttp server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.app import create_bot, create_dispatcher, open_runtime
from bot.runners import WEBHOOK_PATH, create_web_app
from bot.sandbox import SandboxServer
from bot.settings import Settings

SECRET = "s3cret-Token_1-of-the-webhook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook_bot(settings: Settings) -> AsyncIterator[tuple[SandboxServer, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with SandboxServer() as server:
        settings = settings.model_copy(update={
            "telegram_api_url": server.url, "webhook_url": base,
            "webhook_secret": SecretStr(SECRET), "web_port": port,
        })  # fmt: skip
        runtime = await open_runtime(settings)
        bot = create_bot(settings, "123:WEBHOOK")
        app = create_web_app(runtime, bot, create_dispatcher(runtime), handle_in_background=False)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield server, base
        finally:
            await runner.cleanup()
            await runtime.close()


async def test_updates_pushed_to_the_webhook_are_answered(
    webhook_bot: tuple[SandboxServer, str],
) -> None:
    server, base = webhook_bot
    info = server.state.webhook
    assert info is not None and info.url == f"{base}{WEBHOOK_PATH}"
    anna = server.user(1001, "Anna", language_code="fi")
    await anna.send("/start")
    await server.wait_idle()
    await anna.press("Suomi")
    await server.wait_idle()
    assert anna.last.text.startswith("Hienoa, puhutaan suomea.")
    assert server.errors == []


async def test_requests_without_the_secret_are_refused(
    webhook_bot: tuple[SandboxServer, str],
) -> None:
    _, base = webhook_bot
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0,
              "chat": {"id": 5, "type": "private"}, "text": "/start"}}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(f"{base}{WEBHOOK_PATH}", json=update, headers=headers) as answer:
                assert answer.status == 401


async def test_health_and_metrics(webhook_bot: tuple[SandboxServer, str]) -> None:
    server, base = webhook_bot
    anna = server.user(1001, "Anna")
    await anna.send("/start")
    await server.wait_idle()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as answer:
            assert (answer.status, await answer.json()) == (200, {"ok": True, "database": True})
        async with http.get(f"{base}/metrics") as answer:
            assert answer.content_type == "text/plain"
            metrics = await answer.text()
    assert 'concierge_updates_total{handler="handlers.start.start"} 1.0\n' in metrics
    assert "concierge_errors_total 0.0\n" in metrics
