"""The real bot polling the sandbox Telegram over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import Runtime
from bot.demo import sandboxed_bot
from bot.sandbox import SandboxServer
from bot.settings import Settings
from content.library import Library, Shelf


@pytest.fixture
async def live(settings: Settings, shelf: Shelf) -> AsyncIterator[tuple[SandboxServer, Runtime]]:
    async with sandboxed_bot(settings, Library(shelf, shelf.knowledge.source)) as (server, runtime):
        yield server, runtime


async def until(server: SandboxServer, condition: Callable[[], bool], within: float = 10) -> None:
    """Wait for the sandbox to reach `condition` (woken by its changes, not by polling)."""
    async with asyncio.timeout(within):
        while not condition():
            await server.state.wait_change(within)
