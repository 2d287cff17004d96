"""Desk booking in the chat, on SQLite and on PostgreSQL + Redis: booking and cancelling in a
few taps, the calendar in the user's language and time zone, closed days, forged and stale
buttons, the booking rules, the waitlist and its offers, and the staff's tools."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile, InlineKeyboardButton, Message
from icalendar import Calendar

from bot.app import Runtime, create_dispatcher
from bot.i18n import create_i18n
from bot.sandbox.formatting import parse_html
from bot.sandbox.recording import ChatClient
from handlers.desks.callbacks import (
    BookingAction,
    BookingCB,
    DeskAction,
    DeskCB,
    StaffAction,
    StaffCB,
)
from handlers.desks.staff import parse_day
from handlers.ui.callbacks import LanguageCB, Locale, MenuAction, MenuCB
from storage import desks
from storage.desks import DeskBooking
from storage.desks.opening import Period, Place
from storage.engine import unit_of_work
from storage.users import Profile, touch
from tests.conftest import FakeClock

# A Tuesday: 08:00 in Lappeenranta (Europe/Helsinki), 09:00 in St. Petersburg (Europe/Moscow).
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TUESDAY, WEDNESDAY, THURSDAY = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)
FULL, AM, PM = Period.FULL, Period.MORNING, Period.AFTERNOON
ANNA, BORIS, ADMIN = 1001, 1002, 3001  # ADMIN_IDS in the test settings
GUESTS = range(2001, 2009)  # eight people: every desk in Lappeenranta
STALE = "This button is no longer valid. Please send /start to open the menu again."
QUOTA = (
    "You already have 5 upcoming desk bookings, the most you can hold at once. "
    "Cancel one in My bookings to book another."
)
FIVE = [(TUESDAY, AM), (TUESDAY, PM), (WEDNESDAY, AM), (WEDNESDAY, PM), (THURSDAY, AM)]


class WallClock:
    """The date and time the bookings obey: stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Join = Callable[..., Awaitable[ChatClient]]


@pytest.fixture
def wall() -> WallClock:
    return WallClock(NOW)


@pytest.fixture
def desk_dispatcher(runtime: Runtime, clock: FakeClock, wall: WallClock, bot: Bot) -> Dispatcher:
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]  # the outbox runs on it too
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


@pytest.fixture
def join(desk_dispatcher: Dispatcher, bot: Bot) -> Join:
    """`await join(user_id, name, language)`: someone who sent /start and chose a language."""

    async def make(user_id: int, first_name: str = "Anna", language: str = "en") -> ChatClient:
        client = ChatClient(
            desk_dispatcher, bot, user_id, first_name=first_name, language_code=language
        )
        await client.send("/start")
        await client.press_data(LanguageCB(locale=Locale(language)).pack())
        return client

    return make


def place_of(runtime: Runtime, key: str) -> Place:
    return next(place for place in runtime.places.all if place.key == key)


@pytest.fixture
def lpr(runtime: Runtime) -> Place:
    return place_of(runtime, "lpr")


@pytest.fixture
def spb(runtime: Runtime) -> Place:
    return place_of(runtime, "spb")


# --- what the person sees -------------------------------------------------------------------


def plain(text: str | None) -> str:
    """Babel's narrow and no-break spaces as ordinary ones: the text as one reads it."""
    return (text or "").replace("\u202f", " ").replace("\xa0", " ")


def keyboard_message(client: ChatClient) -> Message:
    return next(message for message in reversed(client.messages) if message.reply_markup)


def buttons(client: ChatClient) -> list[InlineKeyboardButton]:
    markup = keyboard_message(client).reply_markup
    assert markup is not None
    return [button for row in markup.inline_keyboard for button in row]


def labels(client: ChatClient) -> list[str]:
    return [plain(button.text) for button in buttons(client)]


def day_labels(client: ChatClient) -> list[str]:
    """The calendar's days, e.g. ["1", "2", ..., "5✕", "6✕", ...]."""
    return [label for label in labels(client) if label[:1].isdigit()]


def alert(client: ChatClient) -> str:
    toast = client.recorded.toasts[-1]
    assert toast.show_alert, f"a passing toast, not an alert: {toast.text!r}"
    return plain(toast.text)


def documents(client: ChatClient) -> list[BufferedInputFile]:
    sent = [
        call.document
        for call in client.session.calls
        if isinstance(call, SendDocument) and int(call.chat_id) == client.user.id
    ]
    assert all(isinstance(document, BufferedInputFile) for document in sent)
    return sent  # type: ignore[return-value]


def event_of(document: BufferedInputFile) -> Calendar:
    [event] = Calendar.from_ical(document.data).walk("VEVENT")
    return event


def well_formed(client: ChatClient) -> None:
    """Every message would pass Telegram's HTML parser (the real bot sends parse_mode=HTML)."""
    for message in client.messages:
        parse_html(message.text or message.caption or "")


# --- what the person does -------------------------------------------------------------------


async def tap(client: ChatClient, label: str) -> None:
    """Press the button labelled exactly `label` (in a calendar "2" is not "12")."""
    found = [button for button in buttons(client) if plain(button.text) == label]
    assert found, f"no button {label!r} among {labels(client)}"
    assert found[0].callback_data is not None
    await client.press_data(found[0].callback_data, keyboard_message(client))


