# ruff: noqa: F811 - the desk chat fixtures (join, wall, lpr, spb) are imported and used by name
"""Desk reminders, check-in and the reminder settings, as people meet them: the reminder the
evening before, once, with its buttons; nothing for a booking that ended; the "I'm here"
prompt and the desk that goes to the waitlist without it; quiet hours; daylight saving."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.app import Runtime
from bot.sandbox.recording import ChatClient
from handlers.desks import notices
from handlers.desks.callbacks import BookingAction, BookingCB
from handlers.settings import NO_QUIET, ReminderAction, ReminderCB
from handlers.ui.callbacks import MenuAction, MenuCB
from scheduler.desks import release_no_shows
from storage import desks, reminders
from storage.desks import Status, checkin
from storage.desks.opening import Place
from storage.engine import unit_of_work
from storage.outbox import OutboxMessage, State
from storage.users import Profile, touch
from tests.conftest import outbox_drain
from tests.test_desk_chat import (
    ADMIN,
    AM,
    ANNA,
    BORIS,
    NOW,
    PM,
    STALE,
    WEDNESDAY,
    Join,
    WallClock,
    alert,
    book,
    desk_dispatcher,  # noqa: F401 - fixtures
    full_morning,
    join,  # noqa: F401
    labels,
    lpr,  # noqa: F401
    my_bookings,
    plain,
    spb,  # noqa: F401
    upcoming,
    wait_for_morning,
    wall,  # noqa: F401
    well_formed,
)

HELSINKI = "Europe/Helsinki"


def local(day: date, hour: int, minute: int = 0, zone: str = HELSINKI) -> datetime:
    """A wall-clock time in a location's zone, as the UTC instant it is."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone)).astimezone(UTC)


async def deliver_at(bot: Bot, wall: WallClock, moment: datetime) -> int:
    """Move the clock to `moment` and let the engine send what is due then."""
    wall.now = moment
    return await outbox_drain(bot.session.delivery)()  # type: ignore[attr-defined]


def reminders_of(client: ChatClient) -> list[str]:
    return [plain(m.text) for m in client.messages if "A reminder of your desk" in (m.text or "")]


def prompts_of(client: ChatClient) -> list[str]:
    return [plain(m.text) for m in client.messages if "waiting for you today" in (m.text or "")]


async def planned(runtime: Runtime, user_id: int) -> list[OutboxMessage]:
    async with unit_of_work(runtime.factory) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == user_id)
            .where(OutboxMessage.kind.in_(notices.PLANNED))
            .where(OutboxMessage.state == State.PENDING)
        )
        return list(rows)


# --- the reminder the evening before ----------------------------------------------------------


async def test_the_evening_before_a_booking_the_person_is_reminded_once_and_can_cancel(
    join: Join, bot: Bot, wall: WallClock, spb: Place, runtime: Runtime
) -> None:
    anna = await join(ANNA)
    await book(anna, spb, WEDNESDAY, AM)
    assert "check in" not in plain(anna.last.text)  # St. Petersburg does not ask for it
    evening = local(WEDNESDAY - timedelta(days=1), 18, zone="Europe/Moscow")

    assert await deliver_at(bot, wall, evening - timedelta(seconds=1)) == 0
    assert reminders_of(anna) == []
    assert await deliver_at(bot, wall, evening) == 1
    [text] = reminders_of(anna)
    assert "📅 Wednesday, 2 December 2026" in text and "St. Petersburg" in text
    assert labels(anna) == ["✖ Cancel my booking", "📅 Add to calendar", "My bookings"]
    assert await deliver_at(bot, wall, evening + timedelta(hours=1)) == 0  # never twice
    well_formed(anna)

    await anna.click("✖ Cancel my booking")
    await anna.click("Yes, cancel it")
    assert anna.last.text.startswith("Your booking is cancelled.")
    assert await upcoming(runtime, ANNA) == []


async def test_a_booking_cancelled_before_the_evening_sends_no_reminder(
    join: Join, bot: Bot, wall: WallClock, spb: Place
) -> None:
    anna = await join(ANNA)
    await book(anna, spb, WEDNESDAY, AM)
    await my_bookings(anna)
    await anna.click("✖ Cancel #1")
    await anna.click("Yes, cancel it")
    await deliver_at(bot, wall, local(WEDNESDAY, 8))
    assert reminders_of(anna) == []


async def test_a_reminder_missed_while_the_bot_was_down_goes_out_only_while_it_is_useful(
    join: Join, bot: Bot, wall: WallClock, spb: Place
) -> None:
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await book(anna, spb, WEDNESDAY, AM)
    await book(boris, spb, WEDNESDAY, PM)
    # Down from before 18:00 until 12:00 the next day: Anna's morning has begun, Boris's not.
    await deliver_at(bot, wall, local(WEDNESDAY, 12, zone="Europe/Moscow"))
    assert reminders_of(anna) == []
    assert len(reminders_of(boris)) == 1


