"""Bursts through the production polling loop against the sandbox Telegram: how many of the
updates are answered, and how fast.

Run: python -m bench.burst [--people N] [--questions N] [--presses N]

SQLite always; PostgreSQL + Redis too when TEST_DATABASE_URL and TEST_REDIS_URL are set (the
schema `public` is dropped and recreated, and the Redis database flushed, as the tests do).
Two bursts each: N people asking the questions at once, and one person pressing a button
`--presses` times (flood control answers the extra presses with a silent toast)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench.desks import reset_postgres
from bot.demo import sandboxed_bot
from bot.sandbox import SandboxServer
from bot.settings import Settings, load_settings
from handlers.ui.callbacks import MenuAction, MenuCB

QUESTIONS = ("When is the Oasis open?", "Mikä on ohjelma?", "Как забронировать место?")


async def settled(server: SandboxServer, done: Any, within: float) -> bool:
    async with asyncio.timeout(within):
        while not done():
            await server.state.wait_change(within)
    return True


async def burst(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    async with sandboxed_bot(settings, as_in_production=True) as (server, runtime):
        people = [server.user(10_000 + n, f"P{n}") for n in range(args.people)]
        questions = QUESTIONS[: args.questions]
        for question in questions:
            for person in people:
                await person.send(question)
        start = time.perf_counter()
        with suppress(TimeoutError):
            await settled(
                server, lambda: all(len(p.messages) >= len(questions) for p in people), 120
            )
        asked = time.perf_counter() - start
        answers = sum(len(p.messages) for p in people)

        anna = server.user(1001, "Anna")
        await anna.send("/start")
        await settled(server, lambda: bool(anna.messages), 60)
        button = MenuCB(action=MenuAction.SETTINGS).pack()
        presses = [await anna.click(anna.last.message_id, button) for _ in range(args.presses)]
        start = time.perf_counter()
        with suppress(TimeoutError):
            await settled(server, lambda: all(anna.answer_for(p) for p in presses), 120)
        pressed = time.perf_counter() - start
        answered = sum(anna.answer_for(p) is not None for p in presses)
    return {
        "updates": len(people) * len(questions),
        "answered": answers,
        "answer_s": round(asked, 2),
        "presses": len(presses),
        "presses_answered": answered,
        "presses_s": round(pressed, 2),
        "errors": runtime.metrics.errors_total,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"max_concurrent_updates": load_settings().max_concurrent_updates}
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'burst.db'}"
        result["sqlite"] = await burst(load_settings(database_url=url, redis_url=None), args)
    database, redis = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    if database and redis:
        await reset_postgres(database)
        client = Redis.from_url(redis)
        await client.flushdb()
        await client.aclose()
        settings = load_settings(database_url=database, redis_url=redis)
        result["postgres_redis"] = await burst(settings, args)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--questions", type=int, default=3, choices=range(1, 4))
    parser.add_argument("--presses", type=int, default=200)
    result = asyncio.run(run(parser.parse_args(argv)))
    for backend in ("sqlite", "postgres_redis"):
        if (r := result.get(backend)) is not None:
            print(
                f"{backend}: {r['answered']}/{r['updates']} questions answered in "
                f"{r['answer_s']} s; {r['presses_answered']}/{r['presses']} presses answered "
                f"in {r['presses_s']} s; {r['errors']} errors"
            )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