async def press(client: ChatClient, data: CallbackData) -> None:
    """Press the button that sends `data`, whatever its label says in the user's language."""
    packed = data.pack()
    offered = [button.callback_data for button in buttons(client)]
    assert packed in offered, f"no button {packed} among {labels(client)}"
    await client.press_data(packed, keyboard_message(client))


async def open_calendar(client: ChatClient, place: Place) -> None:
    await client.send("/start")
    await press(client, MenuCB(action=MenuAction.DESK))
    await press(client, DeskCB(action=DeskAction.CALENDAR, loc=place.id))


async def open_day(client: ChatClient, place: Place, day: date) -> None:
    await open_calendar(client, place)
    await press(client, DeskCB(action=DeskAction.DAY, loc=place.id, day=day.toordinal()))


async def book(client: ChatClient, place: Place, day: date, period: Period = AM) -> None:
    """Menu → location → day → period → Any free desk → Confirm, by the buttons shown."""
    await open_day(client, place, day)
    slot = {"loc": place.id, "day": day.toordinal(), "period": period}
    await press(client, DeskCB(action=DeskAction.PERIOD, **slot))
    await press(client, DeskCB(action=DeskAction.SUMMARY, **slot))
    await press(client, DeskCB(action=DeskAction.CONFIRM, **slot))


async def my_bookings(client: ChatClient) -> str:
    await client.send("/start")
    await press(client, MenuCB(action=MenuAction.BOOKINGS))
    return plain(client.last.text)


# --- what happens elsewhere meanwhile, straight through the storage --------------------------


async def booked_directly(
    runtime: Runtime, place: Place, user_id: int, slots: Iterable[tuple[date, Period]]
) -> list[DeskBooking]:
    async with unit_of_work(runtime.factory) as session:
        return [
            await desks.book(session, place, user_id, day, period, NOW) for day, period in slots
        ]


async def fill(
    runtime: Runtime, place: Place, day: date, period: Period, user_ids: Iterable[int]
) -> None:
    """Other people, who never chatted, take desks of `period`."""
    for user_id in user_ids:
        async with unit_of_work(runtime.factory) as session:
            await touch(session, Profile(user_id, f"Guest {user_id}", None, None), is_admin=False)
        await booked_directly(runtime, place, user_id, [(day, period)])


async def upcoming(runtime: Runtime, user_id: int) -> list[DeskBooking]:
    async with unit_of_work(runtime.factory) as session:
        return await desks.upcoming(session, user_id, NOW)


# --- 1. the whole flow ----------------------------------------------------------------------


async def test_a_desk_is_booked_put_in_the_calendar_and_cancelled_in_a_few_taps(
    join: Join, lpr: Place
) -> None:
    anna = await join(ANNA)
    await anna.click("Book a desk")
    await anna.click("Lappeenranta")
    assert "<b>Business Oasis Lappeenranta</b>\nDecember 2026\nChoose a day." in anna.last.text
    assert day_labels(anna)[:7] == ["1", "2", "3", "4", "5✕", "6✕", "7"]
    await anna.click("⚡ Earliest free day: Tue, 1 Dec")
    assert labels(anna)[:3] == [
        "Full day 09:00–18:00 · 8 free",
        "Morning 09:00–13:00 · 8 free",
        "Afternoon 13:00–18:00 · 8 free",
    ]
    await anna.click("Morning")
    await anna.click("Any free desk")
    assert "Please check your booking" in anna.last.text
    await anna.click("✅ Confirm booking")
    confirmation = anna.last
    assert anna.toasts[-1] == "Booked!"
    assert plain(anna.last.text) == (
        "✅ <b>Your desk is booked!</b>\n\n"
        "📍 Business Oasis Lappeenranta\n"
        "📅 Tuesday, 1 December 2026\n"
        "🕘 Morning, 09:00–13:00 local time\n"
        "💺 Desk A1 (Open space, monitor)\n"
        "🏢 [address]\n\n"
        "📍 On the day, tap “I'm here” when you arrive, by 10:30: a desk nobody has checked in "
        "to by then is released for others."
    )

    await anna.click("📅 Add to calendar")
    [ics] = documents(anna)
    assert anna.last.caption == "Open the file to add the booking to your calendar."
    event = event_of(ics)
    assert ics.filename.endswith(".ics")
    assert event["dtstart"].params["TZID"] == "Europe/Helsinki"
    assert event.decoded("dtstart") == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 09:00 local
    assert event.decoded("dtend") == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 13:00 local
    assert str(event["summary"]) == "Desk A1 (Open space) · Business Oasis Lappeenranta"
    assert str(event["status"]) == "CONFIRMED"

    listing = await my_bookings(anna)
    assert "1. Tue, 1 Dec · Morning 09:00–13:00\n    Business Oasis Lappeenranta" in listing
    # Today, at 08:00, an hour before it starts: Lappeenranta asks to check in.
    assert labels(anna)[:3] == ["📍 I'm here #1", "📅 Calendar #1", "✖ Cancel #1"]
    await anna.click("✖ Cancel #1")
    assert anna.last.text.startswith("Cancel this booking?")
    assert labels(anna) == ["Yes, cancel it", "No, keep it"]
    await anna.click("No, keep it")
    assert "1. Tue, 1 Dec · Morning" in plain(anna.last.text)

    await anna.click("✖ Cancel #1")
    await anna.click("Yes, cancel it")
    assert anna.toasts[-1] == "Cancelled."
    assert anna.last.text.startswith("Your booking is cancelled.")
    await anna.click("📅 Remove from my calendar")
    cancelled = event_of(documents(anna)[-1])
    assert (cancelled["uid"], cancelled["status"]) == (event["uid"], "CANCELLED")
    assert cancelled["sequence"] > event["sequence"]  # so the calendar app updates the event
    assert "You have no upcoming bookings." in await my_bookings(anna)
    await anna.click("✖ Cancel booking", message=confirmation)  # the old button, once more
    assert alert(anna).startswith("This booking is not active any more.")
    await open_day(anna, lpr, TUESDAY)
    assert "Morning 09:00–13:00 · 8 free" in labels(anna)
    well_formed(anna)


