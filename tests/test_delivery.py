"""The delivery engine on SQLite and on PostgreSQL (+ Redis for the shared rate): a message is
sent once the change that wrote it commits and never for one that rolled back, each row is
sent exactly once even with two engines on one database, a dead engine's rows are taken over
when its lease runs out, and Telegram's refusals each end the way they should."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Runtime, open_runtime
from bot.sandbox.recording import RecordingSession
from bot.settings import Settings
from handlers.desks import notices
from scheduler.delivery import Delivery, Rendered, rate_storage
from scheduler.messages import renderers
from storage import desks, outbox
from storage.base import utcnow
from storage.desks import closures
from storage.desks.opening import Period
from storage.engine import create_session_factory, unit_of_work
from storage.outbox import Doorbell, OutboxMessage, State
from storage.users import Profile, User, set_locale, touch

ANNA, BORIS = 1001, 1002


class Wall:
    """The engine's clock: a moment from now (so what is written now is due), until a test
    moves it."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.now


async def note(_session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
    if row.params.get("gone"):
        return None
    return [Rendered(f"note {row.params['n']}")]


def engine(runtime: Runtime, bot: Bot, wall: Wall | None = None, **options: Any) -> Delivery:
    options.setdefault("rate", 0)  # these tests count, they do not time
    return Delivery(
        runtime.factory, bot, runtime.i18n, {"test.note": note}, clock=wall or utcnow, **options
    )


async def enqueue(runtime: Runtime, chat_id: int, *numbers: int, **options: Any) -> None:
    async with unit_of_work(runtime.factory) as session:
        for n in numbers:
            outbox.enqueue(session, chat_id, "test.note", params={"n": n, **options})


async def drain(delivery: Delivery) -> int:
    """Rounds until nothing is due (a chat gets one message a round); how many rows."""
    total = 0
    while handled := await delivery.deliver_due():
        total += handled
    return total


def received(bot: Bot, chat_id: int) -> list[str]:
    session = bot.session
    assert isinstance(session, RecordingSession)
    return [m.text or "" for m in session.chat(chat_id).messages.values()]


async def rows(runtime: Runtime) -> list[OutboxMessage]:
    async with unit_of_work(runtime.factory) as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_committed_message_is_sent_once_and_recorded(runtime: Runtime, bot: Bot) -> None:
    await enqueue(runtime, ANNA, 1, 2, 3)
    delivery = engine(runtime, bot)
    assert await drain(delivery) == 3
    assert await delivery.deliver_due() == 0
    assert received(bot, ANNA) == ["note 1", "note 2", "note 3"]  # one chat's rows in order
    assert {(r.state, r.attempts) for r in await rows(runtime)} == {(State.SENT, 1)}
    assert all(r.message_id and r.sent_at for r in await rows(runtime))


async def test_a_change_that_rolls_back_sends_nothing_and_rings_nobody(runtime: Runtime) -> None:
    doorbell = Doorbell()
    factory = create_session_factory(runtime.engine, outbox_doorbell=doorbell)
    with pytest.raises(RuntimeError):
        async with unit_of_work(factory) as session:
            outbox.enqueue(session, ANNA, "test.note", params={"n": 1})
            raise RuntimeError("the update failed")
    assert await rows(runtime) == []
    assert not await doorbell.wait(0)
    async with unit_of_work(factory) as session:
        outbox.enqueue(session, ANNA, "test.note", params={"n": 2})
    assert await doorbell.wait(0)  # committed: the engine is woken at once


async def test_a_message_written_is_seen_by_the_rest_of_its_transaction(
    runtime: Runtime,
) -> None:
    """Messages are written in one statement, but before anything else the transaction
    does: what follows (a cancellation, an erasure) finds them, as with ORM objects."""
    async with unit_of_work(runtime.factory) as session:
        outbox.enqueue(session, ANNA, "test.note", params={"n": 1})
        outbox.enqueue(session, ANNA, "test.note", params={"n": 2})
        found = await session.scalars(select(OutboxMessage.params).order_by(OutboxMessage.id))
        assert list(found) == [{"n": 1}, {"n": 2}]
        outbox.enqueue(session, ANNA, "test.note", params={"n": 3})
    assert [r.params for r in await rows(runtime)] == [{"n": 1}, {"n": 2}, {"n": 3}]


async def test_a_future_message_waits_for_its_time(runtime: Runtime, bot: Bot) -> None:
    wall = Wall()
    async with unit_of_work(runtime.factory) as session:
        outbox.enqueue(session, ANNA, "test.note", params={"n": 1},
                       due_at=wall.now + timedelta(hours=1))  # fmt: skip
    delivery = engine(runtime, bot, wall)
    assert await delivery.deliver_due() == 0
    wall.now += timedelta(hours=1, seconds=1)
    assert await delivery.deliver_due() == 1
    assert received(bot, ANNA) == ["note 1"]


async def test_what_is_no_longer_useful_is_dropped_not_sent(runtime: Runtime, bot: Bot) -> None:
    wall = Wall()
    await enqueue(runtime, ANNA, 1, gone=True)
    async with unit_of_work(runtime.factory) as session:
        outbox.enqueue(session, ANNA, "test.note", params={"n": 2},
                       useful_until=wall.now - timedelta(seconds=1))  # fmt: skip
    assert await drain(engine(runtime, bot, wall)) == 2
    assert received(bot, ANNA) == []
    assert [r.state for r in await rows(runtime)] == [State.DROPPED, State.DROPPED]


async def test_two_engines_on_one_database_send_each_message_exactly_once(
    runtime: Runtime, bot: Bot
) -> None:
    for chat in range(2000, 2040):
        await enqueue(runtime, chat, 1, 2, 3)
    one = engine(runtime, bot, batch=25, owner="one")
    two = engine(runtime, bot, batch=25, owner="two")

    counts = await asyncio.gather(drain(one), drain(two))
    assert sum(counts) == 120
    for chat in range(2000, 2040):
        assert received(bot, chat) == ["note 1", "note 2", "note 3"]


async def test_a_dead_engines_messages_are_taken_over_when_its_lease_runs_out(
    runtime: Runtime, bot: Bot
) -> None:
    wall = Wall()
    await enqueue(runtime, ANNA, 1)
    async with unit_of_work(runtime.factory) as session:  # claimed, then the process died
        assert len(await outbox.claim(session, "dead", wall.now, 10, timedelta(seconds=60))) == 1
    survivor = engine(runtime, bot, wall, owner="survivor")
    assert await survivor.deliver_due() == 0  # still leased
    wall.now += timedelta(seconds=61)
    assert await survivor.deliver_due() == 1
    assert received(bot, ANNA) == ["note 1"]
    [row] = await rows(runtime)
    assert (row.state, row.attempts) == (State.SENT, 2)


async def test_a_blocked_person_is_marked_and_their_other_messages_dropped(
    runtime: Runtime, bot: Bot
) -> None:
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(ANNA, "Anna", None, None), is_admin=False)
    await enqueue(runtime, ANNA, 1, 2)
    await enqueue(runtime, BORIS, 3)

    async def anna_blocked(method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage) and method.chat_id == ANNA:
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")

    recording(bot).on_call = anna_blocked
    assert await drain(engine(runtime, bot)) == 2  # Anna's second is dropped with the first
    assert received(bot, BORIS) == ["note 3"]
    assert [r.state for r in await rows(runtime)] == [State.DROPPED, State.DROPPED, State.SENT]
    async with unit_of_work(runtime.factory) as session:
        assert (await session.get(User, ANNA)).blocked_at is not None  # type: ignore[union-attr]
    await enqueue(runtime, ANNA, 4)  # written later: tried (Telegram is the judge), dropped
    assert await engine(runtime, bot).deliver_due() == 1
    assert (await rows(runtime))[-1].state == State.DROPPED and received(bot, ANNA) == []


