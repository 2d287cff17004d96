"""Long polling and webhook serving of one dispatcher."""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import Runtime
from storage.engine import ping

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"


async def run_polling(runtime: Runtime, bot: Bot, dispatcher: Dispatcher) -> None:
    """Long polling until SIGTERM/SIGINT; in-flight updates finish before the exit. /healthz
    and /metrics are served on WEB_HOST:WEB_PORT as in webhook mode (if that port is taken,
    the bot still polls and says so)."""
    await bot.delete_webhook()
    runner = web.AppRunner(create_ops_app(runtime))
    await runner.setup()
    host, port = runtime.settings.web_host, runtime.settings.web_port
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        log.warning(
            "/healthz and /metrics not served: cannot listen on %s:%s (%s)", host, port, exc
        )
    try:
        await poll(runtime, bot, dispatcher)
    finally:
        await runner.cleanup()


async def poll(
    runtime: Runtime, bot: Bot, dispatcher: Dispatcher, *, handle_signals: bool = True
) -> None:
    """The polling loop of production: updates handled as tasks, at most
    `MAX_CONCURRENT_UPDATES` at once (the next batch is fetched when a slot frees)."""
    await dispatcher.start_polling(
        bot,
        polling_timeout=30,
        handle_signals=handle_signals,
        tasks_concurrency_limit=runtime.settings.max_concurrent_updates,
    )


def create_web_app(
    runtime: Runtime, bot: Bot, dispatcher: Dispatcher, *, handle_in_background: bool = True
) -> web.Application:
    """aiohttp app: the webhook (secret checked), /healthz and /metrics.

    Updates are acknowledged at once and handled in the background, as Telegram prefers;
    `handle_in_background=False` answers only after handling (the sandbox tests use it).
    """
    settings = runtime.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = create_ops_app(runtime)
    SimpleRequestHandler(
        dispatcher, bot, secret_token=secret, handle_in_background=handle_in_background
    ).register(app, path=WEBHOOK_PATH)
    setup_application(app, dispatcher, bot=bot)

    async def announce(_app: web.Application) -> None:
        await bot.set_webhook(
            f"{settings.webhook_url}{WEBHOOK_PATH}",
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
        )

    app.on_startup.append(announce)
    return app


def create_ops_app(runtime: Runtime) -> web.Application:
    """/healthz (200 when the database answers, else 503) and /metrics (Prometheus)."""
    app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        database = await ping(runtime.engine)
        return web.json_response(
            {"ok": database, "database": database}, status=200 if database else 503
        )

    async def metrics(_request: web.Request) -> web.Response:
        body = await runtime.metrics.exposition(runtime.factory)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def run_webhook(runtime: Runtime, bot: Bot, dispatcher: Dispatcher) -> None:
    """Serve the webhook until SIGTERM/SIGINT, then stop taking requests and drain."""
    runner = web.AppRunner(create_web_app(runtime, bot, dispatcher))
    await runner.setup()
    site = web.TCPSite(runner, runtime.settings.web_host, runtime.settings.web_port)
    await site.start()
    log.info("webhook listening on %s:%s", runtime.settings.web_host, runtime.settings.web_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
