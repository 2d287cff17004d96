"""Storage rules without Telegram: times in UTC, users, the cached directory, FSM records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.app import Runtime
from storage.engine import ambient, create_engine, create_session_factory, unit_of_work
from storage.fsm import FSMRecord, SQLStorage
from storage.users import Directory, Profile, User, mark_blocked, touch
from tests.conftest import FakeClock

ANNA = Profile(1001, "Anna", "Virtanen", "anna_v")


async def test_times_are_stored_and_read_as_aware_utc(runtime: Runtime) -> None:
    helsinki_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    async with unit_of_work(runtime.factory) as session:
        await touch(session, ANNA, is_admin=False)
        user = await session.get(User, ANNA.id)
        assert user is not None
        user.blocked_at = helsinki_noon
    async with runtime.factory() as session:
        stored = (await session.execute(select(User.blocked_at))).scalar_one()
    assert stored == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert stored.tzinfo is not None


async def test_naive_datetimes_are_refused(runtime: Runtime) -> None:
    with pytest.raises(Exception, match="naive datetimes"):
        async with unit_of_work(runtime.factory) as session:
            await touch(session, ANNA, is_admin=False)
            user = await session.get(User, ANNA.id)
            assert user is not None
            user.blocked_at = datetime(2026, 1, 1)


async def test_touch_creates_then_refreshes_the_profile(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        first = await touch(session, ANNA, is_admin=True)
        await mark_blocked(session, ANNA.id)
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(ANNA.id, "Anna", None, "anna_new"), is_admin=False)
    async with runtime.factory() as session:
        user = await session.get(User, ANNA.id)
    assert first.is_admin
    assert user is not None
    assert (user.username, user.last_name, user.blocked_at) == ("anna_new", None, None)
    assert user.is_admin, "being an admin is not taken away by a later contact"


async def test_directory_writes_only_when_something_changed(runtime: Runtime) -> None:
    clock = FakeClock(step=0.0)
    directory = Directory(refresh=300, clock=clock)
    writes: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    for _ in range(5):
        async with unit_of_work(runtime.factory) as session:
            await directory.resolve(session, ANNA)
    assert len(writes) == 1, "first contact only"
    async with unit_of_work(runtime.factory) as session:
        await directory.resolve(session, Profile(ANNA.id, "Anna", "Virtanen", "renamed"))
    clock.advance(301)
    async with unit_of_work(runtime.factory) as session:
        await directory.resolve(session, Profile(ANNA.id, "Anna", "Virtanen", "renamed"))
    assert len(writes) == 3, "a profile change and a stale last_seen_at each write once"


async def test_sql_fsm_storage_survives_a_new_instance(runtime: Runtime) -> None:
    if not isinstance(runtime.storage, SQLStorage):
        pytest.skip("this run keeps conversations in Redis")
    key = StorageKey(bot_id=42, chat_id=7, user_id=7)
    first = SQLStorage(runtime.factory)
    await first.set_state(key, "Booking:choose_day")
    await first.update_data(key, {"location": "lpr", "day": "2026-12-01"})
    second = SQLStorage(runtime.factory)
    assert await second.get_state(key) == "Booking:choose_day"
    assert await second.get_data(key) == {"location": "lpr", "day": "2026-12-01"}
    await second.set_state(key, None)
    await second.set_data(key, {})
    async with runtime.factory() as session:
        assert (await session.execute(select(FSMRecord))).first() is None


async def test_fsm_data_that_cannot_be_stored_changes_nothing(runtime: Runtime) -> None:
    if not isinstance(runtime.storage, SQLStorage):
        pytest.skip("this run keeps conversations in Redis")
    key = StorageKey(bot_id=42, chat_id=8, user_id=8)
    await runtime.storage.set_data(key, {"ok": 1})
    with pytest.raises(TypeError):
        await runtime.storage.set_data(key, {"when": datetime.now(UTC)})
    assert await SQLStorage(runtime.factory).get_data(key) == {"ok": 1}


async def test_idle_conversations_are_purged(runtime: Runtime) -> None:
    if not isinstance(runtime.storage, SQLStorage):
        pytest.skip("this run keeps conversations in Redis")
    key = StorageKey(bot_id=42, chat_id=9, user_id=9)
    await runtime.storage.set_state(key, "Booking:confirm")
    assert await runtime.storage.purge_idle(timedelta(days=30)) == 0
    assert await runtime.storage.purge_idle(timedelta(seconds=-1)) == 1
    assert await runtime.storage.get_state(key) is None


async def test_unit_of_work_rolls_back_everything_when_the_block_fails(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError, match="handler failed"):
        async with unit_of_work(runtime.factory) as session:
            await touch(session, ANNA, is_admin=False)
            raise RuntimeError("handler failed")
    async with runtime.factory() as session:
        assert await session.get(User, ANNA.id) is None


async def test_a_failed_commit_loses_the_update_but_not_the_connection(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await touch(session, ANNA, is_admin=False)
    for _ in range(10):  # more failures than the pool has connections
        with pytest.raises(IntegrityError):
            async with unit_of_work(runtime.factory) as session:
                session.add(User(id=ANNA.id, first_name="Duplicate"))
    async with unit_of_work(runtime.factory) as session:
        user = await session.get(User, ANNA.id)
    assert user is not None and user.first_name == "Anna"


async def test_a_flow_step_after_a_write_in_the_same_update_is_stored_with_it(
    runtime: Runtime,
) -> None:
    """The conversation storage writes in the update's transaction: on SQLite a second
    connection would wait for the update's own write lock and fail as "database is locked"."""
    if not isinstance(runtime.storage, SQLStorage):
        pytest.skip("the SQL storage only")
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    async with unit_of_work(runtime.factory) as session:
        with ambient(session):
            await touch(session, Profile(5, "Eva", None, None), is_admin=False)
            await runtime.storage.set_state(key, "BookDesk:choosing")
    assert await SQLStorage(runtime.factory).get_state(key) == "BookDesk:choosing"


