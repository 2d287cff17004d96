"""End to end over HTTP: a desk booked, added to a calendar, seen by the staff and cancelled,
and the demo's scripts (a desk, reminders, a coaching session, events) played through the terminal
chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.app import Runtime
from bot.demo import PERSONAS, run_demo, sandboxed_bot, seed
from bot.sandbox import SandboxServer
from bot.sandbox.chat import TerminalChat
from bot.settings import Settings
from content.library import Library, Shelf
from storage.desks import DeskBooking

DEMO_SCRIPT = Path(__file__).parents[2] / "demo" / "book-a-desk.txt"


@pytest.fixture
async def live(settings: Settings, shelf: Shelf) -> AsyncIterator[tuple[SandboxServer, Runtime]]:
    """The bot over HTTP, with flood control loosened as the demo does: a test taps fast."""
    fast = settings.model_copy(update={"throttle_rate": 1000.0, "throttle_burst": 1000})
    async with sandboxed_bot(fast, Library(shelf, shelf.knowledge.source)) as (server, runtime):
        yield server, runtime


async def test_a_desk_is_booked_added_to_a_calendar_and_cancelled(
    live: tuple[SandboxServer, Runtime],
) -> None:
    server, runtime = live
    anna = server.user(1001, "Anna", language_code="en")
    await anna.send("/start")
    await server.wait_idle()
    for label in ("English", "Book a desk", "Lappeenranta", "Earliest free day", " free"):
        await anna.press(label)
        await server.wait_idle()
    await anna.press("Any free desk")
    await server.wait_idle()
    await anna.press("Confirm booking")
    await server.wait_idle()
    assert anna.last.text.startswith("✅ Your desk is booked!")
    assert "Business Oasis Lappeenranta" in anna.last.text

    await anna.press("Add to calendar")
    await server.wait_idle()
    document = anna.last.document
    assert document is not None and document.file_name == "oasis-desk-1.ics"
    [event] = Calendar.from_ical(document.content).walk("VEVENT")
    assert str(event["DTSTART"].dt.tzinfo) == "Europe/Helsinki"
    async with runtime.factory() as session:
        booking = await session.get(DeskBooking, 1)
    assert booking is not None
    assert (event["DTSTART"].dt, event["DTEND"].dt) == (booking.starts_at, booking.ends_at)
    assert event["DTSTART"].dt.hour in (9, 13)  # opening, or 13:00 when the morning is over

    await anna.press("My bookings")  # under the confirmation, which now shows the list
    await server.wait_idle()
    screen = anna.messages[-2]
    assert screen.text.startswith("My bookings\n1. ")
    await anna.press("Cancel #1")
    await server.wait_idle()
    await anna.press("Yes, cancel it")
    await server.wait_idle()
    assert anna.messages[-2].text.startswith("Your booking is cancelled.")
    await anna.press("My bookings")
    await server.wait_idle()
    assert "You have no upcoming bookings." in anna.messages[-2].text
    assert server.errors == []


async def test_the_demo_booking_script_plays_to_the_end(
    live: tuple[SandboxServer, Runtime],
) -> None:
    server, runtime = live
    await seed(runtime)
    people = {
        p.role: server.user(p.user_id, p.first_name, language_code=p.language_code)
        for p in PERSONAS
    }
    chat = TerminalChat(server, people)
    assert await chat.run_script(DEMO_SCRIPT.read_text(encoding="utf-8").splitlines()) == 0
    assert server.errors == []


async def test_the_reminders_demo_shows_the_reminder_the_check_in_and_the_release(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = (DEMO_SCRIPT.parent / "reminders.txt").read_text(encoding="utf-8").splitlines()
    assert await run_demo(Settings(_env_file=None), script) == 0  # type: ignore[call-arg]
    transcript = capsys.readouterr().out
    before, after = transcript.split("-- the bot's clock: Sun 2027-01-31 18:00 EET")
    assert "A reminder of your desk booking" not in before  # not at 17:59
    assert after.count("⏰ A reminder of your desk booking") == 2  # Anna's and Mikko's, once
    assert after.count("☀️ Your desk is waiting for you today") == 2
    assert "✅ You are checked in." in after
    assert "· ✅ на месте с 09:00" in after and "· ⏳ отметки ещё нет" in after  # Olga: ru
    released = after.split("-- the bot's clock: Mon 2027-02-01 10:30 EET")[1]
    assert "bot -> coach: Nobody checked in to your desk by 10:30" in released
    assert "Mikko" not in released.split("/occupancy")[-1]  # his desk is free again


async def test_the_coaching_demo_books_a_session_and_the_coach_accepts_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = (DEMO_SCRIPT.parent / "book-a-coach.txt").read_text(encoding="utf-8").splitlines()
    assert await run_demo(Settings(_env_file=None), script) == 0  # type: ignore[call-arg]
    transcript = capsys.readouterr().out
    requested, accepted = transcript.split("you: [pressed] ✅ Hyväksy", 1)  # Mikko: Finnish
    assert "bot -> coach: 📨 Tapaamispyyntö" in requested and "first funding round" in requested
    assert "The coach accepted your request." in accepted
    assert "coaching-session-1.ics" in accepted


async def test_the_events_demo_writes_an_event_registers_waits_is_reminded_moved_and_cancelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = (DEMO_SCRIPT.parent / "events.txt").read_text(encoding="utf-8").splitlines()
    assert await run_demo(Settings(_env_file=None), script) == 0  # type: ignore[call-arg]
    transcript = capsys.readouterr().out
    waiting, freed = transcript.split("bot (toast): Your registration is cancelled.", 1)
    assert "Tapahtuma on täynnä: olet jonotuslistalla sijalla 1." in waiting  # Mikko: Finnish
    assert "bot -> coach: 🎉 Paikka vapautui, ja se on sinun." in freed
    assert "Черновик сохранён: проверьте его и опубликуйте." in waiting  # Olga wrote it
    reminded = freed.split("-- the bot's clock: Wed 2027-01-20 17:00 EET", 1)[1]
    assert "⏰ Muistutus tapahtumasta" in reminded and "tila: Main hall" in reminded
    moved = reminded.split("2027-01-21 18:00-20:00", 1)[1]
    assert "Сохранено: сообщим 1 зарегистрированному." in moved  # Olga moved it, in Russian
    assert "🔁 Tapahtuman, johon olet ilmoittautunut, aika on muuttunut." in moved
    assert "klo 18.00–20.00" in moved
    cancelled = "❌ Peruttu: Pitch-dekkien arviointi-ilta"
    assert cancelled in moved.split("Да, отменить", 1)[1]


async def test_the_broadcast_demo_schedules_an_announcement_that_each_reads_in_their_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = (DEMO_SCRIPT.parent / "broadcast.txt").read_text(encoding="utf-8").splitlines()
    assert await run_demo(Settings(_env_file=None), script) == 0  # type: ignore[call-arg]
    transcript = capsys.readouterr().out
    composed, sent = transcript.split("-- the bot's clock: Tue 2027-01-19 10:30 EET", 1)
    assert "👁 Предпросмотр: 🇫🇮 Suomi" in composed  # Olga works in Russian
    assert "🕒 Рассылка #1 запланирована на 2027-01-19 11:00 (Europe/Moscow)" in composed
    assert "bot -> entrepreneur: Open day at the Business Oasis" not in composed
    anna = sent.split("bot -> entrepreneur: Open day at the Business Oasis", 1)[1]
    assert anna.split("\n", 2)[1].strip() == "[1] Book a desk"
    mikko = sent.split("bot -> coach: Avoimien ovien päivä", 1)[1]
    assert mikko.split("\n", 2)[1].strip() == "[1] Varaa työpiste"
    assert "bot -> admin: ✅ Рассылка #1 завершена." in sent


async def test_the_teaching_demo_attaches_a_missed_question_that_is_then_answered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = (DEMO_SCRIPT.parent / "teach-the-faq.txt").read_text(encoding="utf-8").splitlines()
    assert await run_demo(Settings(_env_file=None), script) == 0  # type: ignore[call-arg]
    transcript = capsys.readouterr().out
    missed, taught = transcript.split("bot (toast): ✅ Attached", 1)
    asked = "you: can I plug in my charger at the desk"
    assert "I'm not sure I understood." in missed.split(asked, 1)[1]
    assert "1. can I plug in my charger at the desk — 1×" in missed  # Olga's /unanswered
    answer = taught.split(asked, 1)[1]
    assert "bot: What you'll find in the Oasis" in answer and "I'm not sure" not in answer