async def test_a_reminder_speaks_the_language_of_the_moment_it_is_sent(
    join: Join, bot: Bot, wall: WallClock, spb: Place
) -> None:
    anna = await join(ANNA)
    await book(anna, spb, WEDNESDAY, AM)
    await anna.send("/language")
    await anna.click("🇫🇮 Suomi")
    await deliver_at(bot, wall, local(WEDNESDAY - timedelta(days=1), 18, zone="Europe/Moscow"))
    reminder = next(m for m in anna.messages if "Muistutus" in (m.text or ""))
    assert "keskiviikko 2. joulukuuta 2026" in plain(reminder.text)


# --- settings ----------------------------------------------------------------------------------


async def test_reminders_can_be_turned_off_and_on_again_in_the_settings(
    join: Join, bot: Bot, wall: WallClock, spb: Place, runtime: Runtime
) -> None:
    anna = await join(ANNA)
    await book(anna, spb, WEDNESDAY, AM)
    await anna.send("/start")
    await anna.click("Settings")
    await anna.click("🔔 Reminders")
    screen = plain(anna.last.text)
    assert "a reminder the evening before each booking — on" in screen
    assert "Quiet hours: 22:00–08:00" in screen
    assert labels(anna)[0] == "🔕 Turn desk reminders off"
    assert "✓ 22:00–08:00" in labels(anna)

    await anna.click("🔕 Turn desk reminders off")
    assert "each booking — off" in plain(anna.last.text)
    assert await planned(runtime, ANNA) == []
    await deliver_at(bot, wall, local(WEDNESDAY, 8, zone="Europe/Moscow"))
    assert reminders_of(anna) == []

    # On again for the next booking, Thursday's: planned again, and sent.
    await anna.click("🔔 Turn desk reminders on")
    thursday = WEDNESDAY + timedelta(days=1)
    await book(anna, spb, thursday, AM)
    await deliver_at(bot, wall, local(thursday - timedelta(days=1), 18, zone="Europe/Moscow"))
    [text] = reminders_of(anna)
    assert "Thursday, 3 December 2026" in text


async def test_forged_settings_buttons_change_nothing(join: Join, runtime: Runtime) -> None:
    anna = await join(ANNA)
    await anna.press_data(ReminderCB(action=ReminderAction.DESKS, choice=2).pack())
    assert alert(anna) == STALE
    await anna.press_data(f"rm:{ReminderAction.QUIET.value}:{NO_QUIET + 1}")
    assert alert(anna) == STALE
    async with unit_of_work(runtime.factory) as session:
        wanted = await reminders.preferences(session, ANNA)
    assert wanted == reminders.Preferences()


async def test_choosing_other_quiet_hours_is_kept(join: Join, runtime: Runtime) -> None:
    anna = await join(ANNA)
    await anna.press_data(MenuCB(action=MenuAction.SETTINGS_REMINDERS).pack())
    await anna.click("21:00–09:00")
    assert "✓ 21:00–09:00" in labels(anna)
    await anna.click("No quiet hours")
    assert "Quiet hours: none" in plain(anna.last.text)
    async with unit_of_work(runtime.factory) as session:
        assert (await reminders.preferences(session, ANNA)).quiet is None


# --- quiet hours and daylight saving -----------------------------------------------------------


def test_quiet_hours_move_a_reminder_to_their_end_or_before_they_begin() -> None:
    zone = ZoneInfo(HELSINKI)
    day = date(2026, 12, 2)
    due = local(day - timedelta(days=1), 22, 30)  # a late reminder hour
    starts = local(day, 9)
    quiet = (time(22), time(8))
    assert reminders.fit(due, starts, quiet, zone) == local(day, 8)  # moved to the end
    early_start = local(day, 7, 30)  # the end would be too late: before they began instead
    assert reminders.fit(due, early_start, quiet, zone) == local(day - timedelta(days=1), 21, 59)
    assert reminders.fit(due, starts, None, zone) == due
    outside = local(day - timedelta(days=1), 18)
    assert reminders.fit(outside, starts, quiet, zone) == outside
    after_midnight = local(day, 3)  # quiet hours that began the evening before
    assert reminders.fit(after_midnight, starts, quiet, zone) == local(day, 8)
    assert reminders.fit(local(day, 9, 30), starts, quiet, zone) is None  # already too late


