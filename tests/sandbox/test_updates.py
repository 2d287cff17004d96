"""Long polling, webhooks and idle detection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiogram.types import Update
from aiohttp import MultipartWriter, web

from bot.sandbox import SandboxServer
from tests.sandbox.conftest import connect, polling

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HookHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def echo(bot: Bot, update: Update) -> None:
    if update.message is not None and update.message.text:
        await bot.send_message(update.message.chat.id, f"echo: {update.message.text}")


async def serve(handler: HookHandler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


async def test_long_polling_confirms_with_offset(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    await anna.send("one")
    await anna.send("two")
    first = await bot.get_updates(timeout=5)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    assert len(await bot.get_updates(limit=1)) == 1
    rest = await bot.get_updates(offset=first[0].update_id + 1, timeout=5)
    assert [u.message.text for u in rest if u.message] == ["two"]
    assert (await bot.get_webhook_info()).pending_update_count == 1
    waiting = asyncio.create_task(bot.get_updates(offset=first[1].update_id + 1, timeout=30))
    await anna.send("three")
    woken = await waiting
    assert [u.message.text for u in woken if u.message] == ["three"]
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert server.updates_total == 3


async def test_empty_poll_returns_after_timeout(server: SandboxServer, bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == []
    assert await bot.get_updates(timeout=1) == []


async def test_wait_idle_follows_a_polling_bot(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    async with polling(bot, echo):
        for text in ("a", "b", "c"):
            await anna.send(text)
        await server.wait_idle()
        assert [m.text for m in anna.messages] == ["echo: a", "echo: b", "echo: c"]
        await anna.send("d")
        await server.wait_idle(settle=0.01)
        assert anna.last.text == "echo: d"


async def test_update_counts_as_processed_only_after_the_next_offset(
    server: SandboxServer, bot: Bot
) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow(bot: Bot, update: Update) -> None:
        entered.set()
        await release.wait()
        await echo(bot, update)

    anna = server.user(1001, "Anna")
    async with polling(bot, slow):
        await anna.send("hello")
        await entered.wait()
        with pytest.raises(TimeoutError, match=r"1 update\(s\) not processed"):
            await server.wait_idle(timeout=0.05)
        release.set()
        await server.wait_idle()
        assert anna.last.text == "echo: hello"


async def test_wait_idle_explains_a_missing_bot(server: SandboxServer) -> None:
    await server.user(1001, "Anna").send("anyone?")
    with pytest.raises(TimeoutError, match="no getUpdates request arrived yet"):
        await server.wait_idle(timeout=0.05)


async def test_webhook_push_secret_and_replies(server: SandboxServer, bot: Bot) -> None:
    anna = server.user(1001, "Anna")
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.StreamResponse:
        update = await request.json()
        received.append((request.headers.get(SECRET_HEADER), update))
        text = update.get("message", {}).get("text")
        if text == "json":
            return web.json_response({"method": "sendMessage", "chat_id": anna.id, "text": "pong"})
        if text == "form":
            writer = MultipartWriter("form-data")
            for name, value in (("method", "sendMessage"), ("chat_id", str(anna.id))):
                writer.append(value).set_content_disposition("form-data", name=name)
            writer.append("from form").set_content_disposition("form-data", name="text")
            return web.Response(body=writer)
        return web.Response()

    runner, url = await serve(hook)
    try:
        assert await bot.set_webhook(url, secret_token="s3cret")
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(TelegramConflictError, match="can't use getUpdates method while"):
            await bot.get_updates()
        for text in ("json", "plain", "form"):
            await anna.send(text)
        await server.wait_idle()
        assert [secret for secret, _ in received] == ["s3cret"] * 3
        assert [m.text for m in anna.messages] == ["pong", "from form"]
        assert [c.source for c in server.calls if c.method == "sendMessage"] == ["webhook"] * 2
        assert await bot.delete_webhook()
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()


async def test_failing_webhook_keeps_the_update() -> None:
    hits: list[int] = []
    retried = asyncio.Event()

    async def broken(request: web.Request) -> web.StreamResponse:
        hits.append((await request.json())["update_id"])
        if len(hits) >= 2:
            retried.set()
        return web.Response(status=500)

    runner, url = await serve(broken)
    async with SandboxServer(webhook_retry_delay=0.01) as server, connect(server) as bot:
        try:
            await bot.set_webhook(url)
            await server.user(1001, "Anna").send("hi")
            await retried.wait()
            assert hits[0] == hits[1]
            info = await bot.get_webhook_info()
            assert info.pending_update_count == 1
            assert info.last_error_message == (
                "Wrong response from the webhook: 500 Internal Server Error"
            )
            with pytest.raises(TimeoutError, match="last error: Wrong response"):
                await server.wait_idle(timeout=0.05)
            await bot.delete_webhook(drop_pending_updates=True)
            await server.wait_idle()
        finally:
            await runner.cleanup()
