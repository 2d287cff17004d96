"""Injected failures, the request log and the raw wire format."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiohttp import ClientSession

from bot.sandbox import SandboxServer
from tests.sandbox.conftest import TOKEN


async def started(server: SandboxServer, user_id: int = 1001) -> int:
    await server.user(user_id, f"User {user_id}").send("/start")
    return user_id


async def test_429_carries_retry_after(server: SandboxServer, bot: Bot) -> None:
    chat = await started(server)
    server.inject("sendMessage", error="429", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(chat, "hi")
    assert caught.value.retry_after == 7
    assert "Too Many Requests: retry after 7" in caught.value.message
    await bot.send_message(chat, "hi again")
    assert [m.text for m in server.user(chat, "").messages] == ["hi again"]
    assert [(e.method, e.error_code) for e in server.errors] == [("sendMessage", 429)]


async def test_500_and_403(server: SandboxServer, bot: Bot) -> None:
    chat = await started(server)
    server.inject("sendMessage", error="500", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.send_message(chat, "hi")
    server.inject("editMessageText", error="403")
    sent = await bot.send_message(chat, "hi")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.edit_message_text(text="x", chat_id=chat, message_id=sent.message_id)


async def test_dropped_connection(server: SandboxServer, bot: Bot) -> None:
    chat = await started(server)
    server.inject("sendMessage", error="drop")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(chat, "lost")
    assert server.user(chat, "").messages == []
    await bot.send_message(chat, "delivered")
    assert [c.method for c in server.calls] == ["sendMessage", "sendMessage"]
    assert server.calls[0].params["text"] == "lost"
    assert server.calls[0].params["chat_id"] == chat


async def test_fault_filtered_by_chat(server: SandboxServer, bot: Bot) -> None:
    anna, mikko = await started(server, 1001), await started(server, 2001)
    server.inject("sendMessage", error="403", chat_id=mikko)
    await bot.send_message(anna, "fine")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(mikko, "blocked")
    await bot.send_message(mikko, "fine now")


async def test_raw_wire_format(server: SandboxServer) -> None:
    chat = await started(server)
    async with ClientSession() as http:
        async with http.post(f"{server.url}/bot{TOKEN}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        body = {"chat_id": chat, "text": "json body", "reply_markup": {"inline_keyboard": []}}
        async with http.post(f"{server.url}/bot{TOKEN}/SendMessage", json=body) as response:
            payload = await response.json()
            assert payload["ok"] is True
            assert payload["result"]["text"] == "json body"
        form = {"chat_id": str(chat), "text": "form body"}
        async with http.post(f"{server.url}/bot{TOKEN}/sendMessage", data=form) as response:
            assert (await response.json())["result"]["chat"]["id"] == chat
        async with http.post(f"{server.url}/botnot-a-token/getMe") as response:
            assert response.status == 401
