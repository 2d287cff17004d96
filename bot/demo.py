"""`concierge demo`: the real bot against the local sandbox Telegram, chatted with in a terminal."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher

from bot.app import Runtime, create_bot, create_dispatcher, open_runtime
from bot.runners import poll
from bot.sandbox.chat import TerminalChat
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from bot.service import delivering
from bot.settings import Settings
from content.coaches import COACHES_FILE
from content.events import EVENTS_FILE
from content.library import Library
from scheduler.broadcasts import run_broadcasts
from scheduler.coaching import expire_coaching
from scheduler.desks import expire_desk_offers, release_no_shows
from storage.base import WallClock, utcnow
from storage.engine import unit_of_work
from storage.users import Profile, set_roles, touch

DEMO_TOKEN = "123456789:SANDBOX-demo-token"
DEMO_FILES = "concierge-demo-files"  # in the system's temporary folder


@dataclass(frozen=True)
class Persona:
    role: str
    user_id: int
    first_name: str
    language_code: str


PERSONAS = (
    Persona("entrepreneur", 1001, "Anna", "en"),
    Persona("coach", 2001, "Mikko", "fi"),
    Persona("admin", 3001, "Olga", "ru"),
)


class _ErrorCounter(logging.Handler):
    """Counts what the bot logged as errors, so a scripted demo can fail on them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class DemoClock:
    """The date and time the demo's bot lives in: now, until `/clock` moves it (to see a
    reminder the evening before, or a desk released at the check-in deadline)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def move_to(self, moment: datetime) -> None:
        self.offset = moment - utcnow()


@asynccontextmanager
async def sandboxed_bot(
    settings: Settings,
    library: Library | None = None,
    *,
    as_in_production: bool = False,
    clock: WallClock = utcnow,
) -> AsyncIterator[tuple[SandboxServer, Runtime]]:
    """The sandbox, and the bot polling it over HTTP until the block ends.

    By default one update at a time with the SQL conversation storage, so the sandbox knows
    exactly when the bot has finished answering; `as_in_production` polls as `concierge run`
    does (updates handled as tasks under the concurrency limit, the settings' Redis). `clock`
    is the date and time the bot and its delivery engine obey.
    """
    async with SandboxServer() as server:
        update: dict[str, object] = {"telegram_api_url": server.url, "webhook_url": None}
        if not as_in_production:
            update["redis_url"] = None
        settings = settings.model_copy(update=update)
        runtime = await open_runtime(settings, library)
        bot = create_bot(settings, DEMO_TOKEN)
        dispatcher = create_dispatcher(runtime, wall_clock=clock)
        loop = (
            poll(runtime, bot, dispatcher, handle_signals=False)
            if as_in_production
            else _poll(dispatcher, bot)
        )
        try:
            async with delivering(runtime, settings, DEMO_TOKEN, clock) as delivery:
                server.busy_checks.append(lambda: None if delivery.idle else "delivering")
                polling = asyncio.create_task(loop)
                try:
                    yield server, runtime
                finally:
                    if not polling.done():
                        await dispatcher.stop_polling()
                    await polling
        finally:
            await bot.session.close()
            await runtime.close()


async def _poll(dispatcher: Dispatcher, bot: Bot) -> None:
    # One update at a time, so the sandbox knows exactly when the bot has finished answering.
    await dispatcher.start_polling(
        bot, handle_as_tasks=False, handle_signals=False, polling_timeout=1
    )


async def seed(runtime: Runtime) -> None:
    """The demo's coach is a coach. Nobody else is written: the admin is one by ADMIN_IDS, and
    like everyone is known to the bot from their first message (until then, as on Telegram, the
    bot cannot write to them)."""
    coach = next(p for p in PERSONAS if p.role == "coach")
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(coach.user_id, coach.first_name, None, None), is_admin=False)
        await set_roles(session, coach.user_id, is_coach=True)


async def run_demo(settings: Settings, script: list[str] | None = None) -> int:
    """Chat in the terminal, or play `script` (one action a line); the exit code."""
    errors = _ErrorCounter()
    logging.getLogger().addHandler(errors)
    with tempfile.TemporaryDirectory(prefix="concierge-demo-") as folder:
        admin_ids = settings.admin_ids | {p.user_id for p in PERSONAS if p.role == "admin"}
        demo_settings = settings.model_copy(
            update={
                "database_url": f"sqlite+aiosqlite:///{folder}/demo.db",
                "admin_ids": admin_ids,
                # a script types faster than any person: no flood control in the demo
                "throttle_rate": 1000.0,
                "throttle_burst": 1000,
                # the sample coaches, unless the demo is pointed at other ones
                "coaches_file": settings.coaches_file or COACHES_FILE,
                "events_file": settings.events_file or EVENTS_FILE,
            }
        )
        clock = DemoClock()
        async with sandboxed_bot(demo_settings, clock=clock) as (server, runtime):
            await seed(runtime)

            async def move_clock(moment: datetime) -> None:
                """What a running bot would do at that moment: its jobs run (desks, coaching,
                broadcasts), and the delivery engine looks at once at what has fallen due."""
                clock.move_to(moment)
                await expire_desk_offers(runtime.factory, runtime.places, clock)
                await release_no_shows(runtime.factory, runtime.places, clock)
                await expire_coaching(runtime.factory, clock)
                await run_broadcasts(runtime.factory, clock)
                runtime.doorbell.ring()

            people: dict[str, SandboxUser] = {
                p.role: server.user(p.user_id, p.first_name, language_code=p.language_code)
                for p in PERSONAS
            }
            if script is None:
                chat = TerminalChat(  # numbered, so that [M.N] can name any earlier message
                    server,
                    people,
                    numbered=True,
                    files=Path(tempfile.gettempdir()) / DEMO_FILES,
                    clock=(clock, move_clock),
                )
                await chat.run_interactive()
                code = 0
            else:
                chat = TerminalChat(server, people, clock=(clock, move_clock))
                code = await chat.run_script(script)
    if errors.count:
        print(f"concierge demo: the bot logged {errors.count} error(s)", file=sys.stderr)
        return code or 1
    return code
