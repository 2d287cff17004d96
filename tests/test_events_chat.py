"""Events through the real dispatcher: list → card → Register → full → waitlist → a freed seat
→ reminders → cancel, the DST case, the calendar file, staff tools and forged buttons; and
`/events_admin`: staff write an event step by step, see the draft as entrepreneurs will,
publish it, change its seats, time and room (registered people are told, reminders follow the
new time) and cancel it; typed mistakes get the rule, and nobody but staff gets in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import Message
from icalendar import Calendar
from sqlalchemy import select

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient
from handlers.events.callbacks import (
    AdminAction,
    EventAction,
    EventAdminCB,
    EventCB,
    EventStaffCB,
    StaffAction,
)
from handlers.ui.callbacks import LanguageCB, Locale
from storage.engine import unit_of_work
from storage.events import seats
from storage.events.tables import Event, EventStatus, Seat
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
    assert "No title in Russian: those readers see another language." in plain(report.text)
    assert "No description in Russian, Finnish: those readers" in plain(report.text)
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
    assert boris.last.text == "I don't know this command. Send /help to see what I can do."
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


# ---- /events_admin: staff write, publish, change and cancel events ----

START = "2026-12-10 17:00-19:00"  # Thursday, Lappeenranta time (15:00 UTC)
STICKER = {
    "file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
    "is_animated": False, "is_video": False,
}  # fmt: skip


async def write_event(
    admin: ChatClient, *, title: str = "Pitch clinic", kind: str = "Workshop", capacity: str = "1"
) -> None:
    await admin.send("/events_admin")
    await admin.click("New event")
    await admin.click(kind)
    await admin.click("English")
    await admin.click("Business Oasis Lappeenranta")
    await admin.send("Hall B")
    await admin.send(title)
    await admin.send("Bring your deck; we go through it slide by slide.")
    await admin.send(START)
    await admin.send(capacity)


async def event_id(runtime: Runtime, title: str) -> int:
    async with runtime.factory() as session:
        events = (await session.scalars(select(Event))).all()
        return next(e.id for e in events if e.titles.get("en") == title)


async def test_write_publish_register_change_and_cancel_an_event(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    admin = await join(ADMIN, "Staff")
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await write_event(admin)
    draft = admin.last
    text = plain(draft.text)
    assert text.startswith("Draft saved: check it, then publish.")
    assert "not published, only staff see it" in text
    assert "No title in Russian, Finnish" in text
    assert "Thursday, 10 December 2026, 17:00–19:00" in text and "room: Hall B" in text
    assert "1 seat left of 1" in text
    ident = await event_id(runtime, "Pitch clinic")

    await anna.click("Events")
    assert not any("Pitch clinic" in label for label in labels(anna.last))
    await anna.press_data(EventCB(action=EventAction.CARD, id=ident).pack())
    assert anna.toasts[-1] == "This event is no longer available."
    await anna.press_data(EventCB(action=EventAction.REGISTER, id=ident).pack())
    assert anna.toasts[-1] == "This event is no longer available."

    await admin.click("✏️ Texts", draft)
    await admin.click("Title · fi")
    await admin.send("Pitch-klinikka")
    assert "No title in Russian:" in plain(admin.last.text)
    await admin.click("✅ Publish")
    assert admin.toasts[-1] == "Published: entrepreneurs see it in Events now."
    assert "is published. Registered: 0 of 1; waitlist: 0." in plain(admin.last.text)

    card = await open_card(anna, "Pitch clinic")
    await anna.click("Register", card)
    card_b = await open_card(boris, "Pitch clinic")
    await boris.click("Join the waitlist", card_b)

    await admin.send("/events_admin")
    await admin.click("Pitch clinic")
    await admin.click("🪑 Seats")
    await admin.send("2")
    assert plain(admin.last.text).startswith(
        "Saved: 1 person from the waitlist got a seat and will be told."
    )
    assert plain(boris.last.text).startswith("🎉 A seat freed up and it is yours.")

    await admin.click("🕒 Time")
    await admin.send("2026-12-11 10:00-12:00")
    assert plain(admin.last.text).startswith("Saved: 2 registered people will be told.")
    for person in (anna, boris):
        moved = plain(person.last.text)
        assert moved.startswith("🔁 The time of an event you registered for has changed.")
        assert "Friday, 11 December 2026, 10:00–12:00" in moved
    await anna.click("📅 Add to calendar", anna.last)
    sent = [m for m in bot.session.calls if isinstance(m, SendDocument)]  # type: ignore[attr-defined]
    entry = Calendar.from_ical(sent[-1].document.data).walk("VEVENT")[0]  # type: ignore[union-attr]
    sequence = int(entry["SEQUENCE"])
    assert sequence >= 1 and entry["DTSTART"].dt.hour == 10

    await admin.click("📍 Room")
    await admin.send("Room 204")
    assert plain(anna.last.text).startswith(
        "📍 The room of an event you registered for has changed."
    )
    assert "room: Room 204" in plain(anna.last.text)

    # the reminders follow the new time: none at the old one, one a day before the new one
    wall.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # a day before the old start
    before = len(anna.messages)
    await deliver(bot)
    assert len(anna.messages) == before
    wall.now = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)  # a day before the new start
    await deliver(bot)
    assert plain(anna.last.text).startswith("⏰ A reminder of your event")
    assert "Room 204" in plain(anna.last.text)

    await admin.send("/events_admin")
    await admin.click("Pitch clinic")
    await admin.click("Cancel the event")
    await admin.click("Yes, cancel it")
    assert admin.toasts[-1] == "The event is cancelled; 2 people will be told."
    cancelled = anna.last
    assert plain(cancelled.text).startswith("❌ Cancelled: Pitch clinic")
    await anna.click("📅 Remove from calendar", cancelled)
    sent = [m for m in bot.session.calls if isinstance(m, SendDocument)]  # type: ignore[attr-defined]
    calendar = Calendar.from_ical(sent[-1].document.data)  # type: ignore[union-attr]
    entry = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "CANCEL" and str(entry["STATUS"]) == "CANCELLED"
    assert int(entry["SEQUENCE"]) > sequence


async def test_a_course_takes_a_line_per_session_and_typed_mistakes_get_the_rule(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    admin = await join(ADMIN, "Staff")
    await admin.send("/events_admin")
    await admin.click("New event")
    await admin.click("Course")
    await admin.click("Finnish")
    await admin.click("💻 Online")
    await admin.send("http://meet.example.org/x")
    assert plain(admin.last.text).startswith("The link must be a full https:// address")
    await admin.send("https://meet.example.org/course")
    await admin.click("Europe/Helsinki")
    await admin.send(sticker=STICKER)
    assert admin.last.text == "Please write it as text, or /cancel."
    await admin.send("x" * 121)
    assert plain(admin.last.text).startswith("A title can be up to 120 characters.")
    await admin.send("Startup basics")
    await admin.send("y" * 10_000)
    assert plain(admin.last.text).startswith("A description can be up to 1500 characters.")
    await admin.send("Four evenings\u0000 from idea to a first customer.")
    assert "2026-12-08 14:00-16:00\n2026-12-15 14:00-16:00" in plain(admin.last.text)  # example
    await admin.send("2026-12-10 17:00-19:00")
    assert plain(admin.last.text).startswith("A course has two sessions or more")
    await admin.send("2026-11-30 17:00-19:00\n2026-12-07 17:00-19:00")
    assert plain(admin.last.text).startswith("The sessions must be in the future.")
    await admin.send("2026-12-10 17:00-19:00\n2026-12-10 18:00-20:00")
    assert plain(admin.last.text).startswith("Write the sessions in time order, without overlap.")
    await admin.send("10.12.2026 17:00")
    assert plain(admin.last.text).startswith("Write each session on its own line")
    await admin.send("2026-12-10 17:00-19:00\n2026-12-17 17:00-19:00")
    await admin.send("lots")
    assert plain(admin.last.text).startswith("Write the number of seats, from 1 to 10000.")
    await admin.send("12")
    text = plain(admin.last.text)
    assert "Sessions (one registration covers them all):" in text
    assert "1. Thursday, 10 December 2026" in text and "2. Thursday, 17 December 2026" in text
    assert "Online (the link is sent to registered people)" in text
    async with runtime.factory() as session:
        event = await session.get(Event, await event_id(runtime, "Startup basics"))
        assert event is not None and event.status == EventStatus.DRAFT
        assert event.kind == "course" and event.language == "fi" and event.capacity == 12
        assert "\x00" not in event.descriptions["en"]

    await admin.click("⏳ Registration window")
    await admin.send("2026-12-01 09:00 2026-12-11 09:00")
    assert plain(admin.last.text).startswith("Registration must close by the start of the event.")
    await admin.send("2026-12-05 09:00 2026-12-09 18:00")
    assert "Registration opens Saturday, 5 December 2026 at 09:00." in plain(admin.last.text)
    await admin.click("🗑 Discard")
    await admin.click("Yes, discard it")
    assert admin.toasts[-1] == "The draft is discarded."
    async with runtime.factory() as session:
        assert (await session.scalars(select(Event))).all() == []


async def test_the_events_admin_is_for_staff_only(runtime: Runtime, join: Join) -> None:
    admin, anna = await join(ADMIN, "Staff"), await join(ANNA)
    await anna.send("/events_admin")
    assert anna.last.text == "I don't know this command. Send /help to see what I can do."
    await write_event(admin, title="Staff only")
    ident = await event_id(runtime, "Staff only")
    for action in AdminAction:
        await anna.press_data(EventAdminCB(action=action, id=ident, n=1, lang="en").pack())
        assert "no longer valid" in (anna.toasts[-1] or "")
    async with runtime.factory() as session:
        event = await session.get(Event, ident)
        assert event is not None and event.status == EventStatus.DRAFT  # not published
    # a step of a finished draft, pressed again, does not start writing over it
    await admin.press_data(EventAdminCB(action=AdminAction.KIND, n=2).pack())
    assert "no longer valid" in (admin.toasts[-1] or "")
    await admin.press_data(EventAdminCB(action=AdminAction.EDIT, id=ident, n=0, lang="de").pack())
    assert "no longer valid" in (admin.toasts[-1] or "")
    await admin.press_data(EventAdminCB(action=AdminAction.PUBLISH, id=ident).pack())
    await admin.press_data(EventAdminCB(action=AdminAction.PUBLISH, id=ident).pack())
    assert admin.toasts[-1] == "This event is published already."


async def test_a_published_event_cannot_be_discarded_and_the_time_of_a_started_one_is_kept(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    admin = await join(ADMIN, "Staff")
    await write_event(admin, title="Soon")
    await admin.click("✅ Publish")
    ident = await event_id(runtime, "Soon")
    await admin.press_data(EventAdminCB(action=AdminAction.DISCARD_YES, id=ident).pack())
    assert admin.toasts[-1] == "This draft is gone already."
    wall.now = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)  # it has started
    await admin.press_data(EventAdminCB(action=AdminAction.EDIT, id=ident, n=2).pack())
    await admin.send("2026-12-12 10:00-12:00")
    assert admin.last.text == "This event has already started."
    async with runtime.factory() as session:
        event = await session.get(Event, ident)
        assert event is not None and event.starts_at == datetime(2026, 12, 10, 15, tzinfo=UTC)
        assert event.starts_at - NOW > timedelta(0)