async def test_server_errors_are_retried_with_backoff_then_fail(runtime: Runtime, bot: Bot) -> None:
    wall = Wall()
    await enqueue(runtime, ANNA, 1)

    async def down(method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage):
            raise TelegramServerError(method, "Bad Gateway")

    recording(bot).on_call = down
    delivery = engine(runtime, bot, wall, max_attempts=3)
    for _ in range(3):
        assert await delivery.deliver_due() == 1
        [row] = await rows(runtime)
        wall.now += timedelta(minutes=10)
    assert (row.state, row.attempts, row.last_error) == (
        State.FAILED,
        3,
        "Telegram server says - Bad Gateway",
    )
    assert received(bot, ANNA) == []


async def test_a_429_pauses_everything_for_its_retry_after(runtime: Runtime, bot: Bot) -> None:
    wall = Wall()
    await enqueue(runtime, ANNA, 1, 3)  # her second waits behind the first, also in the pause
    calls = 0

    async def flood(method: TelegramMethod[Any]) -> None:
        nonlocal calls
        if isinstance(method, SendMessage):
            calls += 1
            if calls == 1:
                raise TelegramRetryAfter(method, "Too Many Requests: retry after 600", 600)

    recording(bot).on_call = flood
    delivery = engine(runtime, bot, wall)
    assert await delivery.deliver_due() == 1
    assert delivery.paused_until == wall.now + timedelta(seconds=600)
    await enqueue(runtime, BORIS, 2)
    wall.now += timedelta(seconds=599)
    assert await delivery.deliver_due() == 0  # nobody is written to during the pause
    wall.now += timedelta(seconds=2)
    assert await drain(delivery) == 3
    assert received(bot, ANNA) == ["note 1", "note 3"] and received(bot, BORIS) == ["note 2"]