async def test_each_location_keeps_its_own_clock(join: Join, lpr: Place, spb: Place) -> None:
    """At 09:00 in St. Petersburg its morning has begun; Lappeenranta, an hour behind, not."""
    anna = await join(ANNA)
    await open_day(anna, spb, TUESDAY)
    assert labels(anna)[:-2] == ["Afternoon 13:00–18:00 · 10 free"]
    await open_day(anna, lpr, TUESDAY)
    assert "Morning 09:00–13:00 · 8 free" in labels(anna)


# --- 2. in the user's language --------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "calendar", "earliest", "weekdays", "booked"),
    [
        (
            "ru",
            "<b>Бизнес-оазис в Лаппеэнранте</b>\nдекабрь 2026 г.",
            "вт, 1 дек.",
            ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
            [
                "📍 Бизнес-оазис в Лаппеэнранте",
                "📅 вторник, 1 декабря 2026 г.",
                "09:00–13:00",
                "(Открытое пространство,",
                "🏢 [address]",
            ],
        ),
        (
            "fi",
            "<b>Business Oasis Lappeenranta</b>\njoulukuu 2026",
            "ti 1.12.",
            ["ma", "ti", "ke", "to", "pe", "la", "su"],
            [
                "📍 Business Oasis Lappeenranta",
                "📅 tiistai 1. joulukuuta 2026",
                "9.00–13.00",
                "(Avotila,",
                "🏢 [address]",
            ],
        ),
    ],
)
async def test_the_calendar_and_the_booking_speak_the_users_language(
    join: Join,
    lpr: Place,
    language: str,
    calendar: str,
    earliest: str,
    weekdays: list[str],
    booked: list[str],
) -> None:
    someone = await join(ANNA, language=language)
    await open_calendar(someone, lpr)
    assert plain(someone.last.text).startswith(calendar)
    assert labels(someone)[0].endswith(earliest)
    assert labels(someone)[1:8] == weekdays
    await book(someone, lpr, TUESDAY)
    text = plain(someone.last.text)
    assert all(fragment in text for fragment in booked), text
    await someone.click(1)  # add to calendar
    assert str(event_of(documents(someone)[-1])["location"]) == booked[-1].removeprefix("🏢 ")


# --- 3. closed days -------------------------------------------------------------------------

CHRISTMAS_WEEK = datetime(2026, 12, 28, 6, 0, tzinfo=UTC)  # Monday; the calendar ends 10 Jan


@pytest.mark.parametrize(
    ("where", "days"),
    [
        ("lpr", "28 29 30 31 1✕ 2✕ 3✕ 4 5✕ 6✕ 7 8 9✕ 10✕"),
        ("spb", "28 29 30✕ 31✕ 1✕ 2✕ 3✕ 4✕ 5✕ 6✕ 7✕ 8✕ 9✕ 10✕"),
    ],
)
async def test_weekends_holidays_and_closed_dates_are_crossed_out(
    join: Join, wall: WallClock, runtime: Runtime, where: str, days: str
) -> None:
    wall.now = CHRISTMAS_WEEK
    place = place_of(runtime, where)
    anna = await join(ANNA)
    await open_calendar(anna, place)
    assert day_labels(anna) == days.split()


@pytest.mark.parametrize(
    ("language", "where", "day", "said"),
    [
        (
            "en",
            "lpr",
            "6✕",
            "Wednesday, 6 January 2027: The Oasis is closed for a public holiday: Epiphany.",
        ),
        (
            "en",
            "lpr",
            "2✕",
            "Saturday, 2 January 2027: The Oasis is not open on this day of the week.",
        ),
        (
            "en",
            "lpr",
            "5✕",
            "Tuesday, 5 January 2027: The Oasis is closed that day: Annual maintenance.",
        ),
        ("en", "spb", "7✕", "Thursday, 7 January 2027: The Oasis is closed for a public holiday"),
        ("ru", "spb", "9✕", "суббота, 9 января 2027 г.: "),
        ("fi", "lpr", "2✕", "lauantai 2. tammikuuta 2027: "),
        ("ru", "spb", "7✕", "четверг, 7 января 2027 г.: ... Рождество Христово"),
        ("ru", "spb", "31✕", "четверг, 31 декабря 2026 г.: ... Выходной"),
        ("ru", "spb", "30✕", "среда, 30 декабря 2026 г.: ... Технический день"),
        ("fi", "lpr", "6✕", "keskiviikko 6. tammikuuta 2027: ... Loppiainen"),
        ("fi", "lpr", "5✕", "tiistai 5. tammikuuta 2027: ... Vuosihuolto"),
    ],
)
async def test_a_closed_day_says_why_instead_of_opening(
    join: Join, wall: WallClock, runtime: Runtime, language: str, where: str, day: str, said: str
) -> None:
    wall.now = CHRISTMAS_WEEK
    place = place_of(runtime, where)
    someone = await join(ANNA, language=language)
    await open_calendar(someone, place)
    calendar = someone.last.text
    await tap(someone, day)
    text = alert(someone)
    assert all(fragment in text for fragment in said.split(" ... ")), text
    assert someone.last.text == calendar  # still the calendar: nothing opened


