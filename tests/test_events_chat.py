"""Events through the real dispatcher: list → card → Register → full → waitlist → a freed seat
→ reminders → cancel, the DST case, the calendar file, staff tools and forged buttons."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import Message
from icalendar import Calendar

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient
from handlers.events.callbacks import EventAction, EventCB, EventStaffCB, StaffAction
from handlers.ui.callbacks import LanguageCB, Locale
from storage.engine import unit_of_work
from storage.events import seats
from storage.events.tables import Event, Seat
from tests.conftest import FakeClock
from tests.events_helpers import add_events, sample
from tests.test_coaching_chat import Wall

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday, 08:00 in Lappeenranta
STARTS = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # Thursday 17:00 in Lappeenranta
ANNA, BORIS, ADMIN = 1001, 1002, 3001


@pytest.fixture
def wall() -> Wall:
    return Wall(NOW)


@pytest.fixture
def events_dispatcher(runtime: Runtime, clock: FakeClock, wall: Wall, bot: Bot) -> Dispatcher:
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


Join = Callable[..., Awaitable[ChatClient]]


@pytest.fixture
def join(events_dispatcher: Dispatcher, bot: Bot) -> Join:
    async def make(user_id: int, name: str = "Anna", language: str = "en") -> ChatClient:
        client = ChatClient(
            events_dispatcher, bot, user_id, first_name=name, language_code=language
        )
        await client.send("/start")
        await client.press_data(LanguageCB(locale=Locale(language)).pack())
        return client

    return make


def plain(text: str | None) -> str:
    """The text as one reads it: no markup, Babel's narrow and no-break spaces as spaces."""
    return re.sub(r"<[^>]+>", "", text or "").replace("\u202f", " ").replace("\xa0", " ")


def labels(message: Message) -> list[str]:
    markup = message.reply_markup
    return [plain(b.text) for row in markup.inline_keyboard for b in row] if markup else []


async def open_card(client: ChatClient, title: str) -> Message:
    await client.click("Events")
    listing = client.last
    await client.click(next(label for label in labels(listing) if title in label), listing)
    return client.recorded.messages[listing.message_id]


def reported(admin: ChatClient) -> Message:
    """The latest /event_report (the CSV document follows it)."""
    return next(m for m in reversed(admin.messages) if "Registered:" in plain(m.text))


async def deliver(bot: Bot) -> None:
    await bot.session.after_update()  # type: ignore[attr-defined]


