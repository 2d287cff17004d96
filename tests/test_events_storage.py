"""Seats and the line, on SQLite and PostgreSQL: capacity under 50 concurrent registrations,
the one promotion path (unregister, staff removal, more seats), who it skips, the closing
time, courses, cancellation, and the seed file's checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from bot.app import Runtime
from content.events import load_events
from content.loader import ContentError
from content.places import load_places
from storage.engine import SessionFactory, create_engine, create_session_factory, unit_of_work
from storage.events import listing, seats
from storage.events.tables import Event, Reason, Refused, Registration, Seat
from storage.users import User
from tests.events_helpers import add_events, people, sample

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
CROWD = tuple(range(2001, 2051))


@pytest.fixture
async def crowd_factory(runtime: Runtime) -> AsyncIterator[SessionFactory]:
    engine = create_engine(runtime.settings.database_url, pool_size=len(CROWD), max_overflow=0)
    yield create_session_factory(engine)
    await engine.dispose()


async def test_fifty_people_for_the_last_seat_one_gets_it(
    runtime: Runtime, crowd_factory: SessionFactory
) -> None:
    ids = await add_events(runtime, NOW, sample("last", STARTS, capacity=3))
    await people(runtime, 1001, 1002, *CROWD)
    async with unit_of_work(runtime.factory) as session:
        for user_id in (1001, 1002):
            await seats.register(session, ids["last"], user_id, NOW)
    ready = asyncio.Barrier(len(CROWD))

    async def register(user_id: int) -> seats.Taken:
        async with unit_of_work(crowd_factory) as session:
            await session.connection()
            await ready.wait()
            return await seats.register(session, ids["last"], user_id, NOW)

    results = await asyncio.gather(*(register(u) for u in CROWD), return_exceptions=True)
    errors = [r for r in results if not isinstance(r, seats.Taken)]
    if errors:
        raise errors[0]
    seated = [r for r in results if isinstance(r, seats.Taken) and r.seated]
    assert len(seated) == 1
    async with runtime.factory() as session:
        event = await session.get(Event, ids["last"])
        assert event is not None and event.taken == 3
        counted = await listing.counts(session, ids["last"])
        assert (counted.registered, counted.waiting) == (3, 49)
        places = sorted(
            [await seats.place_in_line(session, r.registration) for r in results if not r.seated]
        )
        assert places == list(range(1, 50))  # one line, no two people at one place


async def test_a_freed_seat_goes_to_the_first_in_line_skipping_who_blocked_the_bot(
    runtime: Runtime,
) -> None:
    ids = await add_events(runtime, NOW, sample("full", STARTS, capacity=1))
    await people(runtime, 1, 2, 3, 4)
    async with unit_of_work(runtime.factory) as session:
        assert (await seats.register(session, ids["full"], 1, NOW)).seated
        for user_id in (2, 3, 4):
            taken = await seats.register(
                session, ids["full"], user_id, NOW + timedelta(minutes=user_id)
            )
            assert not taken.seated
        assert taken.place == 3
        await session.execute(update(User).where(User.id == 2).values(blocked_at=NOW))
    async with unit_of_work(runtime.factory) as session:
        mine, was_seat, freed = await seats.leave(session, ids["full"], 1, NOW)
        assert was_seat and mine.status == Seat.LEFT
        assert [r.user_id for r in freed.promoted] == [3]
    async with runtime.factory() as session:
        statuses = {
            r.user_id: r.status for r in await seats.holders(session, ids["full"], tuple(Seat))
        }
        assert statuses == {1: Seat.LEFT, 2: Seat.SKIPPED, 3: Seat.REGISTERED, 4: Seat.WAITING}


async def test_more_seats_promote_several_and_fewer_than_taken_is_refused(runtime: Runtime) -> None:
    ids = await add_events(runtime, NOW, sample("grow", STARTS, capacity=1))
    await people(runtime, 1, 2, 3, 4)
    async with unit_of_work(runtime.factory) as session:
        for user_id in (1, 2, 3, 4):
            await seats.register(session, ids["grow"], user_id, NOW + timedelta(seconds=user_id))
        freed = await seats.set_capacity(session, ids["grow"], 3, NOW)
        assert [r.user_id for r in freed.promoted] == [2, 3]
        with pytest.raises(Refused) as refused:
            await seats.set_capacity(session, ids["grow"], 2, NOW)
        assert refused.value.reason == Reason.BELOW_TAKEN


async def test_staff_removal_promotes_and_the_line_stops_at_the_closing_time(
    runtime: Runtime,
) -> None:
    closes = STARTS - timedelta(days=1)
    ids = await add_events(runtime, NOW, sample("shut", STARTS, capacity=1, closes=closes))
    await people(runtime, 1, 2, 3)
    async with unit_of_work(runtime.factory) as session:
        for user_id in (1, 2, 3):
            await seats.register(session, ids["shut"], user_id, NOW + timedelta(seconds=user_id))
        _mine, _seat, freed = await seats.leave(session, ids["shut"], 1, NOW, status=Seat.REMOVED)
        assert [r.user_id for r in freed.promoted] == [2]
    after = closes + timedelta(minutes=1)
    async with unit_of_work(runtime.factory) as session:
        _mine, was_seat, freed = await seats.leave(session, ids["shut"], 2, after)
        assert was_seat and freed.promoted == []  # closed: the line no longer moves
        with pytest.raises(Refused) as refused:
            await seats.register(session, ids["shut"], 1, after)
        assert refused.value.reason == Reason.CLOSED


async def test_erasing_a_person_frees_their_seats_through_the_line_and_keeps_the_count(
    runtime: Runtime,
) -> None:
    ids = await add_events(
        runtime, NOW, sample("one", STARTS, capacity=1), sample("two", STARTS, capacity=2)
    )
    await people(runtime, 1, 2, 3)
    async with unit_of_work(runtime.factory) as session:
        for user_id in (1, 2):
            await seats.register(session, ids["one"], user_id, NOW + timedelta(seconds=user_id))
        await seats.register(session, ids["two"], 1, NOW)
        await seats.register(session, ids["two"], 3, NOW)
    async with unit_of_work(runtime.factory) as session:
        freed = await seats.forget_person(session, 1, NOW)
        assert [(r.event_id, r.user_id) for r in freed.promoted] == [(ids["one"], 2)]
        await session.execute(delete(User).where(User.id == 1))
    async with runtime.factory() as session:
        one, two = await session.get(Event, ids["one"]), await session.get(Event, ids["two"])
        assert one is not None and two is not None
        assert (one.taken, two.taken) == (1, 1)  # person 2's seat; person 3's seat
        assert (await listing.counts(session, ids["two"])).registered == 1


async def test_refusals_a_double_tap_a_cancelled_event_and_not_yet_open(runtime: Runtime) -> None:
    ids = await add_events(
        runtime, NOW,
        sample("once", STARTS), sample("gone", STARTS, cancelled=True),
        sample("later", STARTS, opens=NOW + timedelta(days=1)),
    )  # fmt: skip
    await people(runtime, 1)
    async with unit_of_work(runtime.factory) as session:
        await seats.register(session, ids["once"], 1, NOW)
        cases = [("once", Reason.ALREADY), ("gone", Reason.CANCELLED), ("later", Reason.NOT_OPEN)]
        for key, reason in cases:
            with pytest.raises(Refused) as refused:
                await seats.register(session, ids[key], 1, NOW)
            assert refused.value.reason == reason
        with pytest.raises(Refused) as refused:
            await seats.register(session, 99999, 1, NOW)
        assert refused.value.reason == Reason.NOT_FOUND
        with pytest.raises(Refused) as refused:
            await seats.leave(session, ids["later"], 1, NOW)
        assert refused.value.reason == Reason.NOT_REGISTERED
        with pytest.raises(Refused) as refused:
            await seats.leave(session, ids["once"], 1, STARTS)
        assert refused.value.reason == Reason.STARTED


async def test_a_course_is_one_registration_for_all_its_sessions(runtime: Runtime) -> None:
    ids = await add_events(runtime, NOW, sample("course", STARTS, kind="course", parts=3))
    await people(runtime, 1)
    async with unit_of_work(runtime.factory) as session:
        parts = await listing.parts(session, ids["course"])
        assert [p.starts_at for p in parts] == [STARTS + timedelta(days=7 * n) for n in range(3)]
        event = await session.get(Event, ids["course"])
        assert event is not None and event.ends_at == parts[-1].ends_at
        await seats.register(session, ids["course"], 1, NOW)
        assert [e.key for _r, e in await listing.mine(session, 1, NOW)] == ["course"]
        # after the first session the course is still "mine" until its last one ends
        later = parts[1].starts_at
        assert [e.key for _r, e in await listing.mine(session, 1, later)] == ["course"]


async def test_cancelling_ends_every_seat_and_place(runtime: Runtime) -> None:
    ids = await add_events(runtime, NOW, sample("off", STARTS, capacity=1))
    await people(runtime, 1, 2)
    async with unit_of_work(runtime.factory) as session:
        await seats.register(session, ids["off"], 1, NOW)
        await seats.register(session, ids["off"], 2, NOW)
        held = await seats.cancel_event(session, ids["off"], NOW)
        assert sorted(r.user_id for r in held) == [1, 2]
    async with runtime.factory() as session:
        left = await session.scalar(
            select(func.count()).where(
                Registration.event_id == ids["off"], Registration.status.in_(seats.HOLDING)
            )
        )
        assert left == 0
        assert (await listing.upcoming(session, NOW)).total == 0


async def test_the_seed_sync_moves_an_event_and_raises_its_version(runtime: Runtime) -> None:
    ids = await add_events(runtime, NOW, sample("move", STARTS))
    moved = sample("move", STARTS + timedelta(hours=1))
    async with unit_of_work(runtime.factory) as session:
        from storage.events.seed import sync_events

        synced = await sync_events(session, [moved], runtime.places, NOW)
        assert [e.id for e in synced.moved] == [ids["move"]]
        event = await session.get(Event, ids["move"])
        assert event is not None and event.version == 1
        assert event.starts_at == STARTS + timedelta(hours=1)


def test_the_shipped_events_file_is_valid() -> None:
    events = load_events(places=load_places())
    assert {e.kind for e in events} >= {"course", "workshop"}
    assert any(len(e.parts) > 1 for e in events)


def test_a_broken_events_file_names_each_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(
        "events:\n"
        "  - key: Bad Key\n"  # line 2
        "    kind: party\n"
        "    title: {ru: Только по-русски}\n"
        "    description: {en: x}\n"
        "    language: de\n"
        "    location: nowhere\n"
        "    capacity: 0\n"
        "    sessions:\n"
        "      - {start: '2027-03-28 03:30', end: '2027-03-28 05:00'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_events(path, load_places())
    text = "\n".join(str(p) for p in error.value.problems)
    for expected in (
        ":2: event: key", ":3: event: kind", "title needs en", ":6: event: language",
        ":7: event: location 'nowhere'", ":8: event: capacity",
    ):  # fmt: skip
        assert expected in text, text
