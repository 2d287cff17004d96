"""`concierge run` killed (SIGKILL) the moment an admin closes a busy day: the closure and
its messages were committed together, so after the restart everyone booked is told, once.

What a user would notice: five people booked a desk in Lappeenranta for the same day. The
admin closes it with /close_day; the bot dies as it answers him, before any of the five has
heard a word. Restarted, the bot tells each of the five, exactly once, that the place is
closed and their booking is cancelled.

The kill comes at the first of two moments, whichever the bot reaches first: the admin's
"people to be told: 5" answer (it reaches him: it was on its way), or the first closed-day
notice (it never does). From the kill on, nothing more the dead process sends reaches the
sandbox Telegram: a request of it that was on its way but not yet read counts as never sent
(had it got through, Telegram would have delivered it and a second copy after the restart
would be the honest price of a crash in mid-send, not what this test is about).
"""

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

ADMIN = 9001
PEOPLE = {1001: "Anna", 1002: "Boris", 1003: "Chen", 1004: "Dana", 1005: "Emil"}
CLOSED = "is closed on"  # in the closed-day notice, and only there
TOLD = "people to be told: 5"


async def start_bot(server: SandboxServer, folder: Path) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
        "BOT_TOKEN": "123:KILLED",
        "TELEGRAM_API_URL": server.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/bot.db",
        "ADMIN_IDS": str(ADMIN),
        "DELIVERY_LEASE_SECONDS": "2",  # what the killed process had claimed is free soon
        "THROTTLE_RATE": "1000",
        "THROTTLE_BURST": "1000",
    }
    with (folder / "bot.log").open("ab") as log:  # each run's log, kept for a failure
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=folder,
            stdout=log, stderr=log,
        )  # fmt: skip


async def step(server: SandboxServer, user: SandboxUser, label: str) -> None:
    """Press `label` and wait for the screen it leads to."""
    before = user.last.text
    await user.press(label)
    await until(server, lambda: user.last.text != before, within=60)


async def join(server: SandboxServer, user: SandboxUser) -> None:
    await user.send("/start")
    await until(server, lambda: bool(user.messages), within=60)
    await step(server, user, "English")


async def book_earliest_day(server: SandboxServer, user: SandboxUser) -> None:
    await join(server, user)
    for label in ("Book a desk", "Lappeenranta", "Earliest free day", " free", "Any free desk"):
        await step(server, user, label)
    await user.press("Confirm booking")
    await until(server, lambda: "Your desk is booked!" in user.last.text, within=60)


def closed_notices(user: SandboxUser) -> list[str]:
    return [m.text for m in user.messages if CLOSED in m.text]


def query(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(folder / "bot.db") as db:
        return db.execute(sql).fetchall()


async def recorded_as_sent(folder: Path, count: int) -> None:
    """Wait until the engine has recorded `count` closed-day notices as sent (it does so
    just after Telegram answers; the sandbox cannot see that write, so the file is looked at)."""
    sql = "SELECT count(*) FROM outbox WHERE kind = 'desk.closed' AND state = 'sent'"
    async with asyncio.timeout(30):
        while query(folder, sql) != [(count,)]:  # noqa: ASYNC110 - a file, not an event
            await asyncio.sleep(0.05)
    assert query(folder, "SELECT count(*) FROM outbox WHERE kind = 'desk.closed'") == [(count,)]


async def test_a_busy_day_closed_at_the_moment_of_a_kill_is_told_after_the_restart_once(
    tmp_path: Path,
) -> None:
    async with SandboxServer() as server:
        process = await start_bot(server, tmp_path)
        killed_at: list[str] = []  # "answer" or "notice": what the bot was saying when killed
        dead = False  # from the kill until the restart

        def kill_as_the_closure_is_told(method: str, params: dict[str, Any]) -> None:
            nonlocal dead
            text, chat = str(params.get("text") or ""), params.get("chat_id")
            if dead:  # nothing more of the killed process gets across
                server.inject(method, error="drop", chat_id=chat)
            elif killed_at:  # the restarted process: heard as usual
                pass
            elif str(chat) == str(ADMIN) and TOLD in text:
                os.kill(process.pid, signal.SIGKILL)  # the answer itself was on its way
                dead = True
                killed_at.append("answer")
            elif method.lower() == "sendmessage" and CLOSED in text:
                os.kill(process.pid, signal.SIGKILL)
                dead = True
                server.inject(method, error="drop", chat_id=chat)  # never sent
                killed_at.append("notice")

        people = {user_id: server.user(user_id, name) for user_id, name in PEOPLE.items()}
        try:
            for person in people.values():
                await book_earliest_day(server, person)
            [(day, place)] = query(
                tmp_path, "SELECT DISTINCT day, location_id FROM desk_bookings"
            )  # everyone on the same day, at the same place

            olga = server.user(ADMIN, "Olga")
            await join(server, olga)
            await olga.send(f"/close_day {day} Water leak")
            await until(server, lambda: "Which location closes on" in olga.last.text, within=60)
            await step(server, olga, "Lappeenranta")
            assert "Bookings to cancel: 5." in olga.last.text
            server.on_call(kill_as_the_closure_is_told)
            await olga.press("Close and notify")
            await until(server, lambda: bool(killed_at), within=60)
            assert await process.wait() == -signal.SIGKILL

            # The closure, the cancelled bookings and a message for each were committed
            # together; none of the messages reached anyone.
            assert query(tmp_path, "SELECT location_id, day FROM closed_days") == [(place, day)]
            assert query(tmp_path, "SELECT DISTINCT status FROM desk_bookings") == [("cancelled",)]
            rows = query(tmp_path, "SELECT chat_id, kind, state FROM outbox ORDER BY chat_id")
            closing = [(chat, state) for chat, kind, state in rows if kind == "desk.closed"]
            assert [chat for chat, _state in closing] == sorted(PEOPLE)
            assert {state for _chat, state in closing} <= {"pending", "sending"}
            assert all(closed_notices(person) == [] for person in people.values())

            # Restarted, the bot tells each of them once.
            await until(server, lambda: server.busy_reason() is None, within=60)
            dead = False  # from here on, the restarted process is heard
            process = await start_bot(server, tmp_path)
            everyone_told = lambda: all(closed_notices(p) for p in people.values())  # noqa: E731
            await until(server, everyone_told, within=60)
            await until(server, lambda: server.busy_reason() is None, within=60)
            await recorded_as_sent(tmp_path, len(PEOPLE))  # nothing left to send again
            for person in people.values():
                [notice] = closed_notices(person)
                assert "Water leak" in notice and "Your booking is cancelled" in notice
            if killed_at == ["answer"]:  # killed as the answer went out: it got there
                assert TOLD in olga.last.text
            else:  # killed before it went out: the admin saw the confirm screen last
                assert "Bookings to cancel: 5." in olga.last.text
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
