"""Coaching rules without Telegram, on SQLite and PostgreSQL: free slots (windows, buffers,
notice, horizon, holidays, vacations, a day's maximum), no double booking of a coach's time
whatever the lengths and buffers, under 50 requests at once, expiry, and moving a session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from storage import coaching
from storage.coaching import coaches
from storage.coaching.sessions import Limits
from storage.coaching.tables import Coach, CoachCell, CoachingSession, Reason, Refused, Status
from storage.engine import SessionFactory, create_engine, create_session_factory, unit_of_work
from storage.users import Profile, touch
from tests.coaching_helpers import add_coach

# Tuesday 1 December 2026, 08:00 in Helsinki.
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
COACH = 5001
ANNA, BORIS = 1001, 1002
CROWD = tuple(range(6001, 6051))


def helsinki(day: date, hour: int, minute: int = 0) -> datetime:
    """A Helsinki wall-clock time in winter (UTC+2) as UTC."""
    return datetime(day.year, day.month, day.day, hour - 2, minute, tzinfo=UTC)


async def people(runtime: Runtime, *user_ids: int) -> None:
    async with unit_of_work(runtime.factory) as session:
        for user_id in user_ids:
            await touch(session, Profile(user_id, f"Person {user_id}", None, None), is_admin=False)


async def free(runtime: Runtime, now: datetime = NOW, **days: object) -> list[datetime]:
    async with unit_of_work(runtime.factory) as session:
        coach = await session.get(Coach, COACH)
        assert coach is not None
        return await coaching.free_slots(session, coach, now, **days)  # type: ignore[arg-type]


async def test_slots_follow_the_windows_a_session_and_its_buffer_apart(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, minutes=60, buffer=15, horizon_days=8)
    # Tuesdays 14:00-17:00: 14:00, then 15:15 (16:30 would end after 17:00). Today's are
    # within the 12 hours' notice; the horizon reaches next Tuesday only.
    assert await free(runtime) == [
        helsinki(date(2026, 12, 8), 14),
        helsinki(date(2026, 12, 8), 15, 15),
    ]


async def test_holidays_vacations_and_extra_windows(runtime: Runtime) -> None:
    christmas_eve = date(2026, 12, 24)  # a Thursday and a Finnish public holiday
    async with unit_of_work(runtime.factory) as session:
        await add_coach(
            session, COACH, minutes=60, buffer=0, horizon_days=30,
            weekly=[(3, 10 * 60, 11 * 60)],  # Thursdays 10-11
            blocked=[date(2026, 12, 10)],
            extra=[(date(2026, 12, 31), 12 * 60, 13 * 60)],  # New Year's Eve, a Thursday too
        )  # fmt: skip
    assert await free(runtime) == [
        helsinki(date(2026, 12, 3), 10),
        # 10 December: vacation; 17 December: an ordinary Thursday
        helsinki(date(2026, 12, 17), 10),
        # 24 December: a holiday, no one-off window; 31 December: not a public holiday, so
        # the weekly window and the extra one both stand
        helsinki(date(2026, 12, 31), 10),
        helsinki(date(2026, 12, 31), 12),
    ]
    del christmas_eve


async def test_a_coach_in_another_zone_is_offered_in_their_own_clock(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(
            session, COACH, zone="Europe/Moscow", country="RU", buffer=0, horizon_days=8
        )
    # 14:00 in Moscow is 11:00 UTC in winter and in summer (no DST there).
    assert (await free(runtime))[0] == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    assert (await free(runtime, summer))[0] == datetime(2026, 7, 7, 11, 0, tzinfo=UTC)


async def test_a_held_time_is_not_offered_and_cannot_be_requested_twice(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, horizon_days=8)
    await people(runtime, ANNA, BORIS)
    first = (await free(runtime))[0]
    async with unit_of_work(runtime.factory) as session:
        held = await coaching.request(session, COACH, ANNA, first, "My pitch deck", "online", NOW)
    assert held.status == Status.PENDING
    assert held.expires_at == NOW + timedelta(hours=24)
    assert first not in await free(runtime)
    with pytest.raises(Refused) as refused:
        async with unit_of_work(runtime.factory) as session:
            await coaching.request(session, COACH, BORIS, first, "Also my deck", "online", NOW)
    assert refused.value.reason is Reason.NO_SLOT


async def test_sessions_of_other_lengths_and_buffers_never_overlap(runtime: Runtime) -> None:
    tuesday = date(2026, 12, 8)
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, minutes=60, buffer=15, horizon_days=8)
    await people(runtime, ANNA, BORIS)
    async with unit_of_work(runtime.factory) as session:
        await coaching.request(
            session, COACH, ANNA, helsinki(tuesday, 14), "Funding round", "online", NOW
        )
        coach = await session.get(Coach, COACH)
        assert coach is not None
        coach.session_minutes, coach.buffer_minutes = 30, 15  # the coach changes their format
    # 30 + 15 from 14:00: 14:00 and 14:45 are inside the first session and its buffer (until
    # 15:15); 15:30 and 16:15 are free.
    assert await free(runtime, days=[tuesday]) == [
        helsinki(tuesday, 15, 30),
        helsinki(tuesday, 16, 15),
    ]
    async with unit_of_work(runtime.factory) as session:
        rows = await session.scalars(select(CoachCell.cell).where(CoachCell.coach_id == COACH))
        cells = sorted(rows)
    assert len(cells) == 15  # an hour and a quarter of five-minute cells
    async with unit_of_work(runtime.factory) as session:
        booked = (await session.scalars(select(CoachingSession))).one()
    assert list(range(booked.held_from, booked.held_to)) == cells  # the session says the same


async def test_a_days_maximum_and_the_notice(runtime: Runtime) -> None:
    wednesday = date(2026, 12, 2)
    async with unit_of_work(runtime.factory) as session:
        await add_coach(
            session, COACH, minutes=30, buffer=0, max_per_day=1, notice_hours=12, horizon_days=8,
            weekly=[(2, 9 * 60, 11 * 60)],
        )  # fmt: skip
    await people(runtime, ANNA)
    now = helsinki(date(2026, 12, 1), 21)  # 12 hours before 09:00 on Wednesday
    assert (await free(runtime, now))[0] == helsinki(wednesday, 9)
    later = now + timedelta(minutes=5)
    assert (await free(runtime, later))[0] == helsinki(wednesday, 9, 30)
    async with unit_of_work(runtime.factory) as session:
        booked = await coaching.request(
            session, COACH, ANNA, helsinki(wednesday, 10), "Taxes", "online", later
        )
    # answered at least the notice before it starts: expires at 22:00 the evening before
    assert booked.expires_at == helsinki(wednesday, 10) - timedelta(hours=12)
    assert [s for s in await free(runtime, later) if s.date() == wednesday] == []


async def test_limits_per_coach_and_in_all(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, minutes=30, buffer=0, horizon_days=21)
    await people(runtime, ANNA)
    slots = await free(runtime)
    async with unit_of_work(runtime.factory) as session:
        for start in slots[:2]:
            await coaching.request(session, COACH, ANNA, start, "Topic to discuss", "online", NOW)
    with pytest.raises(Refused) as refused:
        async with unit_of_work(runtime.factory) as session:
            await coaching.request(
                session, COACH, ANNA, slots[2], "Topic to discuss", "online", NOW
            )
    assert (refused.value.reason, refused.value.limit) == (Reason.LIMIT_COACH, 2)
    with pytest.raises(Refused) as refused:
        async with unit_of_work(runtime.factory) as session:
            limits = Limits(per_coach=5, total=2)
            await coaching.request(session, COACH, ANNA, slots[2], "Topic", "online", NOW, limits)
    assert refused.value.reason is Reason.LIMIT_TOTAL


@pytest.fixture
async def crowd_factory(runtime: Runtime) -> AsyncIterator[SessionFactory]:
    """A second engine with a connection for each of the crowd, so all 50 are truly at once."""
    engine = create_engine(runtime.settings.database_url, pool_size=len(CROWD), max_overflow=0)
    yield create_session_factory(engine)
    await engine.dispose()


async def test_of_50_people_requesting_one_slot_at_once_exactly_one_holds_it(
    runtime: Runtime, crowd_factory: SessionFactory
) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, horizon_days=8)
    await people(runtime, *CROWD)
    slot = (await free(runtime))[0]
    everyone_ready = asyncio.Barrier(len(CROWD))

    async def ask(user_id: int) -> CoachingSession:
        async with unit_of_work(crowd_factory) as session:
            await session.connection()
            await everyone_ready.wait()
            return await coaching.request(
                session, COACH, user_id, slot, "A topic to discuss", "online", NOW
            )

    results = await asyncio.gather(*(ask(u) for u in CROWD), return_exceptions=True)
    unexpected = [r for r in results if not isinstance(r, CoachingSession | Refused)]
    if unexpected:
        raise unexpected[0]
    assert len([r for r in results if isinstance(r, CoachingSession)]) == 1
    assert {r.reason for r in results if isinstance(r, Refused)} <= {Reason.TAKEN, Reason.NO_SLOT}
    async with unit_of_work(runtime.factory) as session:
        live = await session.scalar(
            select(func.count())
            .select_from(CoachingSession)
            .where(CoachingSession.status.in_(coaching.LIVE))
        )
        cells = await session.scalar(select(func.count()).select_from(CoachCell))
    assert (live, cells) == (1, 15)


async def test_only_the_owner_coach_answers_and_a_retired_one_cannot(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, horizon_days=8)
        await add_coach(session, COACH + 1, horizon_days=8)
    await people(runtime, ANNA)
    async with unit_of_work(runtime.factory) as session:
        booked = await coaching.request(
            session, COACH, ANNA, (await free(runtime))[0], "My topic here", "online", NOW
        )
    for presser, reason in ((ANNA, Reason.NOT_COACH), (COACH + 1, Reason.NOT_OWNER)):
        with pytest.raises(Refused) as refused:
            async with unit_of_work(runtime.factory) as session:
                await coaching.accept(session, booked.id, presser, NOW)
        assert refused.value.reason is reason
    async with unit_of_work(runtime.factory) as session:
        coach = await session.get(Coach, COACH)
        assert coach is not None
        ended = await coaching.end_all_of(session, COACH, NOW, "#retired")
        await coaches.retire(session, coach, NOW)
    assert [(b.id, was) for b, was in ended] == [(booked.id, Status.PENDING)]
    with pytest.raises(Refused) as refused:
        async with unit_of_work(runtime.factory) as session:
            await coaching.accept(session, booked.id, COACH, NOW)
    assert refused.value.reason is Reason.RETIRED


async def test_a_request_nobody_answers_expires_and_frees_the_time(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, horizon_days=8)
    await people(runtime, ANNA)
    slot = (await free(runtime))[0]
    async with unit_of_work(runtime.factory) as session:
        booked = await coaching.request(session, COACH, ANNA, slot, "My topic here", "online", NOW)
    assert booked.expires_at is not None
    async with unit_of_work(runtime.factory) as session:
        assert await coaching.expire_due(session, booked.expires_at - timedelta(seconds=1)) == []
    async with unit_of_work(runtime.factory) as session:
        expired = await coaching.expire_due(session, booked.expires_at)
    assert [b.status for b in expired] == [Status.EXPIRED]
    assert slot in await free(runtime, booked.expires_at)
    with pytest.raises(Refused) as refused:
        async with unit_of_work(runtime.factory) as session:
            await coaching.accept(session, booked.id, COACH, booked.expires_at)
    assert refused.value.reason is Reason.ANSWERED


async def test_a_confirmed_session_keeps_its_time_until_the_coach_accepts_the_move(
    runtime: Runtime,
) -> None:
    async with unit_of_work(runtime.factory) as session:
        await add_coach(session, COACH, horizon_days=15)
    await people(runtime, ANNA, BORIS)
    first, second = (await free(runtime))[:2]
    async with unit_of_work(runtime.factory) as session:
        booked = await coaching.request(session, COACH, ANNA, first, "My topic here", "online", NOW)
        await coaching.accept(session, booked.id, COACH, NOW)
    async with unit_of_work(runtime.factory) as session:
        await coaching.request_move(session, booked.id, ANNA, second, NOW)
    remaining = await free(runtime)
    assert first not in remaining and second not in remaining  # both held meanwhile
    async with unit_of_work(runtime.factory) as session:
        lapsed = await coaching.moves_lapsed(session, NOW + timedelta(hours=25))
    assert [(b.starts_at, asked) for b, asked in lapsed] == [(first, second)]
    assert second in await free(runtime)  # the original time stands; the other is free again
    async with unit_of_work(runtime.factory) as session:
        await coaching.request_move(session, booked.id, ANNA, second, NOW)
        moved, _asked = await coaching.answer_move(session, booked.id, COACH, True, NOW)
    assert (moved.starts_at, moved.sequence) == (second, 2)
    remaining = await free(runtime)
    assert first in remaining and second not in remaining
