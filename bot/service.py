"""The production process: open the runtime, serve Telegram, close everything cleanly."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError

from bot.app import Runtime, create_bot, create_delivery, create_dispatcher, open_runtime
from bot.runners import run_polling, run_webhook
from bot.settings import ConfigError, Settings
from scheduler.broadcasts import add_broadcast_jobs
from scheduler.coaching import add_coaching_jobs
from scheduler.delivery import Delivery
from scheduler.desks import add_desk_jobs
from scheduler.faq import add_faq_jobs
from scheduler.setup import create_scheduler
from storage.base import WallClock, utcnow


async def serve(settings: Settings) -> None:
    runtime = await open_runtime(settings)
    try:
        bot = create_bot(settings)
        try:
            await introduce(bot, settings)
        except ConfigError:
            await bot.session.close()
            raise
        dispatcher = create_dispatcher(runtime)
        retention = timedelta(days=settings.retention_days)
        scheduler = create_scheduler(runtime.storage, runtime.engine, runtime.factory, retention)
        add_desk_jobs(scheduler, runtime.factory, runtime.places)
        add_coaching_jobs(scheduler, runtime.factory)
        add_broadcast_jobs(scheduler, runtime.factory)
        add_faq_jobs(scheduler, runtime.factory, runtime.library)
        scheduler.start()
        async with delivering(runtime, settings):
            tune_gc()
            try:
                if settings.webhook_url:
                    await run_webhook(runtime, bot, dispatcher)
                else:
                    await run_polling(runtime, bot, dispatcher)
            finally:
                scheduler.shutdown(wait=False)
    finally:
        await runtime.close()


@asynccontextmanager
async def delivering(
    runtime: Runtime, settings: Settings, token: str | None = None, clock: WallClock = utcnow
) -> AsyncIterator[Delivery]:
    """The delivery engine running beside the bot, with a bot of its own that does not retry
    (the engine paces and retries; a call must never sleep out a long 429 in its way)."""
    bot = create_bot(settings, token, retrying=False)
    delivery = create_delivery(runtime, bot)
    delivery.clock = clock
    task = asyncio.create_task(delivery.run(runtime.doorbell), name="delivery")
    try:
        yield delivery
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await bot.session.close()


async def introduce(bot: Bot, settings: Settings) -> None:
    """Ask Telegram who the bot is before serving: a refused token or an unreachable API is
    one clear configuration error at start (once running, calls are retried with backoff)."""
    try:
        await bot.get_me()
    except TelegramUnauthorizedError:
        raise ConfigError(
            "BOT_TOKEN: Telegram refused the token; copy it again from @BotFather"
        ) from None
    except (TelegramNetworkError, TelegramServerError) as exc:
        raise ConfigError(
            f"TELEGRAM_API_URL: cannot reach {settings.telegram_api_url} ({exc.message})"
        ) from None


def tune_gc() -> None:
    """Move start-up objects out of the collector's sight and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