# --- 4. forged and stale buttons ------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "said"),
    [
        (BookingAction.CANCEL, "This booking is not active any more."),
        (BookingAction.CANCEL_YES, "This booking is not active any more."),
        (BookingAction.ICS, "This booking is not active any more."),
        (BookingAction.ACCEPT, "This booking is not active any more."),
        (BookingAction.DECLINE, "This offer is no longer open"),
    ],
)
async def test_buttons_of_someone_elses_booking_do_nothing_to_it(
    join: Join, runtime: Runtime, lpr: Place, action: BookingAction, said: str
) -> None:
    boris = await join(BORIS, "Boris")
    await book(boris, lpr, WEDNESDAY)
    [theirs] = await upcoming(runtime, BORIS)
    anna = await join(ANNA)
    await anna.press_data(BookingCB(action=action, id=theirs.id).pack())
    assert alert(anna).startswith(said)
    assert documents(anna) == []
    assert "1. Wed, 2 Dec · Morning" in await my_bookings(boris)
    assert await upcoming(runtime, ANNA) == []


async def test_confirming_a_time_that_filled_up_meanwhile_shows_what_is_left(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna = await join(ANNA)
    await open_day(anna, lpr, WEDNESDAY)
    await anna.click("Morning")
    await anna.click("Any free desk")
    await fill(runtime, lpr, WEDNESDAY, AM, GUESTS)
    await anna.click("✅ Confirm booking")
    text = plain(anna.last.text)
    assert text.startswith(
        "Sorry, that desk was just taken by someone else. Here is what is still free:\n\n"
        "<b>Business Oasis Lappeenranta</b>\nWednesday, 2 December 2026\n"
    )
    assert labels(anna)[:3] == [
        "⏳ Full day 09:00–18:00 · join the waitlist",
        "⏳ Morning 09:00–13:00 · join the waitlist",
        "Afternoon 13:00–18:00 · 8 free",
    ]
    assert await upcoming(runtime, ANNA) == []


async def test_a_chosen_desk_taken_meanwhile_leaves_the_others(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna = await join(ANNA)
    await open_day(anna, lpr, WEDNESDAY)
    await anna.click("Morning")
    await anna.click("Window row · 2 free")
    await anna.click("W2, by the window")
    assert "💺 Desk W2 (Window row, by the window)" in anna.last.text
    w2 = next(desk.id for desk in lpr.desks if desk.label == "W2")
    async with unit_of_work(runtime.factory) as session:
        await touch(session, Profile(BORIS, "Boris", None, None), is_admin=False)
        await desks.book(session, lpr, BORIS, WEDNESDAY, AM, NOW, desk_id=w2)
    await anna.click("✅ Confirm booking")
    assert anna.last.text.startswith("Sorry, that desk was just taken by someone else.")
    assert "Morning 09:00–13:00 · 7 free" in labels(anna)
    assert await upcoming(runtime, ANNA) == []


async def test_a_desk_not_offered_here_is_refused(
    join: Join, runtime: Runtime, lpr: Place, spb: Place
) -> None:
    anna = await join(ANNA)
    await open_day(anna, lpr, WEDNESDAY)
    slot = {"loc": lpr.id, "day": WEDNESDAY.toordinal(), "period": AM}
    for forged in (
        DeskCB(action=DeskAction.SUMMARY, desk=spb.desks[0].id, **slot),
        DeskCB(action=DeskAction.SUMMARY, desk=99_999, **slot),
        DeskCB(action=DeskAction.SUMMARY, zone=spb.zones[0].id, **slot),
    ):
        await anna.press_data(forged.pack())
        assert alert(anna) == "That desk is no longer offered. Please choose another one."
    await anna.press_data(DeskCB(action=DeskAction.CONFIRM, desk=spb.desks[0].id, **slot).pack())
    assert anna.last.text.startswith("That desk is no longer offered. Please choose another one.")
    assert "Choose a time:" in anna.last.text
    assert await upcoming(runtime, ANNA) == []


@pytest.mark.parametrize(
    "data",
    [
        "dk:ok:999:1:f:0:0",
        "dk:c:999::0:0:0",
        "dk:d:{lpr}:99999999::0:0",
        "dk:ok:{lpr}:-5:am:0:0",
        "dk:ok:{lpr}:{wednesday}:xx:0:0",
        "dk:ok:{lpr}:{wednesday}:am:0:0:extra",
        "dk:z:{lpr}:{wednesday}:am:999:0",
        "dk:zz",
        "bk:c:abc",
    ],
)
async def test_garbage_buttons_get_the_stale_button_answer(
    join: Join, runtime: Runtime, lpr: Place, data: str
) -> None:
    anna = await join(ANNA)
    await anna.press_data(data.format(lpr=lpr.id, wednesday=WEDNESDAY.toordinal()))
    assert alert(anna) == STALE
    assert await upcoming(runtime, ANNA) == []


@pytest.mark.parametrize(
    ("action", "where", "day", "period", "said", "then"),
    [
        (
            DeskAction.DAY,
            "lpr",
            date(2026, 11, 30),
            AM,
            "That day is already over.",
            "Choose a day",
        ),
        (DeskAction.CONFIRM, "lpr", date(2026, 11, 30), AM, "That day is already over.", ""),
        (DeskAction.DAY, "lpr", date(2026, 12, 15), AM, "up to 14 days ahead", "Choose a day"),
        (DeskAction.CONFIRM, "lpr", date(2026, 12, 15), FULL, "up to 14 days ahead", ""),
        (DeskAction.SUMMARY, "lpr", date(2026, 12, 5), AM, "not open on this day", "Choose a day"),
        (DeskAction.CONFIRM, "spb", TUESDAY, AM, "That time has already started", "Choose a time"),
        (DeskAction.CONFIRM, "spb", TUESDAY, FULL, "That time has already started", ""),
    ],
)
async def test_a_day_outside_the_rules_gets_the_rule_and_the_nearest_screen(
    join: Join,
    runtime: Runtime,
    action: DeskAction,
    where: str,
    day: date,
    period: Period,
    said: str,
    then: str,
) -> None:
    place = place_of(runtime, where)
    anna = await join(ANNA)
    forged = DeskCB(action=action, loc=place.id, day=day.toordinal(), period=period)
    await anna.press_data(forged.pack())
    assert said in anna.last.text.split("\n\n")[0]
    assert then in anna.last.text
    assert await upcoming(runtime, ANNA) == []


# --- 5. the rules ---------------------------------------------------------------------------


async def test_a_sixth_booking_is_refused_with_the_way_out(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna = await join(ANNA)
    await booked_directly(runtime, lpr, ANNA, FIVE)
    await book(anna, lpr, THURSDAY, PM)
    assert alert(anna) == QUOTA
    assert anna.last.text == QUOTA
    assert "My bookings" in labels(anna)
    assert len(await upcoming(runtime, ANNA)) == 5


async def test_the_same_time_cannot_be_booked_twice(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna = await join(ANNA)
    await book(anna, lpr, WEDNESDAY, AM)
    assert "Your desk is booked!" in anna.last.text
    await open_day(anna, lpr, WEDNESDAY)
    assert "✓ You already have a desk on this day: Morning" in plain(anna.last.text)
    assert [label.split(" ")[0] for label in labels(anna)] == ["Afternoon", "«", "«"]
    for period in (AM, FULL):  # the buttons of a screen drawn before the booking
        slot = {"loc": lpr.id, "day": WEDNESDAY.toordinal(), "period": period}
        await anna.press_data(DeskCB(action=DeskAction.CONFIRM, **slot).pack())
        assert alert(anna).startswith("You already have a desk at that time.")
    assert len(await upcoming(runtime, ANNA)) == 1


async def test_the_staff_are_not_held_to_the_quota(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    olga = await join(ADMIN, "Olga")
    await booked_directly(runtime, lpr, ADMIN, FIVE)
    await book(olga, lpr, THURSDAY, PM)
    assert "Your desk is booked!" in olga.last.text
    assert len(await upcoming(runtime, ADMIN)) == 6


# --- 6. the waitlist ------------------------------------------------------------------------


async def full_morning(join: Join, lpr: Place) -> list[ChatClient]:
    """Eight people book every desk of Wednesday morning in Lappeenranta, in the chat."""
    guests = [await join(user_id, f"Guest {user_id}") for user_id in GUESTS]
    for guest in guests:
        await book(guest, lpr, WEDNESDAY, AM)
    return guests


async def wait_for_morning(client: ChatClient, lpr: Place) -> str:
    await open_day(client, lpr, WEDNESDAY)
    await tap(client, "⏳ Morning 09:00–13:00 · join the waitlist")
    return plain(client.last.text)


async def cancel_first(client: ChatClient) -> None:
    await my_bookings(client)
    await client.click("✖ Cancel #1")
    await client.click("Yes, cancel it")


async def test_a_freed_desk_is_offered_to_the_first_in_line_who_takes_it(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    guests = await full_morning(join, lpr)
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    assert (await wait_for_morning(anna, lpr)).startswith(
        "⏳ <b>You are on the waitlist</b> (number 1 in line)"
    )
    assert "(number 2 in line)" in await wait_for_morning(boris, lpr)
    listing = await my_bookings(anna)
    assert "• Wed, 2 Dec · Morning · Business Oasis Lappeenranta: number 1 in line" in listing
    assert "Leave the waitlist: Wed, 2 Dec" in labels(anna)

    await cancel_first(guests[0])
    offer = anna.last
    assert plain(offer.text).startswith("🎉 <b>A desk has freed up for you!</b>")
    assert "📅 Wednesday, 2 December 2026" in plain(offer.text)
    assert "held for you until 10:00 local time" in plain(offer.text)  # 08:00 + 2 hours
    assert labels(anna) == ["✅ Take it", "No, thanks"]
    assert "number 1 in line" in await my_bookings(boris)

    await anna.click("✅ Take it", message=offer)
    assert anna.last.text.startswith("✅ <b>The desk is yours!</b>")
    assert "1. Wed, 2 Dec · Morning" in await my_bookings(anna)
    assert "Waitlist" not in await my_bookings(anna)
    assert [b.day for b in await upcoming(runtime, ANNA)] == [WEDNESDAY]
    assert not any("freed up" in (m.text or "") for m in boris.messages)
    well_formed(anna)


async def test_a_declined_offer_goes_to_the_next_in_line(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    guests = await full_morning(join, lpr)
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await wait_for_morning(anna, lpr)
    await wait_for_morning(boris, lpr)
    await cancel_first(guests[3])
    offer = anna.last
    await anna.click("No, thanks", message=offer)
    assert anna.last.text == "All right, the desk goes to the next person in line."
    assert boris.last.text.startswith("🎉 <b>A desk has freed up for you!</b>")
    await anna.click("✅ Take it", message=offer)  # changed her mind: too late
    assert alert(anna).startswith("This offer is no longer open")
    await boris.click("✅ Take it")
    assert boris.last.text.startswith("✅ <b>The desk is yours!</b>")
    assert await upcoming(runtime, ANNA) == []
    assert [b.day for b in await upcoming(runtime, BORIS)] == [WEDNESDAY]


async def test_leaving_the_waitlist_means_no_offer(join: Join, lpr: Place) -> None:
    guests = await full_morning(join, lpr)
    anna = await join(ANNA)
    await wait_for_morning(anna, lpr)
    await my_bookings(anna)
    await anna.click("Leave the waitlist")
    assert anna.toasts[-1] == "You have left the waitlist."
    assert "You have no upcoming bookings." in await my_bookings(anna)
    await cancel_first(guests[0])
    assert not any("freed up" in (m.text or "") for m in anna.messages)


async def test_the_list_redrawn_after_leaving_the_waitlist_no_longer_has_it(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    await fill(runtime, lpr, WEDNESDAY, AM, GUESTS)
    anna = await join(ANNA)
    await wait_for_morning(anna, lpr)
    await my_bookings(anna)
    await anna.click("Leave the waitlist")
    assert "You have no upcoming bookings." in plain(anna.last.text)
    assert not any(label.startswith("Leave the waitlist") for label in labels(anna))


# --- 7. the staff's tools -------------------------------------------------------------------


async def test_staff_commands_and_buttons_are_for_the_staff(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna = await join(ANNA)
    await book(anna, lpr, WEDNESDAY)
    for command in (
        "/occupancy",
        "/export_bookings 2026-12-01 2026-12-31",
        "/close_day 2026-12-02 maintenance",
        "/reopen_day 2026-12-02",
    ):
        await anna.send(command)
        assert anna.last.text == "I don't know this command. Send /help to see what I can do."
    assert documents(anna) == []
    for action in (StaffAction.CLOSE, StaffAction.CLOSE_YES, StaffAction.REOPEN):
        await anna.press_data(StaffCB(action=action, loc=lpr.id, day=WEDNESDAY.toordinal()).pack())
        assert alert(anna) == STALE
    assert len(await upcoming(runtime, ANNA)) == 1
    await open_calendar(anna, lpr)
    assert "2" in day_labels(anna)


async def test_occupancy_shows_each_location_and_who_is_booked(join: Join, lpr: Place) -> None:
    anna = await join(ANNA)
    await book(anna, lpr, TUESDAY)
    olga = await join(ADMIN, "Olga")
    await olga.send("/occupancy")
    petersburg, lappeenranta = plain(olga.last.text).split("\n\n")
    assert lappeenranta == (
        "<b>Business Oasis Lappeenranta</b>, Tuesday, 1 December 2026\n"
        "Morning 09:00–13:00: 1/8 desks booked\n"
        "Afternoon 13:00–18:00: 0/8 desks booked\n"
        "• Desk A1 (Open space): Morning — Anna (id 1001) · ⏳ not checked in yet"
    )
    assert "Morning 09:00–13:00: 0/10 desks booked" in petersburg
    assert petersburg.endswith("No bookings.")
    await olga.send("/occupancy 2026-12-05")
    assert "The Oasis is not open on this day of the week." in olga.last.text
    await olga.send("/occupancy someday")
    assert olga.last.text == "Please give the date as 2026-12-01, e.g. /occupancy 2026-12-01."


async def test_the_export_is_a_csv_of_the_bookings_in_a_range(join: Join, lpr: Place) -> None:
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await book(anna, lpr, TUESDAY)
    await book(boris, lpr, WEDNESDAY, PM)
    await cancel_first(boris)
    olga = await join(ADMIN, "Olga")
    for usage in ("/export_bookings", "/export_bookings 2026-12-01", "/export_bookings a b"):
        await olga.send(usage)
        assert olga.last.text == (
            "Please give two dates, from and to: /export_bookings 2026-12-01 2026-12-31"
        )
    await olga.send("/export_bookings 2026-12-31 2026-12-01")
    assert olga.last.text.startswith("The first date must not be after the second")
    assert documents(olga) == []

    await olga.send("/export_bookings 2026-12-01 2026-12-31")
    [export] = documents(olga)
    assert export.filename == "desk-bookings-2026-12-01-2026-12-31.csv"
    assert olga.last.caption == "2 bookings from 2026-12-01 to 2026-12-31."
    assert export.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig"))))
    wanted = ("location", "desk", "date", "period", "starts_local", "ends_local", "timezone")
    wanted += ("status", "cancel_reason", "user_id", "first_name")
    assert [{column: row[column] for column in wanted} for row in rows] == [
        {
            "location": "lpr",
            "desk": "A1",
            "date": "2026-12-01",
            "period": "morning",
            "starts_local": "2026-12-01 09:00",
            "ends_local": "2026-12-01 13:00",
            "timezone": "Europe/Helsinki",
            "status": "active",
            "cancel_reason": "",
            "user_id": "1001",
            "first_name": "Anna",
        },
        {
            "location": "lpr",
            "desk": "A1",
            "date": "2026-12-02",
            "period": "afternoon",
            "starts_local": "2026-12-02 13:00",
            "ends_local": "2026-12-02 18:00",
            "timezone": "Europe/Helsinki",
            "status": "cancelled",
            "cancel_reason": "user",
            "user_id": "1002",
            "first_name": "Boris",
        },
    ]


async def test_closing_a_day_cancels_it_tells_everyone_and_crosses_it_out(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await book(anna, lpr, WEDNESDAY)
    await fill(runtime, lpr, WEDNESDAY, AM, list(GUESTS)[1:])  # the other seven desks
    await wait_for_morning(boris, lpr)
    olga = await join(ADMIN, "Olga")
    await olga.send("/close_day 2026-12-02 maintenance")
    assert olga.last.text == "Which location closes on Wednesday, 2 December 2026?"
    await olga.click("Lappeenranta")
    assert "Bookings to cancel: 8. People on the waitlist: 1." in olga.last.text
    assert "Reason they will see: maintenance" in olga.last.text
    await olga.click("Close and notify")
    assert olga.last.text == (
        "Business Oasis Lappeenranta is closed on Wednesday, 2 December 2026. "
        "Bookings cancelled: 8; people to be told: 9."
    )

    told = plain(anna.last.text)
    assert told.startswith(
        "⚠️ <b>Business Oasis Lappeenranta is closed on Wednesday, 2 December 2026</b>: "
        "maintenance\n\nYour booking is cancelled:"
    )
    assert "You were on the waitlist for that day" in boris.last.text
    assert "You have no upcoming bookings." in await my_bookings(anna)
    assert "You have no upcoming bookings." in await my_bookings(boris)
    await open_calendar(anna, lpr)
    assert day_labels(anna)[:3] == ["1", "2✕", "3"]
    await tap(anna, "2✕")
    assert alert(anna) == ("Wednesday, 2 December 2026: The Oasis is closed that day: maintenance.")

    await olga.send("/reopen_day 2026-12-02")
    await olga.click("Lappeenranta")
    assert olga.last.text.startswith("Business Oasis Lappeenranta is open again on Wednesday")
    await tap(anna, "2✕")  # the calendar drawn while it was closed
    assert "Wednesday, 2 December 2026\nOpen 09:00–18:00" in plain(anna.last.text)
    await open_calendar(anna, lpr)
    assert day_labels(anna)[:3] == ["1", "2", "3"]
    well_formed(anna)
    well_formed(boris)


async def test_closing_can_be_cancelled_past_days_are_refused_and_reopen_offers_closed_places(
    join: Join, runtime: Runtime, lpr: Place, spb: Place
) -> None:
    anna, olga = await join(ANNA), await join(ADMIN, "Olga")
    await book(anna, lpr, WEDNESDAY)
    await olga.send("/close_day 2026-11-30 too late")
    assert olga.last.text == (
        "This day is already over: Monday, 30 November 2026. Only today or a later day can be "
        "closed."
    )
    assert olga.last.reply_markup is None
    await olga.send("/reopen_day 2026-12-02")
    assert olga.last.text == (
        "Nothing to reopen: the staff closed no location on that day (Wednesday, 2 December 2026)."
    )

    await olga.send("/close_day 2026-12-02 maintenance")
    await olga.click("Lappeenranta")
    await olga.click("Cancel")
    assert olga.last.text == (
        "Nothing was closed: Business Oasis Lappeenranta stays open on Wednesday, 2 December 2026."
    )
    assert len(await upcoming(runtime, ANNA)) == 1
    assert "maintenance" not in str(await olga.dispatcher.fsm.get_context(
        olga.bot, chat_id=ADMIN, user_id=ADMIN).get_data())  # fmt: skip

    await olga.send("/close_day 2026-12-02")
    await olga.click("St. Petersburg")
    await olga.click("Close and notify")
    await olga.send("/reopen_day 2026-12-02")
    offered = [b.text for row in olga.last.reply_markup.inline_keyboard for b in row]
    assert offered == [spb.name("en")]


async def test_a_closure_reason_with_markup_characters_still_reaches_the_user(
    join: Join, lpr: Place
) -> None:
    anna = await join(ANNA)
    await open_calendar(anna, lpr)  # drawn while Wednesday is still open
    olga = await join(ADMIN, "Olga")
    await olga.send("/close_day 2026-12-02 pipes <urgent> & heating")
    await olga.click("Lappeenranta")
    await olga.click("Close and notify")
    await tap(anna, "2")  # the stale calendar: the day shows why it cannot be booked
    shown = parse_html(anna.last.text or "").text  # what Telegram would display, if anything
    assert "closed that day: pipes <urgent> & heating." in shown


async def test_someone_with_an_open_offer_on_a_closed_day_is_told_once(
    join: Join, runtime: Runtime, lpr: Place
) -> None:
    anna, boris = await join(ANNA), await join(BORIS, "Boris")
    await book(anna, lpr, WEDNESDAY)
    await fill(runtime, lpr, WEDNESDAY, AM, list(GUESTS)[1:])
    await wait_for_morning(boris, lpr)
    await cancel_first(anna)
    assert "A desk has freed up for you!" in boris.last.text
    seen = len(boris.messages)
    olga = await join(ADMIN, "Olga")
    await olga.send("/close_day 2026-12-02 maintenance")
    await olga.click("Lappeenranta")
    await olga.click("Close and notify")
    [told] = boris.messages[seen:]
    assert "Your booking is cancelled" not in told.text


async def test_each_close_day_command_keeps_its_own_reason(join: Join) -> None:
    olga = await join(ADMIN, "Olga")
    await olga.send("/close_day 2026-12-02 maintenance")
    first = olga.last
    await olga.send("/close_day 2026-12-03 training")
    await olga.click("Lappeenranta", message=first)
    asked = olga.recorded.messages[first.message_id].text or ""
    assert "on Wednesday, 2 December 2026?" in asked
    assert "Reason they will see: maintenance" in asked


async def test_a_name_in_the_export_is_never_a_spreadsheet_formula(join: Join, lpr: Place) -> None:
    mallory = await join(1666, '=HYPERLINK("https://evil.example","Open me")')
    await book(mallory, lpr, TUESDAY)
    olga = await join(ADMIN, "Olga")
    await olga.send("/export_bookings 2026-12-01 2026-12-31")
    [row] = csv.DictReader(io.StringIO(documents(olga)[-1].data.decode("utf-8-sig")))
    assert "HYPERLINK" in row["first_name"]
    assert not row["first_name"].startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize(
    ("typed", "language"),
    [("2026-12-02", "en"), ("2.12.2026", "en"), ("02.12.2026", "ru"), ("2/12/2026", "en")],
)
def test_staff_dates_are_read_as_people_write_them(typed: str, language: str) -> None:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale(language):
        assert parse_day(typed) == date(2026, 12, 2)
        assert parse_day("31.02.2026") is None


async def test_a_day_with_a_whole_day_desk_elsewhere_is_not_offered_as_free(
    join: Join, lpr: Place, spb: Place
) -> None:
    anna = await join(ANNA)
    await book(anna, lpr, TUESDAY, FULL)
    await open_calendar(anna, spb)
    assert "1✓" in day_labels(anna)
    assert "✓ you already have a desk" in plain(anna.last.text)
    assert labels(anna)[0] == "⚡ Earliest free day: Wed, 2 Dec"
    await tap(anna, "1✓")
    shown = plain(anna.last.text)
    assert (
        "✓ You already have a desk on this day: Full day 09:00–18:00, "
        "Business Oasis Lappeenranta." in shown
    )
    assert "Nobody holds two desks at the same time" in shown
    assert not any(label.startswith(("Morning", "Afternoon", "Full day")) for label in labels(anna))


async def test_a_half_day_held_elsewhere_leaves_the_other_half_to_book(
    join: Join, lpr: Place, spb: Place
) -> None:
    anna = await join(ANNA)
    await book(anna, lpr, WEDNESDAY, AM)
    await open_day(anna, spb, WEDNESDAY)
    shown = plain(anna.last.text)
    assert (
        "✓ You already have a desk on this day: Morning 09:00–13:00, Business Oasis Lappeenranta."
        in shown
        and shown.endswith("Choose a time:")
    )
    offered = [label.split(" ")[0] for label in labels(anna) if label[:1].isalpha()]
    assert "Afternoon" in offered and "Morning" not in offered and "Full" not in offered
    await open_calendar(anna, spb)
    assert "2" in day_labels(anna)  # still a day to book for the afternoon


async def test_occupancy_with_nobody_today_shows_the_next_booked_day(
    join: Join, lpr: Place
) -> None:
    anna = await join(ANNA, first_name="Anna")
    anna.user = anna.user.model_copy(update={"username": "anna_k"})
    await book(anna, lpr, THURSDAY, PM)
    olga = await join(ADMIN, "Olga")
    await olga.send("/occupancy")
    shown = plain(olga.last.text)
    assert shown.startswith("No bookings today. The next booked day:\n\n")
    assert "<b>Business Oasis Lappeenranta</b>, Thursday, 3 December 2026" in shown
    assert "• Desk A1 (Open space): Afternoon — Anna (@anna_k)" in shown
    await olga.send("/occupancy 2026-12-01")
    assert "Tuesday, 1 December 2026" in plain(olga.last.text)
