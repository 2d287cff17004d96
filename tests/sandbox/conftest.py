"""Fixtures: a sandbox server, an aiogram Bot talking to it, and a tiny polling bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update

from bot.sandbox import SandboxServer

TOKEN = "123456:TEST-sandbox-token"
Handler = Callable[[Bot, Update], Awaitable[None]]


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as sandbox:
        yield sandbox


@contextlib.asynccontextmanager
async def connect(server: SandboxServer) -> AsyncIterator[Bot]:
    """An aiogram Bot whose requests go to the sandbox."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url))
    client = Bot(TOKEN, session=session)
    try:
        yield client
    finally:
        await client.session.close()


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    async with connect(server) as client:
        yield client


async def poll_forever(bot: Bot, handler: Handler) -> None:
    """Handle updates one at a time and confirm them with the next offset."""
    offset: int | None = None
    while True:
        updates = await bot.get_updates(offset=offset, timeout=5)
        for update in updates:
            with contextlib.suppress(TelegramAPIError):
                await handler(bot, update)
            offset = update.update_id + 1


@contextlib.asynccontextmanager
async def polling(bot: Bot, handler: Handler) -> AsyncIterator[None]:
    """Run `poll_forever` in the background for the duration of the block."""
    task = asyncio.create_task(poll_forever(bot, handler))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
