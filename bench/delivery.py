"""The delivery engine through the sandbox Telegram, counting what each chat received.

Run: python -m bench.delivery [--messages N] [--rate R]

- burst: N messages to N/2 chats (two each) due at one instant, at SEND_RATE R, with three
  sends answered 429 (retry_after 1 s: three pauses) and 1% of the chats gone ("chat not
  found"): achieved rate against the configured one, the shortest gap between two messages to
  one chat, duplicates and misses.
- ceiling: the same burst with the rate unlimited: what the engine itself sustains.

SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (its schema is reset). The last
line is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from bench.desks import reset_postgres
from bot.app import create_bot, open_runtime
from bot.sandbox import SandboxServer
from bot.settings import Settings, load_settings
from scheduler.delivery import Delivery, Rendered
from storage import outbox
from storage.engine import unit_of_work
from storage.outbox import OutboxMessage

TOKEN = "1000:BENCH"
FIRST_CHAT = 500_000


async def note(_session: Any, row: OutboxMessage) -> Sequence[Rendered]:
    return [Rendered(f"reminder {row.id}")]


async def run(settings: Settings, messages: int, rate: float, blocked: set[int]) -> dict[str, Any]:
    chats = max(1, messages // 2)
    async with SandboxServer() as server:
        users = {}
        for n in range(chats):
            if FIRST_CHAT + n not in blocked:  # the others never started the bot: chat not found
                users[FIRST_CHAT + n] = user = server.user(FIRST_CHAT + n, f"P{n}")
                server.state.chat_of(user.info)  # they pressed Start once
        settings = settings.model_copy(update={"telegram_api_url": server.url, "redis_url": None})
        runtime = await open_runtime(settings)
        bot = create_bot(settings, TOKEN, retrying=False)
        server.inject("sendMessage", error="429", times=3, retry_after=1)  # three pauses
        try:
            async with unit_of_work(runtime.factory) as session:
                for n in range(messages):
                    outbox.enqueue(session, FIRST_CHAT + n % chats, "bench.note")
            delivery = Delivery(
                runtime.factory, bot, runtime.i18n, {"bench.note": note}, rate=rate, batch=500
            )
            started = time.perf_counter()
            while True:
                handled = await delivery.deliver_due()
                if handled:
                    continue
                if delivery.paused_until is None:
                    async with unit_of_work(runtime.factory) as session:
                        if await outbox.next_due(session) is None:
                            break
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            await bot.session.close()
            await runtime.close()
        texts: Counter[str] = Counter()  # what each chat holds: refused sends left nothing
        for chat in users:
            state = server.state.chats.get(chat)
            texts.update(m.text for m in (state.messages.values() if state else ()) if m.from_bot)
        per_chat: dict[int, list[float]] = defaultdict(list)
        for call in server.calls:
            if call.method == "sendMessage" and int(call.params.get("chat_id", 0)) in users:
                per_chat[int(call.params["chat_id"])].append(call.time)
        gaps = [b - a for times in per_chat.values() for a, b in pairwise(times)]
        expected = sum(1 for n in range(messages) if FIRST_CHAT + n % chats in users)
        delivered = len(texts)
        return {
            "messages": messages,
            "configured_rate": rate or None,
            "seconds": round(elapsed, 2),
            "achieved_rate": round(delivered / elapsed, 1),
            "rate_ratio": round(delivered / elapsed / rate, 3) if rate else None,
            "duplicates": sum(count - 1 for count in texts.values()),
            "misses": expected - delivered,
            "min_chat_gap_s": round(min(gaps), 3) if gaps else None,
        }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    blocked = {FIRST_CHAT + n for n in range(0, args.messages // 2, 100)}  # 1% of the chats
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        backends = {"sqlite": "sqlite+aiosqlite:///" + folder + "/bench-{mode}.db"}
        if os.environ.get("TEST_DATABASE_URL"):
            backends["postgresql"] = os.environ["TEST_DATABASE_URL"]
        for name, url in backends.items():
            for mode, rate in (("burst", args.rate), ("ceiling", 0.0)):
                if name == "postgresql":
                    await reset_postgres(url)
                database = url.format(mode=mode)
                settings = load_settings(database_url=database, redis_url=None, bot_token=TOKEN)
                result = await run(settings, args.messages, rate, blocked)
                results[f"{name}_{mode}"] = result
                print(name, mode, result, flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
