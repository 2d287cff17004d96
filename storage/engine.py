"""Engine, session factory and the unit of work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 5000
# Pages the WAL may grow to before a commit checkpoints it. The scheduler checkpoints every
# minute off the update path, so a user's commit rarely pays for it; this is the safety net.
SQLITE_AUTOCHECKPOINT_PAGES = 10_000

SessionFactory = async_sessionmaker[AsyncSession]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite files get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and ":memory:" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the block ends, rolled back if it raises.

    The transaction begins with the first query, so a block that runs none costs nothing.
    """
    session = factory()
    try:
        yield session
        if session.in_transaction():
            await session.commit()
    finally:
        if session.in_transaction():  # the block or its commit failed
            await session.close()  # rolls back and gives the connection back


_ambient: ContextVar[AsyncSession | None] = ContextVar("ambient_session", default=None)


@contextmanager
def ambient(session: AsyncSession) -> Iterator[None]:
    """Make `session` the current update's unit of work for code that is not handed it.

    The SQL conversation storage writes through it: a second connection writing while the
    update's transaction holds SQLite's write lock would wait for itself.
    """
    token = _ambient.set(session)
    try:
        yield
    finally:
        _ambient.reset(token)


def ambient_session() -> AsyncSession | None:
    return _ambient.get()


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, step: AfterCommit) -> None:
    """Run `step` once the update's transaction has committed, and never if it rolls back:
    for messages to other people, which must not go out for a change that did not happen,
    nor keep SQLite's write lock while Telegram answers."""
    session.info.setdefault("after_commit", []).append(step)


async def run_after_commit(session: AsyncSession) -> None:
    """The steps of a committed unit of work; one failing does not stop the others."""
    for step in session.info.pop("after_commit", []):
        try:
            await step()
        except Exception:  # the change is committed: report the failed step, go on
            log.exception("a step after the commit failed")


async def checkpoint(engine: AsyncEngine) -> None:
    """Copy SQLite's write-ahead log into the database without blocking anyone (no-op on
    other databases)."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any driver or network failure means "not reachable"
        return False
    return True
