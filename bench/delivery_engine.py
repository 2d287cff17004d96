"""One delivery engine in a process of its own, for bench.delivery's crash, two and ceiling runs.

Run: python -m bench.delivery_engine --database URL --api URL [--rate R] [--lease S]
     [--batch N] [--redis URL]

Opens the runtime the way the bot does, prints "ready <owner>" and runs `Delivery.run` until
it is killed (SIGTERM ends it cleanly). It renders the bench's notes and every kind the bot
sends (bench.broadcast's copies among them)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.app import create_bot, open_runtime
from bot.settings import load_settings
from scheduler.delivery import BATCH, LEASE, Delivery, Rendered, rate_storage
from scheduler.messages import renderers
from storage.outbox import OutboxMessage

TOKEN = "1000:BENCH"
KIND = "bench.note"


def text_of(row_id: int) -> str:
    return f"reminder {row_id}"


def row_of(text: str) -> int:
    return int(text.rsplit(" ", 1)[1])


async def note(_session: Any, row: OutboxMessage) -> Sequence[Rendered]:
    return [Rendered(text_of(row.id))]


async def main(args: argparse.Namespace) -> None:
    settings = load_settings(
        database_url=args.database, redis_url=None, bot_token=TOKEN, telegram_api_url=args.api
    )
    runtime = await open_runtime(settings)
    bot = create_bot(settings, TOKEN, retrying=False)
    delivery = Delivery(
        runtime.factory,
        bot,
        runtime.i18n,
        {**renderers(runtime.places, runtime.library), KIND: note},
        rate=args.rate,
        storage=rate_storage(args.redis),
        lease=timedelta(seconds=args.lease),
        batch=args.batch,
    )
    task = asyncio.create_task(delivery.run(runtime.doorbell))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    print("ready", delivery.owner, flush=True)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await bot.session.close()
        await runtime.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--lease", type=float, default=LEASE.total_seconds())
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--redis", default=None)
    asyncio.run(main(parser.parse_args()))
