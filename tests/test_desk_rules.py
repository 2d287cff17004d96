"""Desk booking rules without Telegram, on SQLite and PostgreSQL: what a person may book,
what they are refused and why, cancelling, admin closures, the waitlist and the seed sync."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from content.places import load_places as load_seeds
from storage import desks
from storage.desks import DeskBooking, Reason, Refused, Status, closures, waitlist
from storage.desks.opening import Closure, ClosureKind, Period, Place
from storage.desks.places import DeskRow, Location, load_places, sync_places
from storage.desks.waitlist import WaitlistEntry, WaitStatus
from storage.engine import unit_of_work
from storage.users import Profile, touch

# A Tuesday: 09:00 in St. Petersburg (Europe/Moscow), 08:00 in Lappeenranta (Europe/Helsinki).
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TODAY, WEDNESDAY = date(2026, 12, 1), date(2026, 12, 2)
FULL, AM, PM = Period.FULL, Period.MORNING, Period.AFTERNOON
ANNA, BORIS, CARL = 1001, 1002, 1003
HOUSE = tuple(range(1001, 1009))  # eight people: every desk in Lappeenranta
WAITERS = (1009, 1010, 1011)
OUTSIDER = 1012
ADMIN = 3001


@pytest.fixture(autouse=True)
async def people(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        for user_id in (*HOUSE, *WAITERS, OUTSIDER, ADMIN):
            profile = Profile(user_id, f"Person {user_id}", None, None)
            await touch(session, profile, is_admin=user_id == ADMIN)


def place(runtime: Runtime, key: str) -> Place:
    return next(p for p in runtime.places.all if p.key == key)


def desk_named(runtime: Runtime, key: str, desk_key: str) -> int:
    return next(d.id for d in place(runtime, key).desks if d.key == desk_key)


async def refusal(operation: Awaitable[object]) -> Refused:
    with pytest.raises(Refused) as caught:
        await operation
    return caught.value


async def book(
    runtime: Runtime,
    where: str | Place,
    user_id: int,
    day: date,
    period: Period,
    now: datetime = NOW,
    *,
    desk_id: int | None = None,
    zone_id: int | None = None,
    exempt: bool = False,
) -> DeskBooking:
    here = where if isinstance(where, Place) else place(runtime, where)
    async with unit_of_work(runtime.factory) as session:
        return await desks.book(
            session,
            here,
            user_id,
            day,
            period,
            now,
            desk_id=desk_id,
            zone_id=zone_id,
            exempt=exempt,
        )


async def cancel(
    runtime: Runtime, booking_id: int, user_id: int, now: datetime = NOW
) -> DeskBooking:
    async with unit_of_work(runtime.factory) as session:
        return await desks.cancel(session, booking_id, user_id, now)


async def shown(
    runtime: Runtime, where: str | Place, day: date, now: datetime = NOW, language: str = "en"
) -> desks.DayAvailability:
    here = where if isinstance(where, Place) else place(runtime, where)
    async with unit_of_work(runtime.factory) as session:
        (found,) = await desks.availability(session, here, [day], now, language)
    return found


async def upcoming(runtime: Runtime, user_id: int, now: datetime = NOW) -> list[int]:
    async with unit_of_work(runtime.factory) as session:
        return [b.id for b in await desks.upcoming(session, user_id, now)]


async def reload(runtime: Runtime, booking_id: int) -> DeskBooking:
    async with runtime.factory() as session:
        booking = await session.get(DeskBooking, booking_id)
    assert booking is not None
    return booking


# --- booking ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "total", "starts", "ends"),
    [("spb", 10, time(6), time(10)), ("lpr", 8, time(7), time(11))],
)
async def test_a_booking_leaves_one_desk_fewer(
    runtime: Runtime, key: str, total: int, starts: time, ends: time
) -> None:
    assert (await shown(runtime, key, WEDNESDAY)).free == {FULL: total, AM: total, PM: total}
    booking = await book(runtime, key, ANNA, WEDNESDAY, AM)
    after = await shown(runtime, key, WEDNESDAY)
    assert after.free == {FULL: total - 1, AM: total - 1, PM: total}
    assert (booking.status, booking.day, booking.period) == (Status.ACTIVE, WEDNESDAY, "am")
    # 09:00-13:00 local time, stored in UTC
    assert booking.starts_at == datetime.combine(WEDNESDAY, starts, UTC)
    assert booking.ends_at == datetime.combine(WEDNESDAY, ends, UTC)
    assert await upcoming(runtime, ANNA) == [booking.id]


async def test_a_full_day_clashes_with_either_half_of_the_same_desk(runtime: Runtime) -> None:
    a1 = desk_named(runtime, "spb", "a1")
    await book(runtime, "spb", ANNA, WEDNESDAY, AM, desk_id=a1)
    refused = await refusal(book(runtime, "spb", BORIS, WEDNESDAY, FULL, desk_id=a1))
    assert refused.reason is Reason.TAKEN
    assert (await book(runtime, "spb", BORIS, WEDNESDAY, PM, desk_id=a1)).desk_id == a1
    refused = await refusal(book(runtime, "spb", CARL, WEDNESDAY, FULL, desk_id=a1))
    assert refused.reason is Reason.TAKEN
    anywhere = await book(runtime, "spb", CARL, WEDNESDAY, FULL)
    assert anywhere.desk_id != a1
    assert (await shown(runtime, "spb", WEDNESDAY)).free == {FULL: 8, AM: 8, PM: 8}


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason", "kind"),
    [
        (date(2026, 11, 30), Reason.PAST, None),
        (TODAY + timedelta(days=14), Reason.HORIZON, None),
        (date(2026, 12, 5), Reason.CLOSED, ClosureKind.WEEKLY),  # Saturday
        (date(2026, 12, 13), Reason.CLOSED, ClosureKind.WEEKLY),  # Sunday
    ],
    ids=["yesterday", "beyond-the-horizon", "saturday", "sunday"],
)
async def test_days_that_cannot_be_booked(
    runtime: Runtime, day: date, reason: Reason, kind: ClosureKind | None
) -> None:
    for key in ("spb", "lpr"):
        refused = await refusal(book(runtime, key, ANNA, day, FULL))
        assert refused.reason is reason
        assert (refused.closure.kind if refused.closure else None) is kind
    assert await upcoming(runtime, ANNA) == []


async def test_the_last_day_of_the_horizon_is_bookable(runtime: Runtime) -> None:
    last = TODAY + timedelta(days=13)  # a Monday
    assert place(runtime, "spb").bookable_days(NOW)[-1] == last
    await book(runtime, "spb", ANNA, last, FULL)
    refused = await refusal(book(runtime, "spb", BORIS, last + timedelta(days=1), FULL))
    assert (refused.reason, refused.limit) == (Reason.HORIZON, 14)


async def test_a_started_morning_is_refused_but_the_afternoon_is_bookable(runtime: Runtime) -> None:
    ten_in_moscow = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    for period in (AM, FULL):
        refused = await refusal(book(runtime, "spb", ANNA, TODAY, period, ten_in_moscow))
        assert refused.reason is Reason.STARTED
    assert (await shown(runtime, "spb", TODAY, ten_in_moscow)).free == {PM: 10}
    await book(runtime, "spb", ANNA, TODAY, PM, ten_in_moscow)


async def test_the_morning_starts_at_nine_local_time_in_each_location(runtime: Runtime) -> None:
    # 09:30 in St. Petersburg, 08:30 in Lappeenranta
    moment = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    assert (await refusal(book(runtime, "spb", ANNA, TODAY, AM, moment))).reason is Reason.STARTED
    assert (await book(runtime, "lpr", ANNA, TODAY, AM, moment)).status == Status.ACTIVE


async def test_a_sixth_upcoming_booking_is_refused_unless_exempt(runtime: Runtime) -> None:
    days = [date(2026, 12, d) for d in (2, 3, 4, 7, 8, 9)]
    first = [await book(runtime, "spb", ANNA, day, AM) for day in days[:5]]
    refused = await refusal(book(runtime, "lpr", ANNA, days[5], AM))
    assert (refused.reason, refused.limit) == (Reason.QUOTA, 5)
    for day in days:
        await book(runtime, "spb", ADMIN, day, PM, exempt=True)
    assert len(await upcoming(runtime, ADMIN)) == 6
    # once Wednesday's morning is over it no longer counts
    wednesday_noon = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    sixth = await book(runtime, "lpr", ANNA, days[5], AM, wednesday_noon)
    assert await upcoming(runtime, ANNA, wednesday_noon) == [b.id for b in [*first[1:], sixth]]


@pytest.mark.parametrize(
    ("key", "period", "desk"),
    [("spb", AM, "a2"), ("spb", FULL, None), ("lpr", AM, None), ("lpr", FULL, "w1")],
    ids=["other-desk", "full-day", "other-location", "other-location-full-day"],
)
async def test_one_desk_per_person_at_a_time(
    runtime: Runtime, key: str, period: Period, desk: str | None
) -> None:
    first = await book(
        runtime, "spb", ANNA, WEDNESDAY, AM, desk_id=desk_named(runtime, "spb", "a1")
    )
    chosen = desk_named(runtime, key, desk) if desk else None
    refused = await refusal(book(runtime, key, ANNA, WEDNESDAY, period, desk_id=chosen))
    assert refused.reason is Reason.TWICE
    assert refused.booking is not None and refused.booking.id == first.id
    await book(runtime, key, ANNA, WEDNESDAY, PM)  # the afternoon is still hers to take


@pytest.mark.parametrize(
    ("key", "day", "language", "kind", "reason", "other_open"),
    [
        ("lpr", date(2026, 12, 24), "fi", ClosureKind.HOLIDAY, "Jouluaatto", True),
        # Epiphany in Finland; Russia has its New Year holidays then
        ("lpr", date(2027, 1, 6), "fi", ClosureKind.HOLIDAY, "Loppiainen", False),
        ("spb", date(2026, 12, 31), "ru", ClosureKind.HOLIDAY, "Выходной (перенесено с 04.01.2026)",
         True),
        ("spb", date(2027, 1, 7), "ru", ClosureKind.HOLIDAY, "Рождество Христово", True),
        ("spb", date(2026, 12, 30), "ru", ClosureKind.CLOSED, "Технический день перед Новым годом",
         True),
        ("lpr", date(2027, 1, 5), "fi", ClosureKind.CLOSED, "Vuosihuolto", False),
    ],
    ids=["fi-christmas-eve", "fi-epiphany", "ru-new-years-eve", "ru-christmas",
         "spb-maintenance", "lpr-maintenance"],
)  # fmt: skip
async def test_public_holidays_and_seed_closures(
    runtime: Runtime,
    key: str,
    day: date,
    language: str,
    kind: ClosureKind,
    reason: str,
    other_open: bool,
) -> None:
    now = datetime.combine(day - timedelta(days=7), time(6), UTC)
    refused = await refusal(book(runtime, key, ANNA, day, FULL, now))
    assert refused.reason is Reason.CLOSED
    assert refused.closure is not None and refused.closure.kind is kind
    assert place(runtime, key).closure(day, language) == Closure(kind, reason)
    seen = await shown(runtime, key, day, now, language)
    assert seen.closure == Closure(kind, reason) and not seen.bookable
    other = "spb" if key == "lpr" else "lpr"
    if other_open:
        assert (await book(runtime, other, ANNA, day, FULL, now)).status == Status.ACTIVE
    else:
        assert (await refusal(book(runtime, other, ANNA, day, FULL, now))).reason is Reason.CLOSED


async def test_a_desk_or_zone_of_the_other_location_is_not_bookable(runtime: Runtime) -> None:
    theirs = place(runtime, "lpr").desks[0]
    for attempt in (
        book(runtime, "spb", ANNA, WEDNESDAY, AM, desk_id=theirs.id),
        book(runtime, "spb", ANNA, WEDNESDAY, AM, zone_id=theirs.zone_id),
        book(runtime, "spb", ANNA, WEDNESDAY, AM, desk_id=10**6),
    ):
        assert (await refusal(attempt)).reason is Reason.NO_DESK
    assert (await shown(runtime, "lpr", WEDNESDAY)).free[AM] == 8


# --- cancelling --------------------------------------------------------------------------


async def test_cancelling_frees_the_desk_and_bumps_the_sequence(runtime: Runtime) -> None:
    booking = await book(runtime, "spb", ANNA, WEDNESDAY, FULL)
    assert booking.sequence == 0
    cancelled = await cancel(runtime, booking.id, ANNA)
    assert (cancelled.status, cancelled.sequence, cancelled.cancel_reason) == (
        Status.CANCELLED,
        1,
        "user",
    )
    assert (await shown(runtime, "spb", WEDNESDAY)).free == {FULL: 10, AM: 10, PM: 10}
    assert await upcoming(runtime, ANNA) == []
    again = await book(runtime, "spb", BORIS, WEDNESDAY, FULL, desk_id=booking.desk_id)
    assert again.desk_id == booking.desk_id


async def test_cancelling_is_refused_once_started_or_when_not_yours(runtime: Runtime) -> None:
    booking = await book(runtime, "spb", ANNA, WEDNESDAY, AM)
    half_past_nine = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    assert (await refusal(cancel(runtime, booking.id, ANNA, half_past_nine))).reason is (
        Reason.TOO_LATE
    )
    assert (await refusal(cancel(runtime, booking.id, BORIS))).reason is Reason.NOT_FOUND
    assert (await refusal(cancel(runtime, 10**6, ANNA))).reason is Reason.NOT_FOUND
    assert (await reload(runtime, booking.id)).status == Status.ACTIVE
    await cancel(runtime, booking.id, ANNA)
    assert (await refusal(cancel(runtime, booking.id, ANNA))).reason is Reason.NOT_FOUND


# --- admin closures ----------------------------------------------------------------------


async def close(runtime: Runtime, key: str, day: date, reason: str) -> closures.DayClosed:
    async with unit_of_work(runtime.factory) as session:
        return await closures.close_day(session, place(runtime, key), day, reason, ADMIN, NOW)


async def join(
    runtime: Runtime, key: str, user_id: int, day: date, period: Period, now: datetime = NOW
) -> tuple[WaitlistEntry, int]:
    async with unit_of_work(runtime.factory) as session:
        return await waitlist.join(session, place(runtime, key), user_id, day, period, now)


async def test_an_admin_closure_cancels_the_day_and_empties_its_waitlist(runtime: Runtime) -> None:
    seated = [await book(runtime, "lpr", user, WEDNESDAY, AM) for user in HOUSE]
    afternoon = await book(runtime, "lpr", OUTSIDER, WEDNESDAY, PM)
    entry, _ = await join(runtime, "lpr", WAITERS[0], WEDNESDAY, AM)
    elsewhere = await book(runtime, "spb", WAITERS[1], WEDNESDAY, AM)

    closed = await close(runtime, "lpr", WEDNESDAY, "Water leak")

    ours = [*seated, afternoon]
    assert sorted(b.id for b in closed.cancelled) == sorted(b.id for b in ours)
    assert [e.id for e in closed.dropped] == [entry.id]
    for booking in ours:
        again = await reload(runtime, booking.id)
        assert (again.status, again.cancel_reason, again.sequence) == (
            Status.CANCELLED,
            "closed",
            1,
        )
    async with runtime.factory() as session:
        dropped = await session.get(WaitlistEntry, entry.id)
    assert dropped is not None and dropped.status == WaitStatus.CLOSED
    seen = await shown(runtime, "lpr", WEDNESDAY)
    assert seen.closure == Closure(ClosureKind.CLOSED, "Water leak") and not seen.bookable
    refused = await refusal(book(runtime, "lpr", ANNA, WEDNESDAY, PM))
    assert refused.reason is Reason.CLOSED and refused.closure is not None
    assert refused.closure.reason == "Water leak"
    assert (await reload(runtime, elsewhere.id)).status == Status.ACTIVE  # St. Petersburg is open

    assert (await refusal(close(runtime, "lpr", WEDNESDAY, "again"))).reason is Reason.CLOSED
    assert (await refusal(close(runtime, "lpr", TODAY - timedelta(days=1), "x"))).reason is (
        Reason.PAST
    )
    saturday = await refusal(close(runtime, "lpr", date(2026, 12, 5), "x"))
    assert saturday.closure is not None and saturday.closure.kind is ClosureKind.WEEKLY


# --- waitlist ----------------------------------------------------------------------------


async def refill(runtime: Runtime, key: str, day: date, now: datetime) -> list[DeskBooking]:
    async with unit_of_work(runtime.factory) as session:
        return await waitlist.refill(session, place(runtime, key), day, now)


async def accept(runtime: Runtime, booking_id: int, user_id: int, now: datetime) -> DeskBooking:
    async with unit_of_work(runtime.factory) as session:
        return await waitlist.accept(session, place(runtime, "lpr"), booking_id, user_id, now)


async def test_the_waitlist_offers_a_freed_desk_to_each_in_turn(runtime: Runtime) -> None:
    seated = [await book(runtime, "lpr", user, WEDNESDAY, AM) for user in HOUSE]
    refused = await refusal(join(runtime, "lpr", OUTSIDER, WEDNESDAY, PM))
    assert refused.reason is Reason.NOT_FULL
    places_in_line = [(await join(runtime, "lpr", u, WEDNESDAY, AM))[1] for u in WAITERS]
    assert places_in_line == [1, 2, 3]
    refused = await refusal(join(runtime, "lpr", WAITERS[0], WEDNESDAY, AM))
    assert refused.reason is Reason.WAITING

    await cancel(runtime, seated[0].id, HOUSE[0])
    (first,) = await refill(runtime, "lpr", WEDNESDAY, NOW)
    assert (first.user_id, first.status, first.desk_id) == (
        WAITERS[0],
        Status.HELD,
        seated[0].desk_id,
    )
    assert first.hold_expires_at == NOW + timedelta(hours=2)
    # the held desk is nobody else's meanwhile
    refused = await refusal(book(runtime, "lpr", OUTSIDER, WEDNESDAY, AM, desk_id=first.desk_id))
    assert refused.reason is Reason.TAKEN
    assert (await shown(runtime, "lpr", WEDNESDAY)).free[AM] == 0

    # the first declines: the second is offered the desk
    later = NOW + timedelta(minutes=10)
    async with unit_of_work(runtime.factory) as session:
        await waitlist.decline(session, first.id, WAITERS[0], later)
    (second,) = await refill(runtime, "lpr", WEDNESDAY, later)
    assert (second.user_id, second.desk_id) == (WAITERS[1], first.desk_id)

    # the second lets the window pass: too late to accept, and the third is offered it
    deadline = later + timedelta(hours=2)
    assert second.hold_expires_at == deadline
    refused = await refusal(accept(runtime, second.id, WAITERS[1], deadline))
    assert refused.reason is Reason.OFFER_GONE
    async with unit_of_work(runtime.factory) as session:
        expired = await waitlist.expire_offers(session, deadline)
        offers = await waitlist.refill_after(session, runtime.places, expired, deadline)
    assert [b.id for b in expired] == [second.id]
    (third,) = offers
    assert (third.user_id, third.desk_id) == (WAITERS[2], first.desk_id)

    refused = await refusal(accept(runtime, third.id, WAITERS[0], deadline))
    assert refused.reason is Reason.OFFER_GONE, "someone else's offer"
    taken = await accept(runtime, third.id, WAITERS[2], deadline)
    assert (taken.status, taken.hold_expires_at) == (Status.ACTIVE, None)
    assert await upcoming(runtime, WAITERS[2], deadline) == [third.id]
    async with runtime.factory() as session:
        statuses = await session.scalars(select(WaitlistEntry.status).order_by(WaitlistEntry.id))
        assert list(statuses) == [WaitStatus.DECLINED, WaitStatus.EXPIRED, WaitStatus.BOOKED]


async def test_an_offer_is_never_held_past_the_start_of_the_period(runtime: Runtime) -> None:
    eight_in_lappeenranta = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    seated = [
        await book(runtime, "lpr", user, WEDNESDAY, AM, eight_in_lappeenranta) for user in HOUSE
    ]
    await join(runtime, "lpr", WAITERS[0], WEDNESDAY, AM, eight_in_lappeenranta)
    await cancel(runtime, seated[0].id, HOUSE[0], eight_in_lappeenranta)
    (offer,) = await refill(runtime, "lpr", WEDNESDAY, eight_in_lappeenranta)
    assert offer.hold_expires_at == offer.starts_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


# --- the places seed ---------------------------------------------------------------------


async def test_syncing_the_seed_again_changes_nothing(runtime: Runtime) -> None:
    seeds = load_seeds()
    for _ in range(2):
        async with unit_of_work(runtime.factory) as session:
            await sync_places(session, seeds)
    async with unit_of_work(runtime.factory) as session:
        assert await load_places(session) == runtime.places
        assert await session.scalar(select(func.count()).select_from(Location)) == 2
        assert await session.scalar(select(func.count()).select_from(DeskRow)) == 18


async def test_a_desk_removed_from_the_seed_keeps_its_bookings_but_takes_no_more(
    runtime: Runtime,
) -> None:
    w2 = desk_named(runtime, "lpr", "w2")
    kept = await book(runtime, "lpr", ANNA, WEDNESDAY, AM, desk_id=w2)
    seeds = load_seeds()
    trimmed = [
        dataclasses.replace(s, desks=tuple(d for d in s.desks if d.key != "w2"))
        if s.key == "lpr"
        else s
        for s in seeds
    ]
    async with unit_of_work(runtime.factory) as session:
        await sync_places(session, trimmed)
        lpr = next(p for p in (await load_places(session)).all if p.key == "lpr")
    assert lpr.desk(w2) is None and len(lpr.desks) == 7
    refused = await refusal(book(runtime, lpr, BORIS, WEDNESDAY, PM, desk_id=w2))
    assert refused.reason is Reason.NO_DESK
    assert (await shown(runtime, lpr, WEDNESDAY)).free == {FULL: 7, AM: 7, PM: 7}
    async with unit_of_work(runtime.factory) as session:
        assert [b.id for b in await desks.on_day(session, lpr, WEDNESDAY)] == [kept.id]
    assert (await reload(runtime, kept.id)).status == Status.ACTIVE

    async with unit_of_work(runtime.factory) as session:  # back in the seed: the same desk
        await sync_places(session, seeds)
        assert await load_places(session) == runtime.places
