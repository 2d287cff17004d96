"""The issue's acceptance test: 50 people confirm the last free desk(s) at the same moment.

Every attempt is its own transaction on its own connection, all opened before anyone
writes; the database alone decides who wins, on SQLite (WAL + busy timeout) and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from storage import desks
from storage.desks import LIVE, DeskBooking, DeskSlot, Reason, Refused
from storage.desks.opening import Period, Place
from storage.engine import SessionFactory, create_engine, create_session_factory, unit_of_work
from storage.users import Profile, touch

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday, 08:00 in Lappeenranta
DAY = date(2026, 12, 2)
SEATED = tuple(range(1001, 1009))
CROWD = tuple(range(2001, 2051))


@pytest.fixture
async def crowd_factory(runtime: Runtime) -> AsyncIterator[SessionFactory]:
    """A second engine with a connection for each of the crowd, so all 50 are truly at once."""
    engine = create_engine(runtime.settings.database_url, pool_size=len(CROWD), max_overflow=0)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.mark.parametrize("free", [1, 3], ids=["the-last-desk", "any-of-the-last-three"])
async def test_of_many_people_confirming_at_once_one_gets_each_desk(
    runtime: Runtime, crowd_factory: SessionFactory, free: int
) -> None:
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    async with unit_of_work(runtime.factory) as session:
        for user_id in (*SEATED, *CROWD):
            await touch(session, Profile(user_id, f"Person {user_id}", None, None), is_admin=False)
        for user_id, desk in zip(SEATED, lpr.desks[:-free], strict=False):
            await desks.book(session, lpr, user_id, DAY, Period.MORNING, NOW, desk_id=desk.id)
    last = lpr.desks[-free:]
    wanted = last[0].id if free == 1 else None  # that desk, or "any free desk"
    everyone_ready = asyncio.Barrier(len(CROWD))

    async def confirm(user_id: int) -> DeskBooking:
        async with unit_of_work(crowd_factory) as session:
            await session.connection()
            await everyone_ready.wait()
            return await desks.book(session, lpr, user_id, DAY, Period.MORNING, NOW, desk_id=wanted)

    results = await asyncio.gather(*(confirm(u) for u in CROWD), return_exceptions=True)
    unexpected = [r for r in results if not isinstance(r, DeskBooking | Refused)]
    if unexpected:
        raise unexpected[0]
    winners = [r for r in results if isinstance(r, DeskBooking)]
    assert sorted(w.desk_id for w in winners) == sorted(d.id for d in last)
    assert [r.reason for r in results if isinstance(r, Refused)] == [Reason.TAKEN] * (50 - free)
    await assert_one_person_per_desk(runtime, lpr, winners)


async def assert_one_person_per_desk(
    runtime: Runtime, place: Place, winners: list[DeskBooking]
) -> None:
    async with runtime.factory() as session:
        live = (
            await session.scalars(
                select(DeskBooking).where(DeskBooking.day == DAY, DeskBooking.status.in_(LIVE))
            )
        ).all()
        clashes = (
            await session.execute(
                select(DeskSlot.desk_id, DeskSlot.half)
                .group_by(DeskSlot.desk_id, DeskSlot.day, DeskSlot.half)
                .having(func.count() > 1)
            )
        ).all()
        slots = (await session.execute(select(DeskSlot.desk_id, DeskSlot.booking_id))).all()
        all_bookings = await session.scalar(select(func.count()).select_from(DeskBooking))
        (shown,) = await desks.availability(session, place, [DAY], NOW)
    assert len(live) == len(place.desks) == all_bookings, "the losers left no booking behind"
    assert sorted(b.desk_id for b in live) == sorted(d.id for d in place.desks)
    assert {w.id for w in winners} <= {b.id for b in live}
    assert clashes == []
    assert sorted(slots) == sorted((b.desk_id, b.id) for b in live)
    assert shown.free[Period.MORNING] == 0