async def test_the_staff_hear_once_of_a_long_pause_and_when_it_ends(
    runtime: Runtime, bot: Bot
) -> None:
    wall = Wall()
    staff, away = 3001, 3002
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(staff, "Olga", None, None), is_admin=True)
        await set_locale(session, staff, "fi")
    await enqueue(runtime, ANNA, 1)
    await enqueue(runtime, BORIS, 2)
    floods = 0

    async def flood(method: TelegramMethod[Any]) -> None:
        nonlocal floods
        if isinstance(method, SendMessage) and int(method.chat_id) in (ANNA, BORIS):
            floods += 1
            raise TelegramRetryAfter(method, "Too Many Requests: retry after 3600", 3600)

    recording(bot).on_call = flood
    delivery = engine(runtime, bot, wall, admin_ids=frozenset({staff, away}))  # away: no /start
    assert await delivery.deliver_due() == 2
    [notice] = received(bot, staff)
    resume = (wall.now + timedelta(seconds=3600)).strftime("%-H.%M")
    assert notice.startswith("⏸ Telegram on pyytänyt bottia hidastamaan") and resume in notice
    wall.now += timedelta(seconds=1800)
    assert await delivery.deliver_due() == 0
    assert len(received(bot, staff)) == 1  # once a pause
    assert received(bot, away) == []
    recording(bot).on_call = None
    wall.now += timedelta(seconds=1801)
    assert await drain(delivery) == 2
    assert received(bot, ANNA) == ["note 1"] and len(received(bot, staff)) == 1


async def test_the_shared_rate_counts_in_redis_when_it_is_set(runtime: Runtime, bot: Bot) -> None:
    url = runtime.settings.redis_url
    if not url:
        pytest.skip("the shared rate needs Redis (TEST_REDIS_URL)")
    await enqueue(runtime, ANNA, 1)
    delivery = engine(runtime, bot, rate=25, storage=rate_storage(url))
    assert await delivery.deliver_due() == 1
    assert received(bot, ANNA) == ["note 1"]


def recording(bot: Bot) -> RecordingSession:
    session = bot.session
    assert isinstance(session, RecordingSession)
    return session


async def test_a_closed_day_announced_just_before_a_crash_is_told_after_the_restart_once(
    runtime: Runtime, bot: Bot, settings: Settings
) -> None:
    place = next(p for p in runtime.places.all if p.key == "lpr")
    day = place.today(utcnow()) + timedelta(days=7)
    while place.closure(day, "en") is not None:  # an open weekday
        day += timedelta(days=1)
    people = range(3001, 3006)
    async with unit_of_work(runtime.factory) as session:
        for user_id in people:
            await touch(session, Profile(user_id, f"P{user_id}", None, None), is_admin=False)
            await desks.book(session, place, user_id, day, Period.FULL, utcnow())
    async with unit_of_work(runtime.factory) as session:  # the admin's update, committed…
        closed = await closures.close_day(session, place, day, "Water leak", 3001, utcnow())
        assert await notices.day_closed(session, place, closed, "Water leak", utcnow()) == 5
    # …and the process dies before its engine sends anything. The next one starts:
    restarted = await open_runtime(settings, runtime.library)
    try:
        kinds = renderers(restarted.places, restarted.library)
        delivery = Delivery(restarted.factory, bot, restarted.i18n, kinds, rate=0)
        assert await drain(delivery) == 5
        assert await drain(delivery) == 0
    finally:
        await restarted.close()
    for user_id in people:
        [told] = received(bot, user_id)
        assert "is closed on" in told and "Water leak" in told