async def test_register_waitlist_freed_seat_reminders_and_cancel(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    ids = await add_events(runtime, NOW, sample("talk", STARTS, capacity=1))
    anna, boris, admin = await join(ANNA), await join(BORIS, "Boris"), await join(ADMIN, "Staff")
    card = await open_card(anna, "Event talk")
    text = plain(card.text)
    assert "Thursday, 10 December 2026, 17:00–19:00" in text and "Hall" in text
    assert "1 seat left of 1" in text
    await anna.click("Register", card)
    assert anna.toasts[-1] == "You are registered."
    card = anna.recorded.messages[card.message_id]
    assert "✅ You are registered." in plain(card.text)
    assert "Unregister" in labels(card) and "📅 Add to calendar" in labels(card)

    card_b = await open_card(boris, "Event talk")
    assert "Full: the waitlist is open." in plain(card_b.text)
    await boris.click("Join the waitlist", card_b)
    assert boris.toasts[-1] == "The event is full: you are number 1 on the waitlist."
    assert "number 1 in line" in plain(boris.recorded.messages[card_b.message_id].text)

    await anna.click("Unregister", card)
    await anna.click("Yes", anna.recorded.messages[card.message_id])
    assert anna.toasts[-1] == "Your registration is cancelled."
    told = boris.last
    assert plain(told.text).startswith("🎉 A seat freed up and it is yours.")
    assert "Unregister" in labels(told)

    wall.now = STARTS - timedelta(hours=24)
    await deliver(bot)
    reminder = boris.last
    assert plain(reminder.text).startswith("⏰ A reminder of your event")
    assert "Hall" in plain(reminder.text)
    assert not any("reminder" in plain(m.text) for m in anna.messages)  # she left

    wall.now = STARTS - timedelta(hours=3)
    await admin.send(f"/event_report {ids['talk']}")
    report = reported(admin)
    assert "Registered: 1 of 1; waitlist: 0; attended: 0" in plain(report.text)
    assert "No text in Russian, Finnish: those readers see another language." in plain(report.text)
    await admin.click("Cancel the event", report)
    await admin.click("Yes, cancel it", admin.recorded.messages[report.message_id])
    assert admin.toasts[-1] == "The event is cancelled; 1 person will be told."
    assert plain(boris.last.text).startswith("❌ Cancelled: Event talk")
    wall.now = STARTS - timedelta(hours=1)
    before = len(boris.messages)
    await deliver(bot)
    assert len(boris.messages) == before  # no reminder for a cancelled event


async def test_an_event_the_day_after_the_october_change_is_at_ten_helsinki_time(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    wall.now = datetime(2027, 10, 20, 6, 0, tzinfo=UTC)
    starts = datetime(2027, 11, 1, 8, 0, tzinfo=UTC)  # 10:00 EET: clocks went back on 31 Oct
    await add_events(runtime, wall.now, sample("dst", starts, capacity=5))
    anna = await join(ANNA)
    card = await open_card(anna, "Event dst")
    assert "Monday, 1 November 2027, 10:00–12:00" in plain(card.text)
    await anna.click("Register", card)
    wall.now = starts - timedelta(hours=1)
    await deliver(bot)
    hour_before = plain(anna.last.text)
    assert hour_before.startswith("⏰ Your event starts in an hour")
    assert "10:00–12:00" in hour_before


async def test_the_time_is_also_given_in_the_readers_zone_and_the_link_only_to_registrants(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    from storage import desks
    from storage.desks.opening import Period

    await add_events(runtime, NOW, sample("web", STARTS, online=True, timezone="Europe/Helsinki"))
    anna = await join(ANNA)
    spb = next(p for p in runtime.places.all if p.key == "spb")
    async with unit_of_work(runtime.factory) as session:
        await desks.book(session, spb, ANNA, datetime(2026, 12, 2).date(), Period.MORNING, NOW)
    card = await open_card(anna, "Event web")
    text = plain(card.text)
    assert "17:00–19:00" in text and "= 18:00" in text  # Helsinki, and Moscow for her
    assert "meet.example.org" not in text
    await anna.click("Register", card)
    assert "https://meet.example.org/x" in plain(anna.recorded.messages[card.message_id].text)


async def test_add_to_calendar_is_one_entry_per_course_session_with_stable_uids(
    runtime: Runtime, join: Join, bot: Bot
) -> None:
    await add_events(runtime, NOW, sample("course", STARTS, kind="course", parts=3))
    anna = await join(ANNA)
    card = await open_card(anna, "Event course")
    assert "Sessions (one registration covers them all):" in plain(card.text)
    await anna.click("Register", card)
    await anna.click("📅 Add to calendar", anna.recorded.messages[card.message_id])
    sent = [m for m in bot.session.calls if isinstance(m, SendDocument)]  # type: ignore[attr-defined]
    calendar = Calendar.from_ical(sent[-1].document.data)  # type: ignore[union-attr]
    entries = calendar.walk("VEVENT")
    assert len(entries) == 3
    assert len({str(e["UID"]) for e in entries}) == 3
    assert all(int(e["SEQUENCE"]) == 0 for e in entries)


async def test_the_list_filters_by_kind_and_language(runtime: Runtime, join: Join) -> None:
    await add_events(
        runtime, NOW,
        sample("ws", STARTS), sample("pitch", STARTS, kind="pitching", language="fi"),
    )  # fmt: skip
    anna = await join(ANNA)
    await anna.click("Events")
    listing = anna.last
    assert sum("Event" in label for label in labels(listing)) == 2
    await anna.click("Kind", listing)
    await anna.click("Pitching", anna.recorded.messages[listing.message_id])
    shown = anna.recorded.messages[listing.message_id]
    assert [label for label in labels(shown) if "Event" in label] == ["Thu, 10 Dec · Event pitch"]
    await anna.click("Language", shown)
    await anna.click("English", anna.recorded.messages[listing.message_id])
    assert "No upcoming events match these filters." in plain(
        anna.recorded.messages[listing.message_id].text
    )


async def test_forged_and_stale_buttons_are_refused_with_the_reason(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    closes = STARTS - timedelta(days=2)
    ids = await add_events(
        runtime, NOW,
        sample("open", STARTS), sample("shut", STARTS, closes=closes),
        sample("off", STARTS, cancelled=True),
    )  # fmt: skip
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=ids["off"]).pack())
    assert anna.toasts[-1] == "This event has been cancelled."
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=999_999).pack())
    assert anna.toasts[-1] == "This event is no longer available."
    await anna.press_data(EventCB(action=EventAction.LEAVE_YES, id=ids["open"]).pack())
    assert anna.toasts[-1] == "You are not registered for this event."
    await anna.press_data(EventCB(action=EventAction.ICS, id=ids["open"]).pack())
    assert anna.toasts[-1] == "You are not registered for this event."
    await anna.press_data(EventCB(action=EventAction.LIST, lang="de").pack())
    assert "no longer valid" in (anna.toasts[-1] or "")
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=ids["open"]).pack())
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=ids["open"]).pack())
    assert anna.toasts[-1] == "You are already registered or in line for this event."
    wall.now = closes + timedelta(minutes=1)
    await boris.press_data(EventCB(action=EventAction.REGISTER, id=ids["shut"]).pack())
    assert boris.toasts[-1] == "Registration for this event has closed, and so has the waitlist."
    # staff buttons from someone who is not staff: refused before anything is read
    for action in StaffAction:
        data = EventStaffCB(action=action, id=ids["open"], user=ANNA).pack()
        await boris.press_data(data)
        assert "no longer valid" in (boris.toasts[-1] or "")
    await boris.send(f"/event_report {ids['open']}")
    assert boris.last.text == "This command is for the programme staff."
    async with runtime.factory() as session:
        mine = await seats.own(session, ids["open"], ANNA)
        assert mine is not None and mine.status == Seat.REGISTERED and not mine.attended
        event = await session.get(Event, ids["open"])
        assert event is not None and event.taken == 1


