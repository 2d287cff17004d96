"""Coaching in the chat, two people at once (an entrepreneur and a coach), on SQLite and on
PostgreSQL + Redis: request → accept / decline / propose / expire / withdraw / cancel / move,
the coach's request message that never keeps dead buttons, forged and stale buttons, the
topic's checks, time zones, retirement and invites."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import Message
from icalendar import Calendar
from sqlalchemy import select

from bot.app import Runtime, create_dispatcher
from bot.sandbox.recording import ChatClient
from handlers.coaching.callbacks import (
    AfterAction,
    AfterCB,
    AnswerAction,
    AnswerCB,
    SessionAction,
    SessionCB,
)
from handlers.ui.callbacks import LanguageCB, Locale
from scheduler.coaching import expire_coaching
from storage import desks
from storage.coaching.tables import CoachingSession, Status
from storage.desks.opening import Period
from storage.engine import unit_of_work
from tests.coaching_helpers import add_coach
from tests.conftest import FakeClock

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # Tuesday, 08:00 in Helsinki, 09:00 in Moscow
COACH, OTHER_COACH, ANNA, BORIS, ADMIN = 5001, 5002, 1001, 1002, 3001
TOPIC = "I would like feedback on my pitch deck for the seed round."


class Wall:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall(NOW)


@pytest.fixture
def coach_dispatcher(runtime: Runtime, clock: FakeClock, wall: Wall, bot: Bot) -> Dispatcher:
    bot.session.delivery.clock = wall  # type: ignore[attr-defined]
    return create_dispatcher(runtime, clock=clock, wall_clock=wall)


Join = Callable[..., Awaitable[ChatClient]]


@pytest.fixture
def join(coach_dispatcher: Dispatcher, bot: Bot) -> Join:
    async def make(user_id: int, name: str = "Anna", language: str = "en") -> ChatClient:
        client = ChatClient(coach_dispatcher, bot, user_id, first_name=name, language_code=language)
        await client.send("/start")
        await client.press_data(LanguageCB(locale=Locale(language)).pack())
        return client

    return make


@pytest.fixture
async def coach_setup(runtime: Runtime) -> None:
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    async with unit_of_work(runtime.factory) as session:
        await add_coach(
            session, COACH, name="Tiina Coach", location_id=lpr.id, horizon_days=8,
            languages="en,ru,fi",
        )  # fmt: skip
        await add_coach(session, OTHER_COACH, name="Other Coach", horizon_days=8)


def plain(text: str | None) -> str:
    return (text or "").replace("\u202f", " ").replace("\xa0", " ")


def labels(message: Message) -> list[str]:
    markup = message.reply_markup
    return [plain(b.text) for row in markup.inline_keyboard for b in row] if markup else []


def alert(client: ChatClient) -> str:
    toast = client.recorded.toasts[-1]
    assert toast.show_alert, f"a passing toast, not an alert: {toast.text!r}"
    return plain(toast.text)


async def request_session(anna: ChatClient, *, mode: str = "In person") -> None:
    """Anna books the first free time of Tiina Coach."""
    await anna.click("Book a coach")
    await anna.click("All coaches")
    await anna.click("Tiina Coach")
    await anna.click("Free times")
    await anna.click(1)
    assert "What would you like to discuss?" in plain(anna.last.text)
    await anna.send(TOPIC)
    if mode:
        assert plain(anna.last.text) == "Would you like to meet online or in person?"
        await anna.click(mode)
    assert "Check your request" in plain(anna.last.text)
    await anna.click("Send the request")


async def only_session(runtime: Runtime) -> CoachingSession:
    async with unit_of_work(runtime.factory) as session:
        return (await session.scalars(select(CoachingSession))).one()


@pytest.mark.usefixtures("coach_setup")
async def test_a_request_is_held_then_accepted_and_both_sides_are_told(
    runtime: Runtime, join: Join, bot: Bot
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA, "Anna")
    await request_session(anna)
    assert anna.toasts[-1] == "Request sent."
    assert "the time is held for you" in plain(anna.last.text)
    assert "Tuesday, 8 December 2026, 14:00–15:00 (Helsinki)" in plain(anna.last.text)
    booked = await only_session(runtime)
    assert booked.status == Status.PENDING and booked.mode == "in_person"
    request = coach.last
    assert "Session request" in plain(request.text) and TOPIC in plain(request.text)
    assert "Anna" in plain(request.text) and "Please answer within 24 h 0 min" in plain(
        request.text
    )
    assert labels(request) == ["✅ Accept", "✖ Decline", "🔁 Propose another time"]

    await coach.click("Accept", request)
    assert coach.toasts[-1] == "Accepted: the entrepreneur is told."
    edited = coach.recorded.messages[request.message_id]
    assert "Session confirmed" in plain(edited.text)
    assert labels(edited) == ["📅 Add to calendar", "✖ Cancel the session"]
    told = anna.last
    assert plain(told.text).startswith("✅ The coach accepted your request.")
    assert "Business Oasis Lappeenranta" in plain(told.text)
    await anna.click("Add to calendar", told)
    sent = [c for c in bot.session.calls if isinstance(c, SendDocument)]  # type: ignore[attr-defined]
    event = Calendar.from_ical(sent[-1].document.data).walk("VEVENT")[0]
    assert str(event["uid"]) == f"coaching-session-{booked.id}@concierge.openinno"
    assert event["sequence"] == 1 and str(event["status"]) == "CONFIRMED"

    # An old copy pressed again: the current state, never a silent no-op.
    await coach.press_data(AnswerCB(action=AnswerAction.ACCEPT, id=booked.id).pack(), request)
    assert alert(coach) == "This has changed meanwhile; here is how it stands now."

    await anna.click("My bookings", told)
    listed = plain(anna.recorded.messages[told.message_id].text)
    assert "Coaching sessions" in listed and "Tiina Coach" in listed


@pytest.mark.usefixtures("coach_setup")
async def test_decline_with_a_preset_reason_reaches_the_entrepreneur_in_their_language(
    runtime: Runtime, join: Join
) -> None:
    coach = await join(COACH, "Tiina", "en")
    anna = await join(ANNA, "Анна", "ru")
    await anna.click("Записаться к коучу")
    await anna.click(2)  # all coaches
    await anna.click("Tiina Coach")
    await anna.click(1)  # free times
    await anna.click(1)
    await anna.send(TOPIC)
    await anna.click(1)  # in person
    await anna.click(1)  # send
    request = coach.last
    await coach.click("Decline", request)
    await coach.click("I am not available at that time.")
    assert "Request declined" in plain(coach.recorded.messages[request.message_id].text)
    assert labels(coach.recorded.messages[request.message_id]) == []
    told = plain(anna.last.text)
    assert "Reason:" not in told and "I am not available" not in told  # Russian, not English
    assert (await only_session(runtime)).status == Status.DECLINED


@pytest.mark.usefixtures("coach_setup")
async def test_a_typed_reason_is_passed_on_as_written(runtime: Runtime, join: Join) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    await coach.click("Decline", coach.last)
    await coach.click("Write a reason")
    await coach.send("Sorry, <b>I am</b> at a fair that week.")
    assert plain(coach.last.text).startswith("Done: the entrepreneur is told.")
    # shown as written, escaped: the tags are text, not formatting
    assert "Reason: Sorry, &lt;b&gt;I am&lt;/b&gt; at a fair that week." in anna.last.text
    assert (await only_session(runtime)).status == Status.DECLINED


@pytest.mark.usefixtures("coach_setup")
async def test_the_coach_proposes_another_time_and_the_entrepreneur_takes_it(
    runtime: Runtime, join: Join
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    request = coach.last
    await coach.click("Propose another time", request)
    await coach.click(1)  # 15:15 the same day
    assert coach.toasts[-1] == "Proposed: the entrepreneur is asked."
    proposal = anna.last
    assert "proposes another one" in plain(proposal.text) and "15:15–16:15" in plain(proposal.text)
    assert labels(proposal)[:2] == ["✅ Take this time", "No, thanks"]
    await anna.click("Take this time", proposal)
    assert (await only_session(runtime)).status == Status.CONFIRMED
    assert "took the time you proposed" in plain(coach.last.text)
    # the proposal has no buttons any more that could be pressed twice
    assert labels(anna.recorded.messages[proposal.message_id])[:1] == ["📅 Add to calendar"]


@pytest.mark.usefixtures("coach_setup")
async def test_an_unanswered_request_expires_the_entrepreneur_is_told_and_the_buttons_go(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    request = coach.last
    wall.now = NOW + timedelta(hours=12)  # half way: the coach is nudged
    await bot.session.after_update()  # type: ignore[attr-defined]
    assert plain(coach.last.text).startswith("⏰ A request still waits for your answer.")
    wall.now = NOW + timedelta(hours=24)
    assert await expire_coaching(runtime.factory, wall) == 1
    await bot.session.after_update()  # type: ignore[attr-defined]
    told = anna.last
    assert "did not answer in time" in plain(told.text)
    assert labels(told) == ["🗓 Other times with this coach", "My bookings", "« Main menu"]
    for message_id in (request.message_id, coach.last.message_id):
        assert labels(coach.recorded.messages[message_id]) == []
        assert "Request expired" in plain(coach.recorded.messages[message_id].text)
    await coach.press_data(
        AnswerCB(action=AnswerAction.ACCEPT, id=(await only_session(runtime)).id).pack(), request
    )
    assert alert(coach) == "This has changed meanwhile; here is how it stands now."
    await anna.click("Other times with this coach", told)
    assert "Tiina Coach</b>: free times" in plain(anna.last.text)
    assert any("14:00" in label for label in labels(anna.last))  # the time is free again


@pytest.mark.usefixtures("coach_setup")
async def test_a_withdrawn_request_edits_the_coachs_message(runtime: Runtime, join: Join) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    request = coach.last
    await anna.click("Withdraw the request")
    await anna.click("Yes")
    assert anna.toasts[-1] == "Cancelled: the coach is told."
    assert "withdrew the request" in plain(coach.last.text)
    assert labels(coach.recorded.messages[request.message_id]) == []


@pytest.mark.usefixtures("coach_setup")
async def test_forged_and_foreign_buttons_are_refused_with_the_rule_they_break(
    runtime: Runtime, join: Join
) -> None:
    coach = await join(COACH, "Tiina")
    other = await join(OTHER_COACH, "Olli")
    anna = await join(ANNA)
    boris = await join(BORIS, "Boris")
    await request_session(anna)
    booked = await only_session(runtime)
    accept = AnswerCB(action=AnswerAction.ACCEPT, id=booked.id).pack()
    await boris.press_data(accept)
    assert alert(boris) == "Only coaches can do this."  # the role first
    await other.press_data(accept)
    assert alert(other) == "This is not your session."
    await boris.press_data(SessionCB(action=SessionAction.CANCEL_YES, id=booked.id).pack())
    assert alert(boris) == "This is not your session."
    await anna.press_data(AnswerCB(action=AnswerAction.ACCEPT, id=booked.id).pack())
    assert alert(anna) == "Only coaches can do this."
    await anna.press_data("ca:a:99999999999:0:0")  # out of range: not recognised
    assert "no longer valid" in alert(anna)
    assert (await only_session(runtime)).status == Status.PENDING
    assert labels(coach.last) == ["✅ Accept", "✖ Decline", "🔁 Propose another time"]


@pytest.mark.usefixtures("coach_setup")
async def test_the_topic_is_checked_and_a_sticker_gets_a_hint(join: Join) -> None:
    anna = await join(ANNA)
    await anna.click("Book a coach")
    await anna.click("All coaches")
    await anna.click("Tiina Coach")
    await anna.click("Free times")
    await anna.click(1)
    await anna.send("help")
    assert (
        plain(anna.last.text)
        == "Please write between 10 and 1000 characters (you wrote 4), or /cancel."
    )
    await anna.send("x" * 1001)
    assert "(you wrote 1001)" in plain(anna.last.text)
    await anna.send(
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    )
    assert (
        plain(anna.last.text)
        == "Please describe in words what you would like to discuss, or send /cancel."
    )
    await anna.send(TOPIC)
    assert plain(anna.last.text) == "Would you like to meet online or in person?"


@pytest.mark.usefixtures("coach_setup")
async def test_cancelling_late_is_explained_and_a_message_to_the_coach_offered(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    await coach.click("Accept", coach.last)
    wall.now = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # six hours before
    await anna.click("My bookings")
    listed = next(m for m in anna.messages if "My bookings" in (m.text or ""))
    await anna.click("Session #1", listed)
    await anna.click("Cancel", anna.recorded.messages[listed.message_id])
    screen = anna.recorded.messages[listed.message_id]
    assert "too late to cancel" in plain(screen.text)
    await anna.click("Write to the coach", screen)
    await anna.send("I will be ten minutes late, sorry!")
    assert anna.last.text == "Sent to the coach."
    assert "I will be ten minutes late, sorry!" in plain(coach.last.text)
    assert (await only_session(runtime)).status == Status.CONFIRMED


@pytest.mark.usefixtures("coach_setup")
async def test_the_coach_cancels_with_a_reason_and_the_calendar_event_is_removed(
    runtime: Runtime, join: Join, bot: Bot
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    request = coach.last
    await coach.click("Accept", request)
    await coach.click("Cancel the session", coach.recorded.messages[request.message_id])
    await coach.click("I am not available at that time.")
    assert "had to cancel" in plain(anna.last.text)
    await anna.click("My bookings")
    assert "Coaching sessions" not in plain(anna.last.text)
    booked = await only_session(runtime)
    assert booked.status == Status.CANCELLED and booked.sequence == 2


@pytest.mark.usefixtures("coach_setup")
async def test_times_are_shown_in_the_zone_of_the_entrepreneurs_oasis(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    spb = next(place for place in runtime.places.all if place.key == "spb")
    anna = await join(ANNA)
    async with unit_of_work(runtime.factory) as session:
        await desks.book(session, spb, ANNA, date(2026, 12, 2), Period.MORNING, NOW)
    await anna.click("Book a coach")
    await anna.click("All coaches")
    await anna.click("Tiina Coach")
    await anna.click("Free times")
    # winter: 14:00 in Helsinki is 15:00 in St. Petersburg
    assert "Times are in Moscow time; the coach is in Helsinki." in plain(anna.last.text)
    assert labels(anna.last)[0].endswith("15:00")


@pytest.mark.usefixtures("coach_setup")
async def test_the_admin_retires_a_coach_and_the_entrepreneur_is_told(
    runtime: Runtime, join: Join
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    admin = await join(ADMIN, "Olga")
    await request_session(anna)
    request = coach.last
    await admin.send("/coaches")
    await admin.click("Retire Tiina Coach")
    await admin.click("Yes, retire")
    assert admin.toasts[-1] == "Retired; 1 entrepreneurs are told."
    assert "no longer takes sessions" in plain(anna.last.text)
    assert labels(coach.recorded.messages[request.message_id]) == []
    await coach.send("/coach")
    assert coach.last.text == "This coach no longer takes sessions."


async def test_an_invite_link_makes_a_coach_once(runtime: Runtime, join: Join, wall: Wall) -> None:
    admin = await join(ADMIN, "Olga")
    await admin.send("/coachinvite")
    link = plain(admin.last.text).split("\n")[-1]
    token = link.split("start=")[1]
    newcomer = await join(7001, "Pekka")
    await newcomer.send(f"/start {token}")
    assert plain(newcomer.last.text).startswith("Welcome, Pekka")
    await newcomer.send("/coach")
    assert "Your coaching" in plain(newcomer.last.text)
    again = await join(7002, "Maija")
    await again.send(f"/start {token}")
    assert again.last.text == "This invite link has already been used."
    await admin.send("/coachinvite")
    late = plain(admin.last.text).split("start=")[1]
    wall.now = NOW + timedelta(days=7)
    await again.send(f"/start {late}")
    assert again.last.text == "This invite link has expired. Ask the programme staff for a new one."
    await again.send("/start coach_forged")
    assert again.last.text == "This invite link is not valid."


async def test_a_non_admin_cannot_manage_coaches(join: Join) -> None:
    anna = await join(ANNA)
    for command in ("/coaches", "/addcoach 1002", "/coachinvite"):
        await anna.send(command)
        assert anna.last.text == "I don't know this command. Send /help to see what I can do."


@pytest.mark.usefixtures("coach_setup")
async def test_after_the_session_a_rating_a_private_note_and_the_staff_report(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    boris = await join(BORIS, "Boris")
    admin = await join(ADMIN, "Olga")
    await request_session(anna)
    await coach.click("Accept", coach.last)
    booked = await only_session(runtime)
    stars = AfterCB(action=AfterAction.STARS, id=booked.id, n=5).pack()
    await anna.press_data(stars)
    assert alert(anna) == "This has changed meanwhile; here is how it stands now."  # not yet
    wall.now = booked.ends_at
    await bot.session.after_update()  # type: ignore[attr-defined]
    ask = next(m for m in anna.messages if "How was your session" in (m.text or ""))
    assert labels(ask) == ["1", "2", "3", "4", "5"]
    await boris.press_data(stars)
    assert alert(boris) == "This is not your session."
    await anna.click("4", ask)
    assert plain(anna.recorded.messages[ask.message_id].text) == (
        "Thank you! You rated the session ★★★★."
    )
    await anna.click("Add a comment", anna.recorded.messages[ask.message_id])
    await anna.send('Very helpful, =HYPERLINK("x") ideas.')
    assert anna.last.text == "Saved."
    wrap = next(m for m in coach.messages if "has ended" in (m.text or ""))
    await coach.click("They did not come", wrap)
    assert coach.toasts[-1] == "Marked: they did not come."
    await coach.click("Private note", coach.recorded.messages[wrap.message_id])
    await coach.send("Secret: needs a co-founder.")
    assert coach.last.text == "Saved."
    await admin.send("/coaching_report 2026-12-01 2026-12-31")
    assert "Tiina Coach</b>: 1 requested, 1 confirmed" in admin.last.text
    assert "1 no-shows; rating 4.0 (1)" in admin.last.text
    await admin.send("/coaching_report 2026-12-01 2026-12-31 csv")
    [document] = [
        c.document
        for c in bot.session.calls
        if isinstance(c, SendDocument) and int(c.chat_id) == ADMIN
    ]  # type: ignore[attr-defined]
    table = document.data.decode("utf-8-sig")
    assert "Very helpful, '=HYPERLINK" in table  # a formula is neutralised
    assert "co-founder" not in table  # the coach's note is theirs alone
    await boris.send("/coaching_report 2026-12-01 2026-12-31")
    assert boris.last.text == "I don't know this command. Send /help to see what I can do."


@pytest.mark.usefixtures("coach_setup")
async def test_a_confirmed_session_moves_only_when_the_coach_accepts(
    runtime: Runtime, join: Join, bot: Bot
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    await coach.click("Accept", coach.last)
    booked = await only_session(runtime)
    told = anna.last
    await anna.click("Move to another time", told)
    await anna.click("15:15", anna.recorded.messages[told.message_id])
    assert anna.toasts[-1] == "Asked: the coach will answer."
    asked = coach.last
    assert "asks to move the session to Tue, 8 Dec 15:15" in plain(asked.text)
    assert (await only_session(runtime)).starts_at == booked.starts_at  # the old time stands
    await coach.click("Move it", asked)
    assert plain(anna.last.text).startswith("✅ The coach accepted the new time.")
    moved = await only_session(runtime)
    assert moved.starts_at == booked.starts_at + timedelta(minutes=75)
    assert labels(coach.recorded.messages[asked.message_id])[:1] == ["📅 Add to calendar"]
    await anna.click("Add to calendar", anna.last)
    sent = [c for c in bot.session.calls if isinstance(c, SendDocument)]  # type: ignore[attr-defined]
    event = Calendar.from_ical(sent[-1].document.data).walk("VEVENT")[0]
    assert event["sequence"] == 2  # the same event, updated
    assert str(event["uid"]) == f"coaching-session-{booked.id}@concierge.openinno"


@pytest.mark.usefixtures("coach_setup")
async def test_a_forged_time_is_refused(runtime: Runtime, join: Join) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    booked = await only_session(runtime)
    three_am = int(datetime(2026, 12, 8, 1, 0, tzinfo=UTC).timestamp()) // 60
    await coach.press_data(
        AnswerCB(action=AnswerAction.PROPOSE_AT, id=booked.id, at=three_am).pack()
    )
    assert alert(coach) == "That time is no longer free. Please choose another one."
    assert (await only_session(runtime)).status == Status.PENDING
    await anna.press_data(f"cf:p:{COACH}:0::0:{three_am}:")
    assert "That time is no longer free" in plain(anna.last.text)


@pytest.mark.usefixtures("coach_setup")
async def test_running_late_and_cancel_today_tell_the_entrepreneurs(
    runtime: Runtime, join: Join, wall: Wall, bot: Bot
) -> None:
    coach = await join(COACH, "Tiina")
    anna = await join(ANNA)
    await request_session(anna)
    await coach.click("Accept", coach.last)
    wall.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # 11:00 in Helsinki, the same day
    await bot.session.after_update()  # type: ignore[attr-defined]  # the day's reminders
    await coach.send("/coach")
    assert "Tue, 8 Dec 14:00 — Anna" in plain(coach.last.text)
    await coach.click("Running late")
    await coach.click("10 min")
    assert coach.toasts[-1] == "Told: 1 people."
    assert plain(anna.last.text).startswith("⏱ Your coach is running 10 minutes late.")
    await coach.click("Cancel today")
    await coach.click("Yes, cancel them")
    assert plain(anna.last.text).startswith("The coach had to cancel your session.")
    assert "The coach cannot hold sessions today." in plain(anna.last.text)
    assert (await only_session(runtime)).status == Status.CANCELLED


@pytest.mark.usefixtures("coach_setup")
async def test_in_summer_the_two_oases_share_the_clock(
    runtime: Runtime, join: Join, wall: Wall
) -> None:
    wall.now = datetime(2027, 6, 1, 6, 0, tzinfo=UTC)  # a Tuesday
    spb = next(place for place in runtime.places.all if place.key == "spb")
    anna = await join(ANNA)
    async with unit_of_work(runtime.factory) as session:
        await desks.book(session, spb, ANNA, date(2027, 6, 2), Period.MORNING, wall.now)
    await anna.click("Book a coach")
    await anna.click("All coaches")
    await anna.click("Tiina Coach")
    await anna.click("Free times")
    assert labels(anna.last)[0] == "Tue, 8 Jun 14:00"  # 14:00 in Helsinki is 14:00 in Moscow
