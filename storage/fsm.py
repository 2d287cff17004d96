"""Conversation state (aiogram FSM) kept in SQL, so a flow survives a restart."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import String, Text, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow
from storage.engine import SessionFactory, ambient_session, unit_of_work, unit_session

_Record = tuple[str | None, dict[str, Any]]


class FSMRecord(Base):
    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# No ORM objects of these rows live in the update's session: nothing to synchronise (the
# ORM's "auto" evaluation costs more than the statement).
_DELETE = (
    delete(FSMRecord)
    .where(FSMRecord.key == bindparam("key"))
    .execution_options(synchronize_session=False)
)


@lru_cache(maxsize=2)
def _upsert(dialect: str) -> Any:
    """Built once: a conversation step is written on many updates."""
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(FSMRecord).values(
        key=bindparam("key"),
        state=bindparam("state"),
        data=bindparam("data"),
        updated_at=bindparam("updated_at", type_=UTCDateTime),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[FSMRecord.key],
        set_={"state": excluded.state, "data": excluded.data, "updated_at": excluded.updated_at},
    )


class SQLStorage(BaseStorage):
    """FSM storage on the bot's own database.

    Reads are served from a bounded in-process cache that every write goes through, so an
    update that changes no state costs no query. One bot process owns its conversations;
    several instances share state through Redis (`REDIS_URL`) instead.
    """

    def __init__(
        self,
        factory: SessionFactory,
        *,
        key_builder: KeyBuilder | None = None,
        cache_size: int = 50_000,
    ) -> None:
        self._factory = factory
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._cache: OrderedDict[str, _Record] = OrderedDict()
        self._cache_size = cache_size

    async def _load(self, key: str) -> _Record:
        record = self._cache.get(key)
        if record is not None:
            self._cache.move_to_end(key)
            return record
        async with self._factory() as session:
            row = await session.get(FSMRecord, key)
        record = (row.state, json.loads(row.data)) if row else (None, {})
        self._remember(key, record)
        return record

    def _remember(self, key: str, record: _Record) -> None:
        self._cache[key] = record
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _store(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        """Write in the update's own transaction when there is one (committed or rolled back
        with everything else the update did), else in a transaction of its own."""
        session = ambient_session()
        if session is None:
            async with unit_of_work(self._factory) as own:
                await self._write(own, key, state, data)
        else:
            await self._write(session, key, state, data)
            self._forget_on_rollback(session, key)
        self._remember(key, (state, data))

    @staticmethod
    async def _write(
        session: AsyncSession, key: str, state: str | None, data: dict[str, Any]
    ) -> None:
        if state is None and not data:
            await session.execute(_DELETE, {"key": key})
            return
        values = {"key": key, "state": state, "data": json.dumps(data), "updated_at": utcnow()}
        await session.execute(_upsert(session.get_bind().dialect.name), values)

    def _forget_on_rollback(self, session: AsyncSession, key: str) -> None:
        """If the update fails, its writes are undone: the cache must not keep them."""
        keys: set[str] | None = session.info.get("fsm_keys")
        if keys is None:
            keys = session.info["fsm_keys"] = set()
            unit = unit_session(session)

            def rolled_back() -> None:
                for name in session.info.pop("fsm_keys", ()):
                    self._cache.pop(name, None)

            unit.after_commit("fsm_keys", lambda: session.info.pop("fsm_keys", None))
            unit.after_rollback("fsm_keys", rolled_back)
        keys.add(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = self._keys.build(key)
        new_state = state.state if isinstance(state, State) else state
        current_state, data = await self._load(name)
        if new_state != current_state:
            await self._store(name, new_state, data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(self._keys.build(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._keys.build(key)
        state, current = await self._load(name)
        new_data = dict(data)
        json.dumps(new_data)  # refuse what cannot be stored before anything changes
        if new_data != current:
            await self._store(name, state, new_data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(self._keys.build(key)))[1])

    async def purge_idle(self, older_than: timedelta) -> int:
        """Forget conversations nobody touched for `older_than`; returns how many."""
        async with unit_of_work(self._factory) as session:
            result = await session.execute(
                delete(FSMRecord).where(FSMRecord.updated_at < utcnow() - older_than)
            )
        self._cache.clear()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def close(self) -> None:
        self._cache.clear()
