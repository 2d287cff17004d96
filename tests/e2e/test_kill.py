"""`concierge run` killed (SIGKILL) at the very moment it tells a person their desk is
booked: after the restart the booking is there, as the person was told."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.sandbox import SandboxServer
from bot.sandbox.client import SandboxUser
from tests.e2e.conftest import until


async def start_bot(server: SandboxServer, folder: Path) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
        "BOT_TOKEN": "123:KILLED",
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bot.db",
        "THROTTLE_RATE": "1000",
        "THROTTLE_BURST": "1000",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=folder,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def step(server: SandboxServer, user: SandboxUser, label: str) -> None:
    """Press `label` and wait for the screen it leads to."""
    before = user.last.text
    await user.press(label)
    await until(server, lambda: user.last.text != before, within=60)


async def test_a_booking_announced_at_the_moment_of_a_kill_survives_it(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        process = await start_bot(server, tmp_path)
        killed = asyncio.Event()

        def kill_at_booked(method: str, params: dict[str, Any]) -> None:
            if method.lower() == "answercallbackquery" and params.get("text") == "Booked!":
                os.kill(process.pid, signal.SIGKILL)  # before the answer reaches anyone
                killed.set()

        server.on_call(kill_at_booked)
        try:
            anna = server.user(1001, "Anna")
            await anna.send("/start")
            await until(server, lambda: bool(anna.messages), within=60)
            for label in ("English", "Book a desk", "Lappeenranta", "Earliest free day", " free"):
                await step(server, anna, label)
            await step(server, anna, "Any free desk")
            await anna.press("Confirm booking")
            await asyncio.wait_for(killed.wait(), 60)
            assert await process.wait() == -signal.SIGKILL
            with sqlite3.connect(tmp_path / "bot.db") as db:
                rows = db.execute("SELECT user_id, status FROM desk_bookings").fetchall()
            assert rows == [(1001, "active")]

            # Restarted, the bot shows the booking in My bookings.
            process = await start_bot(server, tmp_path)
            await anna.send("/start")
            await until(server, lambda: "My bookings" in anna.last.labels, within=60)
            await step(server, anna, "My bookings")
            assert "1. " in anna.last.text and "Lappeenranta" in anna.last.text
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
