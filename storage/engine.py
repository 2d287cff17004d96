"""Engine, session factory and the unit of work.

Two rules hold for every unit of work:
- nothing leaves the process (a Bot API call, and so a retry's sleep) while its transaction
  is open: `bot.outgoing` commits the update's unit of work before each call, so a person is
  told only what is already committed, and no lock is held while Telegram answers;
- on SQLite, writers queue in-process on one lock (FIFO, woken at once) instead of polling
  SQLite's busy handler, which sleeps in steps of up to 100 ms.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table, event, text
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 5000
# Pages the WAL may grow to before a commit checkpoints it. The scheduler checkpoints every
# minute off the update path, so a user's commit rarely pays for it; this is the safety net.
SQLITE_AUTOCHECKPOINT_PAGES = 10_000
# A pooled PostgreSQL connection that sat unused this long is pinged before it is handed out
# (the server may have been restarted, or a firewall may have dropped it, meanwhile); one in
# steady use is not: the ping is a round trip per unit of work, ~0.6 ms at p50 and 2 ms at
# p99 here. A connection that breaks while in use makes SQLAlchemy renew the whole pool, so
# at most the updates then in flight fail (they are answered with the error message).
PING_AFTER_IDLE_SECONDS = 10.0

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
        # Every unit of work ends in a commit or a rollback of its own, so the pool need not
        # roll back again on check-in (a thread hop of aiosqlite's on every transaction).
        kwargs.setdefault("pool_reset_on_return", None)
        kwargs.setdefault("module", sqlite_driver.dbapi())
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    ping_after_idle = kwargs.pop("ping_after_idle", PING_AFTER_IDLE_SECONDS)
    engine = create_async_engine(url, **kwargs)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a connection at checkout when it was idle in the pool for `idle_seconds` or more;
    a dead one is replaced by a new connection before anyone uses it (the pool retries a
    checkout that raises DisconnectionError)."""

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the connection is of no use
            log.info(
                "a pooled connection idle for %.0f s was dead: replaced", time.monotonic() - since
            )
            raise DisconnectionError(str(exc)) from exc

    event.listen(engine.sync_engine, "checkin", checked_in)
    event.listen(engine.sync_engine, "checkout", checked_out)


Hook = Callable[[], None]


class UnitSession(AsyncSession):
    """An AsyncSession for one unit of work at a time.

    - On SQLite it takes the engine's writer lock before its first write and gives it back
      when its transaction ends (SQLite itself begins the write transaction at that first
      write, so the lock covers exactly the time SQLite's write lock is held).
    - Rows can be queued for a plain INSERT before the next statement, flush or commit
      (`insert_later`): one statement per table for all of them, far cheaper than the ORM's
      flush of new objects (the outbox writes its notices so).
    - Callbacks run once the transaction has committed (`after_commit`) or once it has ended
      without a commit (`after_rollback`), each registered under a key at most once per
      transaction; cheaper than SQLAlchemy's session events, which are set up per session.

    Both need the transaction to end through this class's `commit` (as `unit_of_work` and
    `commit_ambient` do): an `async with session.begin()` block commits past it, so the
    project does not use one.
    """

    def __init__(self, *args: Any, writer_lock: asyncio.Lock | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._writer_lock = writer_lock
        self._writing = False
        self._queued: dict[Table, list[dict[str, Any]]] = {}
        self._on_commit: dict[str, Hook] = {}
        self._on_rollback: dict[str, Hook] = {}

    def insert_later(self, table: Table, row: dict[str, Any]) -> None:
        """INSERT `row` into `table` before the next statement, flush or commit of this
        transaction (rows of one table must have the same keys); gone if it rolls back."""
        self._queued.setdefault(table, []).append(row)

    def after_commit(self, key: str, hook: Hook) -> None:
        self._on_commit.setdefault(key, hook)

    def after_rollback(self, key: str, hook: Hook) -> None:
        self._on_rollback.setdefault(key, hook)

    def in_transaction(self) -> bool:
        return bool(self._queued) or super().in_transaction()

    async def _before_write(self) -> None:
        if self._writer_lock is None or self._writing:
            return
        try:
            async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                await self._writer_lock.acquire()
        except TimeoutError:
            raise OperationalError("writer lock", None, Exception("database is locked")) from None
        self._writing = True

    def _after_transaction(self) -> None:
        if self._writing and self._writer_lock is not None:
            self._writing = False
            self._writer_lock.release()

    async def execute(self, statement: Any, *args: Any, **kw: Any) -> Any:
        await self._before(statement)
        return await super().execute(statement, *args, **kw)

    async def scalar(self, statement: Any, *args: Any, **kw: Any) -> Any:
        await self._before(statement)
        return await super().scalar(statement, *args, **kw)

    async def _before(self, statement: Any) -> None:
        if self._queued:  # what follows sees the queued rows, as the ORM's autoflush would
            await self._write_queued()
        if getattr(statement, "is_dml", False):  # INSERT, UPDATE, DELETE
            await self._before_write()

    async def flush(self, objects: Any = None) -> None:
        if self._has_changes():
            await self._before_write()
            await super().flush(objects)
        await self._write_queued()

    async def _write_queued(self) -> None:
        """The queued rows, unless inside a savepoint (which could roll back without the
        transaction: they wait for the transaction's own flush or commit)."""
        if not self._queued or self.sync_session.in_nested_transaction():
            return
        queued, self._queued = self._queued, {}
        for table, rows in queued.items():
            await self.execute(_insert_into(table), rows)

    async def commit(self) -> None:
        try:
            await self.flush()
            await super().commit()
        except BaseException:
            self._ended(committed=False)
            raise
        finally:
            self._after_transaction()
        self._ended(committed=True)

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._after_transaction()
            self._ended(committed=False)

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._after_transaction()
            self._ended(committed=False)

    def _ended(self, *, committed: bool) -> None:
        self._queued.clear()
        hooks = self._on_commit if committed else self._on_rollback
        self._on_commit, self._on_rollback = {}, {}
        for hook in hooks.values():
            hook()

    def _has_changes(self) -> bool:
        sync = self.sync_session
        return bool(sync.new or sync.dirty or sync.deleted)


@lru_cache(maxsize=16)
def _insert_into(table: Table) -> Insert:
    return table.insert()


def unit_session(session: AsyncSession) -> UnitSession:
    """`session` as the UnitSession every factory of this module makes."""
    if not isinstance(session, UnitSession):
        raise TypeError(f"a UnitSession is needed, not {type(session).__name__}")
    return session


def create_session_factory(engine: AsyncEngine, **info: Any) -> SessionFactory:
    """Sessions of `engine`; on SQLite they share one writer lock. `info` is handed to every
    session (the outbox's doorbell)."""
    lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
    return async_sessionmaker(
        engine,
        class_=UnitSession,
        expire_on_commit=False,
        autoflush=False,
        writer_lock=lock,
        info=info,
    )


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


async def commit_ambient() -> None:
    """Commit the current update's unit of work, if it has an open transaction: done before
    anything leaves the process (see `bot.outgoing`)."""
    session = _ambient.get()
    if session is not None and session.in_transaction():
        await session.commit()


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
