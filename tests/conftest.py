"""Fixtures: the real dispatcher on SQLite, and on PostgreSQL + Redis when TEST_* URLs are set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import text

from bot.app import Runtime, create_dispatcher, open_runtime
from bot.sandbox.recording import ChatClient, RecordingSession
from bot.settings import Settings, load_settings
from content.knowledge import KB_DIR
from content.library import Library, Shelf, open_shelf
from scheduler.delivery import Delivery
from scheduler.messages import bounces, renderers
from storage.engine import create_engine
from storage.models import Base

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not (POSTGRES_URL and REDIS_URL), reason="TEST_DATABASE_URL/TEST_REDIS_URL not set"
        ),
    ),
]


class FakeClock:
    """A monotonic clock that moves `step` seconds each time it is read (0 freezes it)."""

    def __init__(self, step: float = 1.0) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


_migrated: set[str] = set()  # the PostgreSQL databases this run has brought up to date


async def empty_postgres(url: str) -> None:
    """A database with the current schema and no rows. The schema is made once a run (the
    migrations take seconds); after that every table is emptied (milliseconds). A schema with
    a table missing (a test dropped one) is made again."""
    from storage.migrate import upgrade

    if url in _migrated:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                tables = (
                    await connection.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> 'alembic_version'"
                        )
                    )
                ).scalars()
                present = set(tables)
                if present >= set(Base.metadata.tables):  # (a test may have dropped one)
                    names = ", ".join(f'"{name}"' for name in sorted(present))
                    await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                    return
        finally:
            await engine.dispose()
    await reset_postgres(url)
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    _migrated.add(url)


async def reset_redis(url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture(params=BACKENDS)
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of a fresh, empty database (and Redis FSM storage on the PostgreSQL run)."""
    if request.param == "postgresql":
        assert POSTGRES_URL and REDIS_URL
        await empty_postgres(POSTGRES_URL)
        await reset_redis(REDIS_URL)
        return load_settings(database_url=POSTGRES_URL, redis_url=REDIS_URL, admin_ids="3001")
    return load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/test.db", redis_url=None, admin_ids="3001"
    )


@pytest.fixture(scope="session")
def shelf() -> Shelf:
    """The shipped knowledge base, loaded once (it is immutable; reloads build a new one)."""
    return open_shelf(load_settings().knowledge_dir or KB_DIR)


@pytest.fixture
async def runtime(settings: Settings, shelf: Shelf) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(settings, Library(shelf, shelf.knowledge.source))
    yield runtime
    await runtime.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dispatcher(runtime: Runtime, clock: FakeClock) -> Dispatcher:
    return create_dispatcher(runtime, clock=clock)


@pytest.fixture
def bot(runtime: Runtime) -> Bot:
    """A bot whose calls are recorded; after each update a client feeds, the outbox is
    delivered through it (the delivery engine, unpaced: tests count, they do not time)."""
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    session.delivery = Delivery(  # type: ignore[attr-defined]  # a test may set its clock
        runtime.factory,
        bot,
        runtime.i18n,
        renderers(runtime.places, runtime.library),
        rate=0,
        bounces=bounces(),
    )
    session.after_update = outbox_drain(session.delivery)  # type: ignore[attr-defined]
    return bot


def outbox_drain(delivery: Delivery) -> Callable[[], Awaitable[int]]:
    async def drain() -> int:
        total = 0
        while handled := await delivery.deliver_due():
            total += handled
        return total

    return drain


@pytest.fixture
def person(dispatcher: Dispatcher, bot: Bot) -> Callable[..., ChatClient]:
    """Make a person chatting with the dispatcher: person(user_id, language_code=...)."""

    def make(user_id: int = 1001, **kwargs: object) -> ChatClient:
        return ChatClient(dispatcher, bot, user_id, **kwargs)  # type: ignore[arg-type]

    return make
