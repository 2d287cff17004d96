"""The staff's tools under an adversarial review, on SQLite and on PostgreSQL + Redis: reply
mode never sends a command, a reply fits its message or is refused with its limit, a second
reply is a follow-up, ADMIN_IDS is the truth at start, staff tools only in private chats, CSV
cells that are never formulas, and control characters that never reach the database."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendDocument, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, Chat, Message
from aiogram.types import User as TelegramUser
from sqlalchemy import select

from bot.app import Runtime, create_dispatcher, open_runtime
from bot.sandbox.formatting import parse_html, utf16_len
from bot.sandbox.recording import ChatClient, RecordingSession
from bot.settings import Settings
from content.library import Library, Shelf
from content.spreadsheet import safe_cell
from handlers.desks.callbacks import StaffAction, StaffCB
from handlers.faq.callbacks import FaqAction, FaqCB
from scheduler.delivery import Delivery
from scheduler.messages import renderers
from storage import desks, faq_log
from storage.desks.opening import Period
from storage.engine import unit_of_work
from storage.faq_log import FaqQuestion, Outcome
from storage.users import Directory, Profile, User, mark_blocked, sync_admins, touch
from tests.conftest import FakeClock, outbox_drain

Person = Callable[..., ChatClient]
OLGA, IVAN = 3001, 3002  # the admins of these tests
MIKKO, ANNA = 1004, 1001
GROUP = -100_500
UNKNOWN_COMMAND = "I don't know this command. Send /help to see what I can do."
PRIVATE_ONLY = "Staff commands work only in a private chat with the bot."
STILL_WRITING = (
    "You are still writing a reply to a question, so this command was not run and nothing was "
    "sent. Send your reply as a text message, or /cancel to stop replying."
)
# A Tuesday; 08:00 in Lappeenranta, before the Oasis opens.
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TUESDAY = date(2026, 12, 1)

OCCUPANCY = "<b>Business Oasis St. Petersburg</b>, "  # how /occupancy begins, any day


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings, with two admins."""
    return settings.model_copy(update={"admin_ids": frozenset({OLGA, IVAN})})


# --- helpers --------------------------------------------------------------------------------


async def chosen(client: ChatClient, language: str = "en") -> ChatClient:
    await client.send("/start")
    await client.click({"en": "English", "ru": "Русский", "fi": "Suomi"}[language])
    return client


async def handed_off_by_chat(asker: ChatClient, text: str = "how do I cook borscht") -> None:
    """Ask what the knowledge base does not know, and take the offer to ask the staff."""
    await asker.send(text)
    await asker.press_data(FaqCB(action=FaqAction.HANDOFF, q=await last_question_id(asker)).pack())


async def last_question_id(asker: ChatClient) -> int:
    markup = asker.last.reply_markup
    assert markup is not None, asker.last.text
    [offer] = [
        FaqCB.unpack(b.callback_data)
        for row in markup.inline_keyboard
        for b in row
        if b.callback_data and b.callback_data.startswith("faq:h:")
    ]
    return offer.q


async def handed_off_directly(runtime: Runtime, user_id: int, text: str) -> int:
    """A question of `user_id` (who has chatted already) handed off, straight through storage."""
    async with unit_of_work(runtime.factory) as session:
        question_id = await faq_log.log_question(
            session, user_id, "en", text, outcome=Outcome.UNKNOWN
        )
        assert await faq_log.hand_off(session, question_id, user_id) is not None
    return question_id


async def questions(runtime: Runtime) -> list[FaqQuestion]:
    async with runtime.factory() as session:
        return list((await session.scalars(select(FaqQuestion).order_by(FaqQuestion.id))).all())


async def users(runtime: Runtime) -> dict[int, User]:
    async with runtime.factory() as session:
        return {user.id: user for user in await session.scalars(select(User))}


def handoff_of(admin: ChatClient) -> Message:
    return next(m for m in reversed(admin.messages) if (m.text or "").startswith("❓"))


def documents_to(session: RecordingSession, chat_id: int) -> list[BufferedInputFile]:
    return [
        call.document  # type: ignore[misc]
        for call in session.calls
        if isinstance(call, SendDocument) and int(call.chat_id) == chat_id
    ]


def room_in(prompt: str) -> int:
    found = re.search(r"up to (\d+) characters", prompt)
    assert found, prompt
    return int(found.group(1))


