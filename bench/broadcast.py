"""A broadcast to N recipients (10,000) through the sandbox Telegram at the configured rate.

Run: python -m bench.broadcast [--mode live|kill|all] [--recipients N] [--rate R]
     [--lease S] [--backends sqlite,postgresql]

- live: the engine runs its real loop in this process beside the bot's dispatcher. 1% of the
  recipients blocked the bot (403), 1% never started it ("chat not found"), three 429s
  (retry_after 1 s) are injected along the way. Meanwhile a person who is not in the audience
  asks the bot a question every half second; the time from the update to the bot's answer is
  the interactive latency. Reported: the achieved rate against the configured one (over the
  copies Telegram accepted, from the first to the last), duplicates and misses per recipient,
  and the interactive latency p50/p99/max.
- kill: the engine in a process of its own (bench.delivery_engine, lease `--lease`) killed -9
  once half the copies are accepted, then a fresh one: duplicates (each one a copy the dead
  engine had sent but not recorded: its in-flight window) and misses.

The recipients are in three languages (en, ru, fi) and the broadcast has an English and a
Russian variant: a Finnish speaker gets the English one. SQLite always, PostgreSQL too when
TEST_DATABASE_URL is set (its schema is reset first). The last line is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections import Counter
from typing import Any

from aiogram.types import Update

from bench.delivery import (
    FIRST_CHAT,
    EngineProcess,
    People,
    Recorder,
    backends,
    fresh_database,
    open_bench_runtime,
    populate,
    wait_outbox_done,
)
from bot.app import Runtime, create_bot, create_dispatcher
from bot.sandbox import SandboxServer
from scheduler.delivery import Delivery
from scheduler.messages import bounces, renderers
from storage.base import utcnow
from storage.broadcasts import sending
from storage.broadcasts.audience import Audience, Kind
from storage.engine import unit_of_work
from storage.users import User

VARIANTS = {
    "en": {"html": "<b>Open doors</b> at the Oasis on Friday", "media": None},
    "ru": {"html": "<b>День открытых дверей</b> в Оазисе в пятницу", "media": None},
}
MARKERS = ("Open doors", "День открытых дверей")
ASKER = 900_000  # asks questions during the broadcast; not in its audience
LOCALES = ("en", "ru", "fi")


async def add_recipients(runtime: Runtime, people: People) -> None:
    """Everyone the sandbox knows (blocked and gone ones too) as users of the bot."""
    chats = sorted([*people.reachable, *people.blocked, *people.gone])
    now = utcnow()
    rows = [
        {
            "id": chat,
            "first_name": f"P{n}",
            "locale": LOCALES[n % 3],
            "is_admin": False,
            "is_coach": False,
            "created_at": now,
            "last_seen_at": now,
        }
        for n, chat in enumerate(chats)
    ]
    async with unit_of_work(runtime.factory) as session:
        for start in range(0, len(rows), 2000):
            await session.execute(User.__table__.insert(), rows[start : start + 2000])


async def launch(runtime: Runtime) -> int:
    async with unit_of_work(runtime.factory) as session:
        now = utcnow()
        broadcast = await sending.create(
            session,
            FIRST_CHAT,
            variants=VARIANTS,
            default_locale="en",
            button=None,
            audience=Audience(Kind.EVERYONE),
            scheduled_at=now,
        )
        await sending.launch_due(session, now, only=broadcast.id)
        return broadcast.total


def copies(recorder: Recorder) -> tuple[Counter[int], list[float]]:
    """How many copies each chat accepted, and when each was accepted."""
    per_chat: Counter[int] = Counter()
    times = []
    for moment, chat, text in recorder.accepted:
        if any(marker in text for marker in MARKERS):
            per_chat[chat] += 1
            times.append(moment)
    return per_chat, times


def tally(recorder: Recorder, people: People, rate: float) -> dict[str, Any]:
    per_chat, times = copies(recorder)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    achieved = (len(times) - 1) / span if span else None
    reachable = set(people.reachable)
    return {
        "recipients": len(people.reachable) + len(people.blocked) + len(people.gone),
        "reachable": len(reachable),
        "accepted": len(times),
        "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
        "misses": len(reachable - set(per_chat)),
        "configured_rate": rate,
        "achieved_rate": round(achieved, 2) if achieved else None,
        "rate_ratio": round(achieved / rate, 3) if achieved else None,
        "seconds": round(span, 1),
    }


async def live(url: str, recipients: int, rate: float) -> dict[str, Any]:
    database = await fresh_database(url, "live")
    async with SandboxServer() as server:
        people = populate(server, recipients)
        recorder = Recorder(server)
        every = recipients // 4
        recorder.inject_along({every: "429", 2 * every: "429", 3 * every: "429"})
        runtime = await open_bench_runtime(database, server.url)
        asker = server.user(ASKER, "Asker")
        server.state.chat_of(asker.info)
        bot = create_bot(runtime.settings)
        engine_bot = create_bot(runtime.settings, retrying=False)
        dispatcher = create_dispatcher(runtime)
        delivery = Delivery(
            runtime.factory,
            engine_bot,
            runtime.i18n,
            renderers(runtime.places, runtime.library),
            rate=rate,
            bounces=bounces(),
        )
        latencies: list[float] = []
        try:
            await add_recipients(runtime, people)
            total = await launch(runtime)
            task = asyncio.create_task(delivery.run(runtime.doorbell))
            update_id = 1
            message = {"chat": {"id": ASKER, "type": "private"}, "from": asker.info.wire()}
            done = asyncio.Event()

            async def ask() -> None:
                nonlocal update_id
                while not done.is_set():
                    update_id += 1
                    update = Update.model_validate(
                        {
                            "update_id": update_id,
                            "message": {
                                **message,
                                "message_id": update_id,
                                "date": int(time.time()),
                                "text": "how do I book a desk in the oasis",
                            },
                        }
                    )
                    started = time.perf_counter()
                    await dispatcher.feed_update(bot, update)
                    latencies.append(time.perf_counter() - started)
                    await asyncio.sleep(0.5)

            asking = asyncio.create_task(ask())
            started = time.perf_counter()
            await wait_outbox_done(runtime, recipients / rate * 3 + 120)
            elapsed = time.perf_counter() - started
            done.set()
            await asking
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        finally:
            await bot.session.close()
            await engine_bot.session.close()
            await runtime.close()
    ordered = sorted(latencies)
    return {
        "launched": total,
        **tally(recorder, people, rate),
        "wall_seconds": round(elapsed, 1),
        "interactive": {
            "asked": len(ordered),
            "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
            "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1) if ordered else None,
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        },
    }


async def kill(url: str, recipients: int, rate: float, lease: float) -> dict[str, Any]:
    database = await fresh_database(url, "kill")
    async with SandboxServer() as server:
        people = populate(server, recipients)
        recorder = Recorder(server)
        runtime = await open_bench_runtime(database, server.url)
        running: list[EngineProcess] = []
        killed = asyncio.Event()
        half = len(people.reachable) // 2

        def kill_at_half(_accepted: int) -> None:
            if len(copies(recorder)[1]) >= half and not killed.is_set():
                running[0].kill()
                killed.set()

        try:
            await add_recipients(runtime, people)
            await launch(runtime)
            recorder.on_accept = kill_at_half
            running.append(
                await EngineProcess.start(
                    database, server.url, rate=rate, lease=lease, batch=200, redis=None
                )
            )
            await asyncio.wait_for(killed.wait(), recipients / rate * 3 + 60)
            await running[0].process.wait()
            at_kill = len(copies(recorder)[1])
            running.append(
                await EngineProcess.start(
                    database, server.url, rate=rate, lease=lease, batch=200, redis=None
                )
            )
            await wait_outbox_done(runtime, recipients / rate * 3 + 120)
        finally:
            for process in running:
                await process.stop()
            await runtime.close()
    return {"accepted_at_kill": at_kill, "lease_s": lease, **tally(recorder, people, rate)}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, url in backends(folder, args.backends.split(",")).items():
            if args.mode in ("live", "all"):
                result = await live(url, args.recipients, args.rate)
                print(name, "live", json.dumps(result), flush=True)
                results[f"{name}_live"] = result
            if args.mode in ("kill", "all"):
                result = await kill(url, args.recipients, args.rate, args.lease)
                print(name, "kill", json.dumps(result), flush=True)
                results[f"{name}_kill"] = result
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("live", "kill", "all"), default="all")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--lease", type=float, default=5.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
