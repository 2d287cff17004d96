"""Nobody is told that something was done before it is committed, and nothing leaves the
process while a transaction is open: at the moment of every Bot API call, the update's unit
of work has no open transaction, and a fresh connection already sees the change announced.
What a fresh connection sees at that moment is what would survive a kill -9 then."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from sqlalchemy import text

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient, RecordingSession
from handlers.desks.callbacks import (
    BookingAction,
    BookingCB,
    DeskAction,
    DeskCB,
    StaffAction,
    StaffCB,
)
from handlers.ui.callbacks import LanguageCB, Locale
from storage.desks.opening import Period
from storage.engine import ambient_session
from tests.conftest import FakeClock
from tests.test_desk_chat import WallClock, book, booked_directly

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday 08:00 in Lappeenranta
WEDNESDAY = date(2026, 12, 2)
AM, PM = Period.MORNING, Period.AFTERNOON
ANNA, BORIS, ADMIN = 1001, 1002, 3001
GUESTS = range(2001, 2009)


@pytest.fixture
def dispatcher_at(runtime: Runtime, clock: FakeClock, bot: Bot) -> Dispatcher:
    wall = WallClock(NOW)
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]  # the outbox runs on it too
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


async def joined(dispatcher: Dispatcher, bot: Bot, user_id: int, name: str) -> ChatClient:
    client = ChatClient(dispatcher, bot, user_id, first_name=name)
    await client.send("/start")
    await client.press_data(LanguageCB(locale=Locale.EN).pack())
    return client


def recording(bot: Bot) -> RecordingSession:
    assert isinstance(bot.session, RecordingSession)
    return bot.session


async def committed(runtime: Runtime, sql: str) -> Any:
    """What another connection sees now: only what is committed."""
    async with runtime.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


def on_toast(bot: Bot, wanted: str, probe: Callable[[], Awaitable[Any]]) -> list[Any]:
    """Run `probe` at the moment the toast `wanted` goes out; what it saw is returned."""
    seen: list[Any] = []

    async def hook(method: TelegramMethod[Any]) -> None:
        session = ambient_session()
        assert session is None or not session.in_transaction(), f"{method} inside a transaction"
        if isinstance(method, AnswerCallbackQuery) and method.text == wanted:
            seen.append(await probe())

    recording(bot).on_call = hook
    return seen


async def test_booked_is_said_only_once_the_booking_is_committed(
    runtime: Runtime, dispatcher_at: Dispatcher, bot: Bot
) -> None:
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    anna = await joined(dispatcher_at, bot, ANNA, "Anna")
    seen = on_toast(
        bot,
        "Booked!",
        lambda: committed(runtime, f"SELECT count(*) FROM desk_bookings WHERE user_id = {ANNA}"),
    )
    await book(anna, lpr, WEDNESDAY)
    assert seen == [1]


async def test_cancelled_and_waitlist_answers_come_after_their_commit(
    runtime: Runtime, dispatcher_at: Dispatcher, bot: Bot
) -> None:
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    anna = await joined(dispatcher_at, bot, ANNA, "Anna")
    boris = await joined(dispatcher_at, bot, BORIS, "Boris")
    await book(anna, lpr, WEDNESDAY)
    latest = "SELECT {what} FROM {table} WHERE user_id = {user} ORDER BY id DESC LIMIT 1"
    booking = latest.format(what="status", table="desk_bookings", user=ANNA)
    entry = latest.format(what="status", table="desk_waitlist", user=BORIS)

    seen = on_toast(bot, "Cancelled.", lambda: committed(runtime, booking))
    booking_id = await committed(runtime, booking.replace("status", "id", 1))
    await anna.press_data(BookingCB(action=BookingAction.CANCEL_YES, id=booking_id).pack())
    assert seen == ["cancelled"]

    # The morning fills up; Boris joins its waitlist, then leaves it.
    for guest in GUESTS:
        await joined(dispatcher_at, bot, guest, f"G{guest}")
        await booked_directly(runtime, lpr, guest, [(WEDNESDAY, AM)])
    seen = on_toast(bot, "You are on the waitlist.", lambda: committed(runtime, entry))
    slot = {"loc": lpr.id, "day": WEDNESDAY.toordinal(), "period": AM}
    await boris.press_data(DeskCB(action=DeskAction.WAIT, **slot).pack())
    assert seen == ["waiting"]
    seen = on_toast(bot, "You have left the waitlist.", lambda: committed(runtime, entry))
    entry_id = await committed(runtime, entry.replace("status", "id", 1))
    await boris.press_data(BookingCB(action=BookingAction.LEAVE, id=entry_id).pack())
    assert seen == ["left"]


async def test_a_closed_day_is_committed_before_the_admin_hears_of_it(
    runtime: Runtime, dispatcher_at: Dispatcher, bot: Bot
) -> None:
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    await joined(dispatcher_at, bot, ANNA, "Anna")
    await booked_directly(runtime, lpr, ANNA, [(WEDNESDAY, AM)])
    admin = await joined(dispatcher_at, bot, ADMIN, "Olga")
    await admin.send("/close_day 2026-12-02 inspection")
    seen: list[Any] = []

    async def hook(method: TelegramMethod[Any]) -> None:
        session = ambient_session()
        assert session is None or not session.in_transaction()
        if isinstance(method, AnswerCallbackQuery) and not seen:
            closed = await committed(runtime, "SELECT count(*) FROM closed_days")
            told = await committed(
                runtime, "SELECT count(*) FROM outbox WHERE kind = 'desk.closed'"
            )
            seen.append((closed, told))  # the closure and Anna's notice, in one commit

    recording(bot).on_call = hook
    close = StaffCB(action=StaffAction.CLOSE_YES, loc=lpr.id, day=WEDNESDAY.toordinal())
    await admin.press_data(close.pack())
    assert seen == [(1, 1)]


async def test_a_stuck_telegram_call_holds_no_lock_over_other_peoples_bookings(
    runtime: Runtime, dispatcher_at: Dispatcher, bot: Bot
) -> None:
    """While the bot waits on Telegram for Anna's answer (a 429 being waited out, say),
    Boris books another desk: nothing of Anna's update is holding the database."""
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    anna = await joined(dispatcher_at, bot, ANNA, "Anna")
    boris = await joined(dispatcher_at, bot, BORIS, "Boris")
    done: list[str] = []

    async def meanwhile(method: TelegramMethod[Any]) -> None:
        if isinstance(method, AnswerCallbackQuery) and method.text == "Booked!" and not done:
            done.append("boris")
            await book(boris, lpr, WEDNESDAY, PM)

    recording(bot).on_call = meanwhile
    await book(anna, lpr, WEDNESDAY)
    assert done == ["boris"]
    assert "Your desk is booked!" in (boris.last.text or "")
    assert "Your desk is booked!" in (anna.last.text or "")


