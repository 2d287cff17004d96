"""A closure and a booking of the same day at the same moment: one of the two always wins
cleanly, on SQLite and PostgreSQL. Either the booking is refused because the day is closed,
or it is committed first and the closure cancels it (and tells its person); never a booking
that stays active on a closed day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.app import Runtime
from storage import desks
from storage.desks import DeskBooking, Reason, Refused, Status, closures, waitlist
from storage.desks.closures import DayClosed
from storage.desks.opening import Period, Place
from storage.engine import unit_of_work
from storage.users import Profile, touch

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday, 08:00 in Lappeenranta
DAY = date(2026, 12, 2)
ANNA, ADMIN = 1001, 3001
HOUSE = tuple(range(1001, 1009))  # every desk in Lappeenranta


@pytest.fixture(autouse=True)
async def people(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        for user_id in (*HOUSE, 1009, ADMIN):
            await touch(session, Profile(user_id, f"P{user_id}", None, None), is_admin=False)


@pytest.fixture
def lpr(runtime: Runtime) -> Place:
    return next(p for p in runtime.places.all if p.key == "lpr")


async def close(runtime: Runtime, place: Place, day: date = DAY) -> DayClosed:
    async with unit_of_work(runtime.factory) as session:
        return await closures.close_day(session, place, day, "burst pipe", ADMIN, NOW)


async def live_on(runtime: Runtime, place: Place, day: date = DAY) -> list[DeskBooking]:
    async with unit_of_work(runtime.factory) as session:
        return list(
            await session.scalars(
                select(DeskBooking).where(
                    DeskBooking.location_id == place.id,
                    DeskBooking.day == day,
                    DeskBooking.status.in_((Status.ACTIVE, Status.HELD)),
                )
            )
        )


async def offered_to_the_waitlist(runtime: Runtime, place: Place) -> DeskBooking:
    """A full day, person 1009 in line, Anna cancels: the desk held for 1009 (the offer)."""
    async with unit_of_work(runtime.factory) as session:
        for user_id, desk in zip(HOUSE, place.desks, strict=True):
            await desks.book(session, place, user_id, DAY, Period.FULL, NOW, desk_id=desk.id)
        await waitlist.join(session, place, 1009, DAY, Period.FULL, NOW)
    async with unit_of_work(runtime.factory) as session:
        freed = await desks.cancel(
            session, (await desks.upcoming(session, ANNA, NOW))[0].id, ANNA, NOW
        )
        [offer] = await waitlist.refill_after(session, runtime.places, [freed], NOW)
    return offer


async def test_a_closure_committed_after_the_check_refuses_the_booking(
    runtime: Runtime, lpr: Place
) -> None:
    """The booking read "open", then the day was closed, then it claimed its desk."""
    async with unit_of_work(runtime.factory) as session:
        await desks.check_rules(session, lpr, ANNA, DAY, Period.FULL, NOW)  # open, so far
        await close(runtime, lpr)
        with pytest.raises(Refused) as refused:
            await desks.claim(session, lpr, ANNA, DAY, Period.FULL, lpr.desks, NOW)
    assert refused.value.reason is Reason.CLOSED
    assert refused.value.closure is not None and refused.value.closure.reason == "burst pipe"
    assert await live_on(runtime, lpr) == []


async def test_a_closure_waits_for_a_booking_in_progress_and_cancels_it(
    runtime: Runtime, lpr: Place
) -> None:
    async with unit_of_work(runtime.factory) as session:
        booking = await desks.book(session, lpr, ANNA, DAY, Period.FULL, NOW)
        closing = asyncio.create_task(close(runtime, lpr))
        await asyncio.sleep(0)  # let the closure start while the booking is not committed
    closed = await closing
    assert [b.id for b in closed.cancelled] == [booking.id]
    assert await live_on(runtime, lpr) == []


async def test_bookings_and_closures_at_once_never_leave_a_booking_on_a_closed_day(
    runtime: Runtime, lpr: Place
) -> None:
    """Twelve rounds of a confirm and a "Close and notify" started together, each in its own
    transaction, as in one polling batch."""
    days = [date(2026, 12, d) for d in (2, 3, 4, 7, 8, 9, 10, 11, 14)]
    outcomes = []
    for round_, day in enumerate(days):
        user = HOUSE[round_ % len(HOUSE)]

        async def book(day: date = day, user: int = user) -> DeskBooking | Refused:
            try:
                async with unit_of_work(runtime.factory) as session:
                    return await desks.book(session, lpr, user, day, Period.MORNING, NOW)
            except Refused as refused:
                return refused

        booked, closed = await asyncio.gather(book(), close(runtime, lpr, day))
        if isinstance(booked, Refused):
            assert booked.reason is Reason.CLOSED
            outcomes.append("refused")
        else:
            assert [b.id for b in closed.cancelled] == [booked.id]  # its person is told
            outcomes.append("cancelled")
        assert await live_on(runtime, lpr, day) == []
    assert len(outcomes) == len(days)


async def test_an_offer_taken_while_its_day_closes(runtime: Runtime, lpr: Place) -> None:
    """Accepting an offer writes the same day row: taken first, the closure cancels the
    booking; closed first, the offer cannot be taken."""
    offer = await offered_to_the_waitlist(runtime, lpr)
    # Taken, and the closure starts before the acceptance is committed.
    async with unit_of_work(runtime.factory) as session:
        taken = await waitlist.accept(session, lpr, offer.id, 1009, NOW)
        closing = asyncio.create_task(close(runtime, lpr))
        await asyncio.sleep(0)
    closed = await closing
    assert taken.id in [b.id for b in closed.cancelled]
    assert await live_on(runtime, lpr) == []


async def test_an_offer_cannot_be_taken_once_its_day_is_closed(
    runtime: Runtime, lpr: Place
) -> None:
    offer = await offered_to_the_waitlist(runtime, lpr)
    async with unit_of_work(runtime.factory) as session:
        await desks.own_booking(session, offer.id, 1009)  # the press has read the offer
        await close(runtime, lpr)
        with pytest.raises(Refused) as refused:
            await waitlist.accept(session, lpr, offer.id, 1009, NOW)
    assert refused.value.reason in (Reason.CLOSED, Reason.OFFER_GONE)
    assert await live_on(runtime, lpr) == []