class RefusingSession(RecordingSession):
    """A Telegram that refuses every message to the chats in `refuse` ("chat not found")."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse: set[int] = set()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        if isinstance(method, SendMessage) and int(method.chat_id) in self.refuse:
            raise TelegramBadRequest(method, "Bad Request: chat not found")
        return await super().make_request(bot, method, timeout)


# --- 1. a command is never a reply ------------------------------------------------------------


async def test_a_command_typed_while_replying_is_never_sent_as_the_reply(
    person: Person, runtime: Runtime
) -> None:
    mikko, olga = await chosen(person(MIKKO, first_name="Mikko")), await chosen(person(OLGA))
    await handed_off_by_chat(mikko)
    told = len(mikko.messages)
    await olga.click("Reply", message=handoff_of(olga))
    assert "/cancel stops replying" in olga.last.text
    for command in ("/export_bookings 2026-12-01 2026-12-31", "/occupancy", "/reload_content",
                    "/nonsense", "/ not a command but a slash"):  # fmt: skip
        await olga.send(command)
        assert olga.last.text == STILL_WRITING, command
    assert len(mikko.messages) == told
    assert documents_to(olga.session, OLGA) == []
    [question] = await questions(runtime)
    assert question.staff_replied_at is None

    await olga.send("Borscht: beetroot, cabbage, patience.")
    assert olga.last.text == "Your reply is saved and on its way to them."
    assert "beetroot, cabbage, patience" in mikko.last.text


async def test_cancel_leaves_reply_mode_and_commands_work_again(
    person: Person, runtime: Runtime
) -> None:
    mikko, olga = await chosen(person(MIKKO, first_name="Mikko")), await chosen(person(OLGA))
    await handed_off_by_chat(mikko)
    told = len(mikko.messages)
    await olga.click("Reply", message=handoff_of(olga))
    await olga.send("/cancel")
    assert olga.last.text.startswith("Cancelled.")
    await olga.send("/occupancy")
    assert OCCUPANCY in olga.last.text  # the occupancy screen, open day or not
    assert len(mikko.messages) == told
    assert (await questions(runtime))[0].staff_replied_at is None


# --- 2. a reply fits its message, or is refused with its limit -------------------------------


async def test_a_reply_too_long_for_its_message_is_refused_with_its_limit_and_mode_stays(
    person: Person, runtime: Runtime
) -> None:
    mikko, olga = await chosen(person(MIKKO, first_name="Mikko")), await chosen(person(OLGA))
    question_id = await handed_off_directly(runtime, MIKKO, "Where is the sauna? " * 50)
    told = len(mikko.messages)
    await olga.press_data(FaqCB(action=FaqAction.REPLY, q=question_id).pack())
    room = room_in(olga.last.text)
    assert 3500 < room < 3800  # 4096 less the quoted question (300 characters) and the text

    await olga.send("y" * (room + 1))
    assert (
        f"the reply may be at most {room} characters, and this one has {room + 1}."
        in olga.last.text
    )
    assert len(mikko.messages) == told
    assert (await questions(runtime))[0].staff_replied_at is None
    await olga.send("/occupancy")  # still writing: the command is refused, not sent
    assert olga.last.text == STILL_WRITING

    reply = ("Q&A <sauna>. " * 400)[: room - 1] + "!"  # escaped it is longer: not what counts
    await olga.send(reply)
    assert olga.last.text == "Your reply is saved and on its way to them."
    delivered = parse_html(mikko.last.text or "").text
    assert utf16_len(delivered) == 4096 and delivered.endswith(reply)  # 💬 counts two
    assert (await questions(runtime))[0].staff_replied_at is not None


async def test_a_reply_to_someone_who_blocked_the_bot_is_refused_and_the_question_waits(
    person: Person, runtime: Runtime
) -> None:
    mikko, olga = await chosen(person(MIKKO, first_name="Mikko")), await chosen(person(OLGA))
    await handed_off_by_chat(mikko)
    told = len(mikko.messages)
    await olga.click("Reply", message=handoff_of(olga))
    async with unit_of_work(runtime.factory) as session:
        await mark_blocked(session, MIKKO)  # Telegram said so, delivering something else

    await olga.send("Beetroot first.")
    assert olga.last.text == "The reply could not be delivered: the person has blocked the bot."
    [question] = await questions(runtime)
    assert question.staff_replied_at is None and question.staff_replied_by is None
    await olga.send("/occupancy")  # reply mode is over: the command runs, nothing goes out
    assert OCCUPANCY in olga.last.text  # the occupancy screen, open day or not
    assert len(mikko.messages) == told

    await mikko.send("/start")  # back
    await olga.click("Reply", message=handoff_of(olga))
    await olga.send("Beetroot first.")
    assert olga.last.text == "Your reply is saved and on its way to them."
    assert "Beetroot first." in (mikko.last.text or "")
    assert (await questions(runtime))[0].staff_replied_by == OLGA


async def test_reply_to_an_answered_question_says_who_and_when_and_offers_a_follow_up(
    person: Person, runtime: Runtime
) -> None:
    mikko = await chosen(person(MIKKO, first_name="Mikko"))
    olga = await chosen(person(OLGA, first_name="Olga"))
    ivan = await chosen(person(IVAN, first_name="Ivan"), "ru")
    await handed_off_by_chat(mikko)
    await olga.click("Reply", message=handoff_of(olga))
    await olga.send("Beetroot first.")
    answer = mikko.last.text
    assert answer.startswith("💬 The programme staff answered your question")

    await ivan.click("Ответить", message=handoff_of(ivan))
    assert re.match(r"На этот вопрос уже ответили: Olga, \d+ секунд\w* назад\.", ivan.last.text)
    assert "how do I cook borscht" in ivan.last.text
    assert [b.text for row in ivan.last.reply_markup.inline_keyboard for b in row] == [
        "✍️ Отправить дополнение"
    ]
    assert mikko.last.text == answer  # nothing was sent yet

    await ivan.click("Отправить дополнение")
    assert ivan.last.text.startswith("Напишите дополнение к ответу на этот вопрос")
    await ivan.send("И не забудьте сметану.")
    assert ivan.last.text == "Ваше дополнение сохранено и уже отправляется."
    assert mikko.last.text.startswith(
        "💬 The programme staff follow up on their answer to your question\n"
        "<i>how do I cook borscht</i>"
    )
    assert mikko.last.text.endswith("И не забудьте сметану.")
    [question] = await questions(runtime)
    assert question.staff_replied_by == OLGA  # the first answer stays who answered


async def test_of_two_staff_writing_at_once_the_second_sends_a_follow_up(
    person: Person, runtime: Runtime
) -> None:
    mikko = await chosen(person(MIKKO, first_name="Mikko"), "fi")
    olga, ivan = await chosen(person(OLGA)), await chosen(person(IVAN, first_name="Ivan"))
    await handed_off_by_chat(mikko, "mikä on huomisen sääennuste Pariisissa?")
    await olga.click("Reply", message=handoff_of(olga))
    await ivan.click("Reply", message=handoff_of(ivan))  # before Olga has sent hers
    await olga.send("Emme tiedä.")
    await ivan.send("Katso ilmatieteen laitokselta.")
    assert olga.last.text == "Your reply is saved and on its way to them."
    assert ivan.last.text == "Your follow-up is saved and on its way to them."
    first, second = mikko.messages[-2:]
    assert first.text.startswith("💬 Ohjelman henkilökunta vastasi kysymykseesi")
    assert second.text.startswith("💬 Ohjelman henkilökunta täydentää vastaustaan")
    assert (await questions(runtime))[0].staff_replied_by == OLGA


# --- 4. ADMIN_IDS is the truth at start -------------------------------------------------------


async def test_someone_taken_out_of_admin_ids_is_no_longer_an_admin_after_a_restart(
    settings: Settings, shelf: Shelf
) -> None:
    bot = Bot("42:TEST", session=RecordingSession())
    library = Library(shelf, shelf.knowledge.source)
    before = await open_runtime(settings, library)  # Olga and Ivan
    try:
        olga = await chosen(
            ChatClient(create_dispatcher(before, clock=FakeClock()), bot, OLGA, first_name="Olga")
        )
        await olga.send("/occupancy")
        assert OCCUPANCY in olga.last.text  # the occupancy screen, open day or not
    finally:
        await before.close()

    after = await open_runtime(
        settings.model_copy(update={"admin_ids": frozenset({IVAN})}), library
    )
    try:
        assert {i: u.is_admin for i, u in (await users(after)).items()} == {OLGA: False}
        kinds = renderers(after.places, after.library)
        delivery = Delivery(after.factory, bot, after.i18n, kinds, rate=0)
        bot.session.after_update = outbox_drain(delivery)  # type: ignore[attr-defined]
        dispatcher = create_dispatcher(after, clock=FakeClock())
        olga = ChatClient(dispatcher, bot, OLGA, first_name="Olga")
        ivan = await chosen(ChatClient(dispatcher, bot, IVAN, first_name="Ivan"))
        mikko = await chosen(ChatClient(dispatcher, bot, MIKKO, first_name="Mikko"))
        seen = len(olga.messages)
        await handed_off_by_chat(mikko)
        assert mikko.last.text.startswith("Done: I have passed your question")
        assert len(olga.messages) == seen  # the hand-off reached Ivan only
        assert "From: Mikko (id 1004)" in handoff_of(ivan).text
        refused = ("/occupancy", "/export_bookings 2026-12-01 2026-12-31", "/close_day 2026-12-02",
                   "/reopen_day 2026-12-02", "/reload_content", "/events_admin",
                   "/event_report")  # fmt: skip
        for command in refused:
            await olga.send(command)
            assert olga.last.text == UNKNOWN_COMMAND, command
        [question] = await questions(after)
        await olga.press_data(FaqCB(action=FaqAction.REPLY, q=question.id).pack())
        assert olga.toasts[-1].startswith("This button is no longer valid")
        async with unit_of_work(after.factory) as session:
            person = await Directory(admin_ids=after.settings.admin_ids).resolve(
                session, Profile(OLGA, "Olga", None, None)
            )
        assert not person.is_admin
    finally:
        await after.close()


async def test_sync_admins_makes_exactly_the_given_ids_admins(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        for user_id, admin in ((1, True), (2, False), (3, True), (4, False)):
            await touch(session, Profile(user_id, f"User {user_id}", None, None), is_admin=admin)
    async with unit_of_work(runtime.factory) as session:
        await sync_admins(session, {2, 3, 99})
    assert {i: u.is_admin for i, u in (await users(runtime)).items()} == {
        1: False, 2: True, 3: True, 4: False,
    }  # fmt: skip
    async with unit_of_work(runtime.factory) as session:
        await sync_admins(session, set())
    assert not any(user.is_admin for user in (await users(runtime)).values())


# --- 5. staff tools only in private chats -----------------------------------------------------


def in_group(client: ChatClient) -> ChatClient:
    client.chat = Chat(id=GROUP, type="supergroup", title="Oasis residents")
    return client


def group_message(client: ChatClient) -> Message:
    return Message(
        message_id=1,
        date=int(time.time()),
        chat=client.chat,
        from_user=TelegramUser(id=1, is_bot=True, first_name="Concierge"),
        text="a message in the group",
    )


async def test_staff_tools_in_a_group_answer_by_role_and_show_nothing_personal(
    person: Person, runtime: Runtime
) -> None:
    anna = await chosen(person(ANNA, first_name="Anna"))
    await handed_off_by_chat(anna)
    [question] = await questions(runtime)
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    async with unit_of_work(runtime.factory) as session:
        await desks.book(session, lpr, ANNA, TUESDAY, Period.MORNING, NOW)
    olga, boris = in_group(person(OLGA, first_name="Olga")), in_group(person(1002))
    group = olga.session.chat(GROUP)
    commands = ["/occupancy 2026-12-01", "/export_bookings 2026-12-01 2026-12-31",
                "/close_day 2026-12-01 flood", "/reopen_day 2026-12-01", "/reload_content",
                "/occupancy@bot", "/events_admin", "/event_report 1"]  # fmt: skip
    for client, answer in ((boris, UNKNOWN_COMMAND), (olga, PRIVATE_ONLY)):
        for command in commands:
            seen = len(group.messages)
            await client.send(command)
            assert [m.text for m in list(group.messages.values())[seen:]] == [answer], command
    assert documents_to(olga.session, GROUP) == []
    assert not any("Anna" in (m.text or "") for m in group.messages.values())

    buttons = [
        StaffCB(action=action, loc=lpr.id, day=TUESDAY.toordinal())
        for action in (StaffAction.CLOSE, StaffAction.CLOSE_YES, StaffAction.REOPEN)
    ] + [FaqCB(action=FaqAction.REPLY, q=question.id)]
    for data in buttons:
        await olga.press_data(data.pack(), group_message(olga))
        assert olga.recorded.toasts[-1].text == PRIVATE_ONLY, data
        assert olga.recorded.toasts[-1].show_alert
    async with unit_of_work(runtime.factory) as session:
        assert [b.status for b in await desks.on_day(session, lpr, TUESDAY)] == ["active"]
    assert (await questions(runtime))[0].staff_replied_at is None

    olga.chat = Chat(id=OLGA, type="private", first_name="Olga")  # the same, in private
    await olga.send("/occupancy 2026-12-01")
    assert "Anna (id 1001)" in olga.last.text


# --- 6. CSV cells are never formulas ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+7 999 123", "'+7 999 123"),
        ("-2", "'-2"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("Eve;=cmd|' /C calc'!A0;", "Eve;'=cmd|' /C calc'!A0;"),
        ("Smith,+1", "Smith,'+1"),
        ("a; -1", "a; '-1"),
        ('x;"=HYPERLINK(1)', "x;\"'=HYPERLINK(1)"),
        ("one\n@two", "one\n'@two"),
        ("one\r\n=two", "one\r\n'=two"),
        ("tab\t=x", "tab\t'=x"),
        ("\t=x", "'\t'=x"),
        ("\rx", "'\rx"),
        ("Anna-Maria", "Anna-Maria"),
        ("anna@example.org", "anna@example.org"),
        ("2026-12-01T06:00:00+00:00", "2026-12-01T06:00:00+00:00"),
        ("", ""),
        (42, 42),
        (None, None),
    ],
)
def test_safe_cell_neutralises_every_place_a_formula_could_start(value: Any, safe: Any) -> None:
    assert safe_cell(value) == safe


def cells_as_a_spreadsheet_splits_them(data: bytes, separator: str) -> list[str]:
    """Every cell of the file read naively, as a spreadsheet set to `separator` does."""
    lines = data.decode("utf-8-sig").splitlines()
    return [cell.strip(' "') for line in lines for cell in line.split(separator)]


async def test_an_exported_name_is_no_formula_whatever_the_separator(
    person: Person, runtime: Runtime
) -> None:
    name = "Eve;=cmd|' /C calc'!A0;"
    eve = await chosen(person(1666, first_name=name))
    lpr = next(place for place in runtime.places.all if place.key == "lpr")
    async with unit_of_work(runtime.factory) as session:
        await desks.book(session, lpr, eve.user.id, TUESDAY, Period.MORNING, NOW)
    olga = await chosen(person(OLGA))
    await olga.send("/export_bookings 2026-12-01 2026-12-31")
    [export] = documents_to(olga.session, OLGA)
    [row] = csv.DictReader(io.StringIO(export.data.decode("utf-8-sig")))
    assert row["first_name"] == "Eve;'=cmd|' /C calc'!A0;"
    for separator in (";", ",", "\t"):
        for cell in cells_as_a_spreadsheet_splits_them(export.data, separator):
            assert not cell.startswith(("=", "+", "-", "@")), (separator, cell)


# --- 7. control characters never reach the database -------------------------------------------


async def test_control_characters_in_a_name_and_a_question_are_stripped_before_storing(
    person: Person, runtime: Runtime
) -> None:
    await chosen(person(OLGA))  # a staff member to hand the question to
    eve = person(1777, first_name="Ev\x00e\x07")
    await eve.send("/start")
    assert eve.last.text.startswith("Hello, Ev")
    await eve.click("English")
    assert eve.last.text.startswith("Great, I will speak English with you.")
    await eve.send("When is the Business\x00 Oasis open?")
    assert eve.last.text == runtime.library.shelf.knowledge.entries["oasis.hours"].text("en").answer
    await eve.send("how do I cook\x00 borscht?\n\tAnd\x1b[31m pelmeni?\r\nThanks\x7f")
    assert eve.last.text.startswith("Sorry, I don't know")
    await eve.click("Yes")
    assert eve.last.text.startswith("Done: I have passed your question")

    stored = await users(runtime)
    assert stored[1777].first_name == "Eve"
    answered, unknown = await questions(runtime)
    assert answered.text == "When is the Business Oasis open?"
    assert unknown.text == "how do I cook borscht?\n\tAnd[31m pelmeni?\nThanks"
    assert unknown.handed_off_at is not None
