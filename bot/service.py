"""The production process: open the runtime, serve Telegram, close everything cleanly."""

from __future__ import annotations

import gc

from bot.app import create_bot, create_dispatcher, open_runtime
from bot.runners import run_polling, run_webhook
from bot.settings import Settings
from scheduler.desks import add_desk_jobs
from scheduler.setup import create_scheduler


async def serve(settings: Settings) -> None:
    runtime = await open_runtime(settings)
    try:
        bot = create_bot(settings)
        dispatcher = create_dispatcher(runtime)
        scheduler = create_scheduler(runtime.storage, runtime.engine)
        add_desk_jobs(scheduler, runtime.factory, runtime.places, bot, runtime.i18n)
        scheduler.start()
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


def tune_gc() -> None:
    """Move start-up objects out of the collector's sight and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