async def test_a_booking_plans_its_reminder_out_of_the_persons_quiet_hours(
    runtime: Runtime, spb: Place
) -> None:
    late = replace(spb, rules=replace(spb.rules, reminder_at=time(22, 30)))
    moscow = "Europe/Moscow"
    async with unit_of_work(runtime.factory) as session:
        for user_id in (ANNA, BORIS, ADMIN):
            await touch(session, Profile(user_id, "P", None, None), is_admin=False)
        await reminders.set_quiet(session, BORIS, (time(21), time(9)))
        await reminders.set_quiet(session, ADMIN, None)
        for user_id in (ANNA, BORIS, ADMIN):
            booking = await desks.book(session, spb, user_id, WEDNESDAY, AM, NOW)
            await notices.plan(session, late, booking, NOW)
    due = {
        user_id: [row.due_at for row in await planned(runtime, user_id)]
        for user_id in (ANNA, BORIS, ADMIN)
    }
    assert due[ANNA] == [local(WEDNESDAY, 8, zone=moscow)]  # 22:00–08:00: at their end
    tuesday = WEDNESDAY - timedelta(days=1)
    assert due[BORIS] == [local(tuesday, 20, 59, zone=moscow)]  # 09:00 is too late: before
    assert due[ADMIN] == [local(tuesday, 22, 30, zone=moscow)]


@pytest.mark.parametrize(
    ("booking_day", "utc_hour"),
    [
        (date(2026, 10, 25), 15),  # reminder Saturday 24 Oct 18:00 EEST (UTC+3)
        (date(2026, 10, 26), 16),  # reminder Sunday 25 Oct, the change: 18:00 EET (UTC+2)
        (date(2027, 3, 28), 16),  # reminder Saturday 27 Mar 18:00 EET
        (date(2027, 3, 29), 15),  # reminder Sunday 28 Mar, the change: 18:00 EEST
    ],
)
def test_the_18_00_reminder_keeps_to_helsinki_time_across_daylight_saving(
    lpr: Place, spb: Place, booking_day: date, utc_hour: int
) -> None:
    evening = booking_day - timedelta(days=1)
    assert lpr.reminder_due(booking_day) == datetime.combine(evening, time(utc_hour), UTC)
    # Moscow has no daylight saving: 18:00 there is 15:00 UTC all year.
    assert spb.reminder_due(booking_day) == datetime.combine(evening, time(15), UTC)


async def test_the_reminder_the_evening_of_the_october_change_goes_out_at_18_00_helsinki_time(
    join: Join, bot: Bot, wall: WallClock, lpr: Place
) -> None:
    monday = date(2026, 10, 26)
    wall.now = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)
    anna = await join(ANNA)
    await book(anna, lpr, monday, AM)
    sunday_18 = datetime(2026, 10, 25, 16, 0, tzinfo=UTC)  # EET since 04:00 that morning
    await deliver_at(bot, wall, sunday_18 - timedelta(seconds=1))
    assert reminders_of(anna) == []
    await deliver_at(bot, wall, sunday_18)
    assert len(reminders_of(anna)) == 1


# --- check-in -------------------------------------------------------------------------------


async def test_a_person_checks_in_from_the_morning_prompt_and_keeps_the_desk(
    join: Join, bot: Bot, wall: WallClock, lpr: Place, runtime: Runtime
) -> None:
    anna = await join(ANNA)
    await book(anna, lpr, WEDNESDAY, AM)
    assert "tap “I'm here” when you arrive, by 10:30" in plain(anna.last.text)
    await deliver_at(bot, wall, local(WEDNESDAY, 8, 59))
    assert prompts_of(anna) == []
    await deliver_at(bot, wall, local(WEDNESDAY, 9))
    [prompt] = prompts_of(anna)
    assert "by 10:30" in prompt
    assert labels(anna) == ["📍 I'm here", "My bookings"]
    wall.now = local(WEDNESDAY, 9, 5)
    await anna.click("📍 I'm here")
    assert anna.last.text.startswith("✅ <b>You are checked in.</b>")
    [booking] = await upcoming(runtime, ANNA)
    await anna.press_data(BookingCB(action=BookingAction.CHECK_IN, id=booking.id).pack())
    assert anna.recorded.toasts[-1].text == "Checked in."  # from an old copy: twice is fine

    assert (
        await release_no_shows(runtime.factory, runtime.places, lambda: local(WEDNESDAY, 10, 31))
        == 0
    )
    assert [b.status for b in await upcoming(runtime, ANNA)] == [Status.ACTIVE]
    wall.now = local(WEDNESDAY, 10, 31)
    assert "✅ Checked in" in await my_bookings(anna)