async def test_staff_mark_attendance_and_export_the_list(
    runtime: Runtime, join: Join, bot: Bot
) -> None:
    ids = await add_events(runtime, NOW, sample("come", STARTS, capacity=3))
    anna, admin = await join(ANNA, "=cmd|' /C calc'!A0"), await join(ADMIN, "Staff")
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=ids["come"]).pack())
    await admin.send(f"/event_report {ids['come']}")
    report = reported(admin)
    await admin.click("Attendance", report)
    listed = admin.recorded.messages[report.message_id]
    await admin.click(next(label for label in labels(listed) if "▫️" in label), listed)
    assert admin.toasts[-1] == "Marked: they came."
    await admin.send(f"/event_report {ids['come']}")
    assert "Registered: 1 of 3; waitlist: 0; attended: 1" in plain(reported(admin).text)
    sent = [m for m in bot.session.calls if isinstance(m, SendDocument)]  # type: ignore[attr-defined]
    data = sent[-1].document.data  # type: ignore[union-attr]
    assert data.startswith("\ufeff".encode())
    assert "'=cmd" in data.decode("utf-8")  # a formula-looking name is neutralised


async def test_event_reminders_turned_off_in_the_settings_are_not_sent_and_on_again_are(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    ids = await add_events(runtime, NOW, sample("quiet", STARTS, capacity=5))
    anna = await join(ANNA)
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=ids["quiet"]).pack())
    await anna.send("/start")
    await anna.click("Settings")
    await anna.click("🔔 Reminders")
    assert "before each event — on" in plain(anna.last.text)
    await anna.click("🔕 Turn event reminders off")
    assert "before each event — off" in plain(anna.last.text)
    wall.now = STARTS - timedelta(hours=24)
    await deliver(bot)
    assert not any("reminder of your event" in plain(m.text) for m in anna.messages)
    await anna.click("🔔 Turn event reminders on")
    wall.now = STARTS - timedelta(hours=1)
    await deliver(bot)
    assert plain(anna.last.text).startswith("⏰ Your event starts in an hour")