async def test_a_flow_step_of_a_failed_update_is_forgotten(runtime: Runtime) -> None:
    if not isinstance(runtime.storage, SQLStorage):
        pytest.skip("the SQL storage only")
    key = StorageKey(bot_id=1, chat_id=6, user_id=6)
    with pytest.raises(RuntimeError):
        async with unit_of_work(runtime.factory) as session:
            with ambient(session):
                await runtime.storage.set_state(key, "BookDesk:choosing")
                raise RuntimeError("the handler failed")
    assert await runtime.storage.get_state(key) is None
    assert await SQLStorage(runtime.factory).get_state(key) is None


@pytest.mark.parametrize("idle_seconds", [0.0, 3600.0])
async def test_a_connection_the_server_dropped_costs_at_most_one_unit_of_work(
    runtime: Runtime, idle_seconds: float
) -> None:
    """An idle pooled connection the server closed is pinged and replaced before use; one
    that looked fresh fails the unit of work that meets it, and only that one."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop the connection")
    engine = create_engine(runtime.settings.database_url, ping_after_idle=idle_seconds)
    factory = create_session_factory(engine)
    try:
        async with unit_of_work(factory) as session:
            first = await session.scalar(text("SELECT pg_backend_pid()"))
        async with runtime.engine.begin() as connection:  # the server ends that connection
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        if idle_seconds > 0:  # not pinged: this unit of work meets the dead connection
            with pytest.raises(DBAPIError):
                async with unit_of_work(factory) as session:
                    await session.scalar(text("SELECT pg_backend_pid()"))
        async with unit_of_work(factory) as session:
            await touch(session, ANNA, is_admin=False)
            second = await session.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
        async with unit_of_work(factory) as session:
            assert await session.get(User, ANNA.id) is not None
    finally:
        await engine.dispose()