async def test_a_desk_nobody_checked_in_to_goes_to_the_first_in_line(
    join: Join, bot: Bot, wall: WallClock, lpr: Place, runtime: Runtime
) -> None:
    guests = await full_morning(join, lpr)
    anna = await join(ANNA)
    await wait_for_morning(anna, lpr)
    olga = await join(ADMIN, "Olga")
    for guest in guests[1:]:  # all but the first come in
        wall.now = local(WEDNESDAY, 9, 10)
        await my_bookings(guest)
        await guest.click("📍 I'm here #1")
    wall.now = local(WEDNESDAY, 10)
    await olga.send("/occupancy")
    board = plain(olga.last.text)
    assert board.count("✅ checked in at 09:10") == 7
    assert board.count("⏳ not checked in yet") == 1

    deadline = local(WEDNESDAY, 10, 30)
    assert (
        await release_no_shows(
            runtime.factory, runtime.places, lambda: deadline - timedelta(seconds=1)
        )
        == 0
    )
    assert await release_no_shows(runtime.factory, runtime.places, lambda: deadline) == 1
    await deliver_at(bot, wall, deadline)
    late = guests[0]
    assert plain(late.last.text).startswith("Nobody checked in to your desk by 10:30")
    assert await upcoming(runtime, late.user.id) == []
    offer = plain(anna.last.text)
    assert offer.startswith("🎉 <b>A desk has freed up for you!</b>")
    assert "held for you until 12:30 local time" in offer  # the rest of the morning
    await anna.click("✅ Take it")
    assert anna.last.text.startswith("✅ <b>The desk is yours!</b>")
    # Taken after the deadline, it is not taken back at the next round.
    later = deadline + timedelta(minutes=5)
    assert await release_no_shows(runtime.factory, runtime.places, lambda: later) == 0
    assert [b.status for b in await upcoming(runtime, ANNA)] == [Status.ACTIVE]
    assert await release_no_shows(runtime.factory, runtime.places, lambda: later) == 0  # again


async def test_check_in_buttons_are_checked_for_owner_and_time(
    join: Join, wall: WallClock, lpr: Place, spb: Place, runtime: Runtime
) -> None:
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await book(anna, lpr, WEDNESDAY, AM)
    await book(boris, spb, WEDNESDAY, AM)
    [annas] = await upcoming(runtime, ANNA)
    [boriss] = await upcoming(runtime, BORIS)
    here = BookingCB(action=BookingAction.CHECK_IN, id=annas.id)
    await anna.press_data(here.pack())  # Tuesday morning: a day early
    assert alert(anna) == "Check-in opens an hour before your booking starts."
    wall.now = local(WEDNESDAY, 9)
    await boris.press_data(here.pack())  # someone else's booking
    assert alert(boris).startswith("This booking is not active any more")
    await boris.press_data(BookingCB(action=BookingAction.CHECK_IN, id=boriss.id).pack())
    assert alert(boris) == "This Oasis does not ask for check-in: just come in."
    await anna.press_data(BookingCB(action=BookingAction.CHECK_IN, id=2**31 - 1).pack())
    assert alert(anna).startswith("This booking is not active any more")
    assert (await upcoming(runtime, ANNA))[0].checked_in_at is None


async def test_the_check_in_prompt_comes_even_with_reminders_off(
    join: Join, bot: Bot, wall: WallClock, lpr: Place
) -> None:
    anna = await join(ANNA)
    await anna.press_data(MenuCB(action=MenuAction.SETTINGS_REMINDERS).pack())
    await anna.click("🔕 Turn desk reminders off")
    await book(anna, lpr, WEDNESDAY, AM)
    await deliver_at(bot, wall, local(WEDNESDAY, 9))
    assert reminders_of(anna) == []
    assert len(prompts_of(anna)) == 1


async def test_a_check_in_and_the_deadline_at_the_same_moment_have_one_outcome(
    runtime: Runtime, lpr: Place
) -> None:
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(ANNA, "Anna", None, None), is_admin=False)
        booking = await desks.book(session, lpr, ANNA, WEDNESDAY, AM, NOW)
    deadline = local(WEDNESDAY, 10, 30)

    async def check_in() -> bool:
        async with unit_of_work(runtime.factory) as session:
            try:
                await checkin.check_in(session, runtime.places, booking.id, ANNA, deadline)
            except desks.Refused:
                return False
            return True

    async def release() -> int:
        return await release_no_shows(runtime.factory, runtime.places, lambda: deadline)

    checked_in, released = await asyncio.gather(check_in(), release())
    assert checked_in != bool(released)  # exactly one of them won
    async with unit_of_work(runtime.factory) as session:
        row = await session.get(desks.DeskBooking, booking.id)
        assert row is not None
        assert (row.status == Status.ACTIVE) == checked_in == (row.checked_in_at is not None)
