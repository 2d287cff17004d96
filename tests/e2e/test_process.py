"""`concierge run` as a real process: it serves the sandbox and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.sandbox import SandboxServer
from tests.e2e.conftest import until


async def test_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
            "BOT_TOKEN": "123:PROCESS",
            "TELEGRAM_API_URL": server.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
            "LOG_LEVEL": "INFO",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            anna = server.user(1001, "Anna")
            await anna.send("/start")  # waits in the sandbox until the process polls
            await until(server, lambda: bool(anna.messages), within=60)
            assert anna.last.text.startswith("Hello, Anna!")
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert "Polling stopped" in log
