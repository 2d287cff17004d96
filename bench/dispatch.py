"""Dispatch benchmark: a returning user's /start through our dispatcher vs. bare aiogram.

Run: python -m bench.dispatch [--updates N] [--users N] [--warmup N]"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiogram
from aiogram import Bot, Dispatcher
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.app import create_dispatcher, open_runtime
from bot.sandbox.recording import ChatClient, RecordingSession
from bot.service import tune_gc
from bot.settings import load_settings

CLEAR_EVERY = 1000
FIRST_USER_ID = 10_000


def _updates(clients: Sequence[ChatClient], bot: Bot, count: int) -> list[Update]:
    """`count` /start updates round-robin over `clients`, validated and mounted on `bot`."""
    raw = [clients[i % len(clients)].message_update("/start") for i in range(count)]
    return [Update.model_validate(update, context={"bot": bot}) for update in raw]


async def _measure(dispatcher: Dispatcher, bot: Bot, updates: Sequence[Update]) -> list[int]:
    """Feed the updates one by one; the latency of each in nanoseconds."""
    session = bot.session
    assert isinstance(session, RecordingSession)
    latencies: list[int] = []
    clock = time.perf_counter_ns
    for index, update in enumerate(updates, 1):
        start = clock()
        await dispatcher.feed_update(bot, update)
        latencies.append(clock() - start)
        if index % CLEAR_EVERY == 0:
            session.calls.clear()
            session.chats.clear()
    return latencies


def _summary(latencies: list[int]) -> dict[str, float]:
    """Throughput over the summed dispatch time, median, 99th percentile and mean."""
    ordered = sorted(latencies)
    total = sum(ordered)
    return {
        "ups": round(len(ordered) * 1e9 / total, 1),
        "p50_us": round(ordered[len(ordered) // 2] / 1e3, 1),
        "p99_us": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e3, 1),
        "mean_us": round(total / len(ordered) / 1e3, 2),
    }


async def _concierge(args: argparse.Namespace, workdir: Path) -> list[int]:
    """Our full dispatcher on a SQLite file; every user has picked a language already."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        throttle_rate=1e9,
        throttle_burst=10**9,
    )
    runtime = await open_runtime(settings)
    try:
        dispatcher = create_dispatcher(runtime)
        bot = Bot("1:bench", session=RecordingSession())
        clients = [ChatClient(dispatcher, bot, FIRST_USER_ID + i) for i in range(args.users)]
        for client in clients:
            await client.send("/start")
            await client.click("English")
        await _measure(dispatcher, bot, _updates(clients, bot, args.warmup))
        updates = _updates(clients, bot, args.updates)
        tune_gc()
        return await _measure(dispatcher, bot, updates)
    finally:
        await runtime.close()


MENU = InlineKeyboardMarkup(  # a constant 6-button keyboard, 2 per row, like our main menu
    inline_keyboard=[
        [InlineKeyboardButton(text=name.title(), callback_data=f"m:{name}") for name in row]
        for row in (("ask", "desk"), ("coach", "events"), ("bookings", "settings"))
    ]
)


async def _is_start(message: Message) -> bool:
    return message.text == "/start"


async def _answer(message: Message) -> None:
    await message.answer("Welcome back! What would you like to do?", reply_markup=MENU)


async def _bare(args: argparse.Namespace) -> list[int]:
    """A bare aiogram Dispatcher (MemoryStorage): one async filter, one answer with a menu."""
    dispatcher = Dispatcher()
    dispatcher.message.register(_answer, _is_start)
    bot = Bot("1:bench", session=RecordingSession())
    clients = [ChatClient(dispatcher, bot, FIRST_USER_ID + i) for i in range(args.users)]
    await _measure(dispatcher, bot, _updates(clients, bot, args.warmup))
    updates = _updates(clients, bot, args.updates)
    tune_gc()
    return await _measure(dispatcher, bot, updates)


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as workdir:
        concierge = _summary(await _concierge(args, Path(workdir)))
    bare = _summary(await _bare(args))
    return {
        "concierge": concierge,
        "bare": bare,
        "ratio_per_update": round(concierge["mean_us"] / bare["mean_us"], 2),
        "updates": args.updates,
        "python": platform.python_version(),
        "aiogram": aiogram.__version__,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run both benchmarks, print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20_000, help="timed updates per run")
    parser.add_argument("--users", type=int, default=200, help="distinct returning users")
    parser.add_argument("--warmup", type=int, default=2_000, help="untimed updates first")
    args = parser.parse_args(argv)
    result = asyncio.run(_main(args))
    print(f"{'name':<10} {'updates/s':>10} {'p50 µs':>9} {'p99 µs':>9} {'mean µs':>9}")
    for name in ("concierge", "bare"):
        row = result[name]
        print(
            f"{name:<10} {row['ups']:>10.0f} {row['p50_us']:>9.1f} "
            f"{row['p99_us']:>9.1f} {row['mean_us']:>9.1f}"
        )
    print(f"ratio per update (mean latency): {result['ratio_per_update']:.2f}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