async def test_a_message_waiting_for_its_retry_keeps_its_place_in_the_chats_line(
    runtime: Runtime, bot: Bot
) -> None:
    wall = Wall()
    await enqueue(runtime, ANNA, 1, 2)
    calls = 0

    async def once_down(method: TelegramMethod[Any]) -> None:
        nonlocal calls
        if isinstance(method, SendMessage):
            calls += 1
            if calls == 1:
                raise TelegramServerError(method, "Bad Gateway")

    recording(bot).on_call = once_down
    delivery = engine(runtime, bot, wall)
    assert await delivery.deliver_due() == 1  # note 1 failed: retried in a second
    assert await delivery.deliver_due() == 0  # note 2 does not overtake it
    wall.now += timedelta(seconds=2)
    assert await drain(delivery) == 2
    assert received(bot, ANNA) == ["note 1", "note 2"]


async def test_a_claim_takes_no_more_than_its_limit(runtime: Runtime) -> None:
    """A round that took more would outgrow its lease, and another instance would send its
    rows again (on PostgreSQL, with some plans, a one-statement claim took every due row)."""
    async with unit_of_work(runtime.factory) as session:
        for chat_id in range(5001, 5501):
            outbox.enqueue(session, chat_id, "test.note", params={"n": 1})
    async with unit_of_work(runtime.factory) as session:
        taken = await outbox.claim(session, "one", utcnow(), 37, timedelta(seconds=60))
    async with unit_of_work(runtime.factory) as session:
        more = await outbox.claim(session, "two", utcnow(), 1000, timedelta(seconds=60))
    assert len(taken) == 37 and len(more) == 463
    assert not {row.id for row in taken} & {row.id for row in more}


async def test_a_round_that_runs_out_of_lease_gives_back_what_it_has_not_sent(
    runtime: Runtime, bot: Bot
) -> None:
    """Another sender may take a row once its lease has run out: the round that held it must
    not send it too (it would arrive twice)."""
    wall = Wall()
    for chat_id in (ANNA, BORIS, 1003):
        await enqueue(runtime, chat_id, chat_id)

    async def slow(method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage):
            wall.now += timedelta(seconds=2)  # each send takes two seconds of an 8 s lease

    recording(bot).on_call = slow
    delivery = engine(runtime, bot, wall, lease=timedelta(seconds=8))
    assert await delivery.deliver_due() == 3
    sent = [chat for chat in (ANNA, BORIS, 1003) if received(bot, chat)]
    assert len(sent) == 2  # the third would have started with half its lease gone: given back
    assert await drain(delivery) == 1
    assert all(len(received(bot, chat)) == 1 for chat in (ANNA, BORIS, 1003))


async def test_a_sender_that_renews_its_lease_keeps_its_rows(runtime: Runtime) -> None:
    """A long round renews its leases: another sender takes its rows only once it stops
    (it died)."""
    await enqueue(runtime, ANNA, 1)
    start = utcnow()
    lease = timedelta(seconds=60)
    async with unit_of_work(runtime.factory) as session:
        [row] = await outbox.claim(session, "one", start, 10, lease)
    async with unit_of_work(runtime.factory) as session:
        assert await outbox.renew(session, "one", start + 2 * lease) == 1
    async with unit_of_work(runtime.factory) as session:
        assert await outbox.claim(session, "two", start + lease + lease / 2, 10, lease) == []
    async with unit_of_work(runtime.factory) as session:
        [taken] = await outbox.claim(session, "two", start + 2 * lease + lease / 2, 10, lease)
    assert taken.id == row.id and taken.lease_owner == "two"