async def test_a_taken_offer_is_committed_before_booked_is_said(
    runtime: Runtime, dispatcher_at: Dispatcher, bot: Bot
) -> None:
    lpr = next(p for p in runtime.places.all if p.key == "lpr")
    boris = await joined(dispatcher_at, bot, BORIS, "Boris")
    for guest in GUESTS:
        await joined(dispatcher_at, bot, guest, f"G{guest}")
        await booked_directly(runtime, lpr, guest, [(WEDNESDAY, AM)])
    slot = {"loc": lpr.id, "day": WEDNESDAY.toordinal(), "period": AM}
    await boris.press_data(DeskCB(action=DeskAction.WAIT, **slot).pack())
    guest = await joined(dispatcher_at, bot, GUESTS[0], "G")
    taken = f"SELECT id FROM desk_bookings WHERE user_id = {GUESTS[0]} AND status = 'active'"
    await guest.press_data(
        BookingCB(action=BookingAction.CANCEL_YES, id=await committed(runtime, taken)).pack()
    )
    offer = f"SELECT id FROM desk_bookings WHERE user_id = {BORIS} AND status = 'held'"
    offer_id = await committed(runtime, offer)
    assert offer_id is not None  # held for Boris
    seen = on_toast(bot, "Booked!", lambda: committed(runtime, offer.replace("'held'", "'active'")))
    await boris.press_data(BookingCB(action=BookingAction.ACCEPT, id=offer_id).pack())
    assert seen == [offer_id]
