"""Composition root: the long-lived objects and the dispatcher built from them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import create_i18n
from bot.metrics import Metrics
from bot.middlewares import (
    ConcurrencyLimit,
    DbSessionMiddleware,
    ErrorBoundaryMiddleware,
    LocaleMiddleware,
    ThrottlingMiddleware,
    UserMiddleware,
)
from bot.middlewares.observe import observe
from bot.middlewares.throttling import TokenBuckets
from bot.outgoing import guard
from bot.retry import RetryMiddleware
from bot.settings import ConfigError, Settings, prepare_database_folder
from content.coaches import load_coaches
from content.events import load_events
from content.knowledge import KB_DIR
from content.library import Library
from content.places import PLACES_FILE, load_places
from handlers import get_routers
from handlers.events import notices as event_notices
from scheduler.delivery import Delivery, rate_storage
from scheduler.faq import refresh_learned
from scheduler.messages import bounces, renderers
from storage import migrate
from storage.base import WallClock, utcnow
from storage.coaching import coaches as coaches_store
from storage.desks import places as places_store
from storage.desks.places import Places
from storage.engine import SessionFactory, create_engine, create_session_factory, unit_of_work
from storage.events import seed as events_seed
from storage.fsm import SQLStorage
from storage.outbox import Doorbell
from storage.users import Directory, sync_admins

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 30.0
# Past the concurrency limit an update waits for a slot; a Redis or database connection beyond
# the pools' size is waited for too (up to these seconds), never refused at once.
POOL_WAIT_SECONDS = 20.0


@dataclass
class Runtime:
    """What lives as long as the process: settings, database, FSM storage, translations."""

    settings: Settings
    engine: AsyncEngine
    factory: SessionFactory
    storage: BaseStorage
    events_isolation: BaseEventIsolation
    i18n: I18n
    library: Library
    places: Places
    metrics: Metrics = field(default_factory=Metrics)
    # rung when a message due now is committed: this process's delivery engine sends at once
    doorbell: Doorbell = field(default_factory=Doorbell)

    async def close(self) -> None:
        await self.storage.close()
        await self.events_isolation.close()
        await self.engine.dispose()


async def open_runtime(settings: Settings, library: Library | None = None) -> Runtime:
    """Load the knowledge base (ContentError if broken) unless given, connect, bring the
    SQLite schema up to date (or check PostgreSQL's), sync the places, merge the learned
    phrasings into the knowledge base, load the catalogs."""
    if library is None:
        library = await asyncio.to_thread(Library.open, settings.knowledge_dir or KB_DIR)
    seeds = await asyncio.to_thread(load_places, settings.places_file or PLACES_FILE)
    coach_seeds = (
        await asyncio.to_thread(load_coaches, settings.coaches_file, seeds)
        if settings.coaches_file
        else ()
    )
    event_seeds = (
        await asyncio.to_thread(
            load_events, settings.events_file, seeds, None, settings.default_locale
        )
        if settings.events_file
        else ()
    )
    prepare_database_folder(settings)
    try:
        engine = create_engine(settings.database_url, **_pool_sizes(settings))
    except OSError as exc:
        raise ConfigError(f"DATABASE_URL: cannot open the database ({exc})") from None
    try:
        if settings.sqlite_path is not None or ":memory:" in settings.database_url:
            await migrate.upgrade(engine)
        elif await migrate.pending(engine):
            raise ConfigError("DATABASE_URL: the schema is out of date; run `concierge db upgrade`")
    except ConfigError:
        await engine.dispose()
        raise
    except (OSError, DBAPIError) as exc:
        await engine.dispose()
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise ConfigError(f"DATABASE_URL: cannot open the database ({reason})") from None
    doorbell, metrics = Doorbell(), Metrics()
    factory = create_session_factory(engine, outbox_doorbell=doorbell, tally=metrics.tally)
    async with unit_of_work(factory) as session:
        await places_store.sync_places(session, seeds)
        places = await places_store.load_places(session)
        await coaches_store.sync_coaches(session, coach_seeds, places)
        synced = await events_seed.sync_events(session, event_seeds, places, utcnow())
        await event_notices.after_sync(session, synced, utcnow())
        await sync_admins(session, settings.admin_ids)
    await refresh_learned(factory, library)  # what the staff taught in the chat
    storage, isolation = _fsm_storage(settings, factory)
    i18n = create_i18n(settings.default_locale)
    return Runtime(
        settings, engine, factory, storage, isolation, i18n, library, places, metrics, doorbell
    )


def _pool_sizes(settings: Settings) -> dict[str, Any]:
    """A PostgreSQL pool that the updates in flight and the scheduler's jobs fit in; a
    connection beyond it is waited for. (Updates give their connection back before every
    Bot API call, so a slow Telegram does not hold one.)"""
    if not settings.database_url.startswith("postgresql"):
        return {}
    size = min(settings.max_concurrent_updates, 20)
    return {"pool_size": size, "max_overflow": 5, "pool_timeout": POOL_WAIT_SECONDS}


def _fsm_storage(
    settings: Settings, factory: SessionFactory
) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
        from redis.asyncio import BlockingConnectionPool, Redis

        # Each update in flight uses one connection at a time (its chat lock, then its
        # state); a burst past the pool waits for a connection instead of failing.
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=2 * settings.max_concurrent_updates + 8,
            timeout=POOL_WAIT_SECONDS,
        )
        storage = RedisStorage(
            Redis(connection_pool=pool), key_builder=DefaultKeyBuilder(with_destiny=True)
        )
        return storage, RedisEventIsolation(storage.redis, key_builder=storage.key_builder)
    return SQLStorage(factory), SimpleEventIsolation()


def create_bot(settings: Settings, token: str | None = None, *, retrying: bool = True) -> Bot:
    """The bot for answering updates (calls retried on 429/5xx), or with `retrying=False` the
    delivery engine's, which paces and retries on its own and must never sleep in a call."""
    token = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not token:
        raise ConfigError("BOT_TOKEN: not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    guard(session)  # first: commit, then call (and retry)
    if retrying:
        session.middleware(RetryMiddleware())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_delivery(runtime: Runtime, bot: Bot) -> Delivery:
    """The delivery engine of this process, with every kind of message the bot sends."""
    settings = runtime.settings
    return Delivery(
        runtime.factory,
        bot,
        runtime.i18n,
        renderers(runtime.places, runtime.library),
        rate=settings.send_rate,
        storage=rate_storage(settings.redis_url),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        admin_ids=settings.admin_ids,
        bounces=bounces(),
        metrics=runtime.metrics,
    )


def create_dispatcher(
    runtime: Runtime,
    *,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: WallClock = utcnow,
) -> Dispatcher:
    """The one dispatcher: production, the demo and the tests all build it here.

    `clock` times throttling and caches; `wall_clock` is the date and time bookings obey.
    """
    settings = runtime.settings
    directory = Directory(admin_ids=settings.admin_ids, clock=clock)
    dispatcher = Dispatcher(
        storage=runtime.storage,
        events_isolation=runtime.events_isolation,
        disable_fsm=True,  # registered below, inside the error boundary
        settings=settings,
        directory=directory,
        session_factory=runtime.factory,
        metrics=runtime.metrics,
        i18n=runtime.i18n,
        library=runtime.library,
        places=runtime.places,
        wall_clock=wall_clock,
    )
    buckets = TokenBuckets(settings.throttle_rate, settings.throttle_burst, clock)
    update = dispatcher.update
    observe(dispatcher, runtime.metrics)  # first: the outermost, and the handlers' names
    update.outer_middleware(
        ErrorBoundaryMiddleware(runtime.i18n, runtime.factory, directory, runtime.metrics)
    )
    update.outer_middleware(ThrottlingMiddleware(buckets, runtime.i18n, directory, runtime.metrics))
    update.outer_middleware(ConcurrencyLimit(settings.max_concurrent_updates))
    # aiogram's per-chat lock and conversation state: a failure there (Redis down, its pool
    # exhausted) reaches the error boundary and is answered like any other.
    update.outer_middleware(dispatcher.fsm)
    update.outer_middleware(DbSessionMiddleware(runtime.factory))
    update.outer_middleware(UserMiddleware(directory))
    update.outer_middleware(LocaleMiddleware(runtime.i18n))
    dispatcher.include_routers(*get_routers())
    dispatcher.startup.register(publish_commands)
    # aiogram registered the closing of the conversation storage and chat locks (Redis) when
    # the dispatcher was made; the updates in flight must finish with them first.
    dispatcher.shutdown.register(_drain)
    dispatcher.shutdown.handlers.insert(0, dispatcher.shutdown.handlers.pop())
    return dispatcher


async def publish_commands(bot: Bot, i18n: I18n) -> None:
    """The command menu in every language; Telegram being unreachable here is not fatal."""
    for locale in (None, *i18n.available_locales):
        with i18n.context(), i18n.use_locale(locale or i18n.default_locale):
            commands = [
                BotCommand(command="start", description=i18n.gettext("Main menu")),
                BotCommand(command="help", description=i18n.gettext("What I can do")),
                BotCommand(command="language", description=i18n.gettext("Change language")),
                BotCommand(command="cancel", description=i18n.gettext("Stop the current action")),
                BotCommand(command="mydata", description=i18n.gettext("Your data")),
                BotCommand(command="forgetme", description=i18n.gettext("Erase your data")),
            ]
        try:
            await bot.set_my_commands(commands, language_code=locale)
        except TelegramAPIError as exc:
            log.warning("could not publish commands for %s: %s", locale or "default", exc)


async def _drain(metrics: Metrics) -> None:
    if not await metrics.drained(SHUTDOWN_GRACE_SECONDS):
        log.warning("shutting down with %d updates still in flight", metrics.in_flight)
