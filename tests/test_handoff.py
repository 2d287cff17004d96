"""Handing a question to the staff: what the staff's copy says (who, in which language, the
question in full), an honest answer when no staff member can be reached, and /questions, the
list of what still waits for a reply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramNetworkError, TelegramServerError
from aiogram.methods import SendMessage, TelegramMethod

from bot.sandbox.recording import ChatClient, RecordingSession
from handlers.faq.callbacks import FaqAction, FaqCB
from storage.base import utcnow

Person = Callable[..., ChatClient]
ADMIN = 3001  # ADMIN_IDS in the test settings
NO_STAFF = (
    "I could not reach the programme staff just now. Your question is saved: they will find it "
    "among the questions waiting for a reply and answer here, in this chat."
)


async def chosen(client: ChatClient, language: str = "en") -> ChatClient:
    await client.send("/start")
    await client.click({"en": "English", "ru": "Русский", "fi": "Suomi"}[language])
    return client


async def hand_off(asker: ChatClient, text: str) -> None:
    await asker.send(text)
    await asker.press_data(FaqCB(action=FaqAction.HANDOFF, q=await last_question(asker)).pack())


async def last_question(asker: ChatClient) -> int:
    """The question behind the "shall I ask the staff?" offer just shown."""
    markup = asker.last.reply_markup
    assert markup is not None, asker.last.text
    return next(
        FaqCB.unpack(b.callback_data).q
        for row in markup.inline_keyboard
        for b in row
        if b.callback_data and b.callback_data.startswith("faq:")
    )


def recording(client: ChatClient) -> RecordingSession:
    return client.session


def sent_to(client: ChatClient, chat_id: int) -> list[str]:
    return [m.text or "" for m in client.session.chat(chat_id).messages.values()]


async def test_the_staff_copy_names_the_asker_their_language_and_the_whole_question(
    person: Person,
) -> None:
    admin = await chosen(person(ADMIN, first_name="Olga"), "en")
    mikko = await chosen(person(1004, first_name="Mikko", last_name="Virtanen",
                                username="mikko_v"), "fi")  # fmt: skip
    question = "Mikä on huomisen sääennuste Pariisissa? " + "Sataako siellä lunta? " * 60
    assert len(question) > 1000
    await hand_off(mikko, question)
    copy = admin.last.text or ""
    assert "Mikko Virtanen (@mikko_v, id 1004)" in copy
    assert "Language: Finnish" in copy
    assert question.strip() in copy
    assert [b.text for row in admin.last.reply_markup.inline_keyboard for b in row] == [  # type: ignore[union-attr]
        "✍️ Reply"
    ]


async def test_a_question_too_long_for_one_message_comes_in_two_with_reply_under_the_last(
    person: Person,
) -> None:
    admin = await chosen(person(ADMIN), "ru")
    anna = await chosen(person(1001, first_name="Anna"), "en")
    question = "Could I borrow a projector for the weekend? " * 93  # 4092 characters
    await hand_off(anna, question[:4096])
    head, body = admin.messages[-2:]
    assert "Язык: английский" in (head.text or "") and "Anna (id 1001)" in (head.text or "")
    assert head.reply_markup is None
    assert body.text == question[:4096]
    assert body.reply_markup is not None


DONE = "Done: I have passed your question to the programme staff. Their reply will come here."


@pytest.mark.parametrize(
    "failure",
    [
        lambda m: TelegramNetworkError(m, "Connection reset by peer"),
        lambda m: TelegramServerError(m, "Internal Server Error"),
    ],
    ids=["network-down", "telegram-5xx"],
)
async def test_telegram_failing_the_staff_copy_is_no_error_for_the_asker_and_is_retried(
    person: Person, failure: Callable[[TelegramMethod[Any]], Exception]
) -> None:
    admin = await chosen(person(ADMIN), "en")
    anna = await chosen(person(1001), "en")
    tried = []

    async def staff_unreachable(method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage) and method.chat_id == ADMIN:
            tried.append(method)
            raise failure(method)

    recording(anna).on_call = staff_unreachable
    await hand_off(anna, "how do I cook borscht")
    assert tried and anna.last.text == DONE  # saved and on its way: the engine retries
    assert not any("rror" in text or "Connection" in text for text in sent_to(anna, 1001))
    recording(anna).on_call = None
    await admin.send("/questions")
    assert "how do I cook borscht" in (admin.last.text or "")


async def test_questions_lists_what_waits_for_a_reply_oldest_first_each_with_reply(
    person: Person,
) -> None:
    admin = await chosen(person(ADMIN), "en")
    anna = await chosen(person(1001, first_name="Anna"), "en")
    ivan = await chosen(person(1002, first_name="Ivan", username="ivan_p"), "ru")
    await hand_off(anna, "how do I cook borscht")
    await hand_off(ivan, "как приготовить пельмени")
    await hand_off(anna, "where can I park a bicycle overnight")
    await admin.click("Reply")  # the last copy: answer Anna's bicycle question
    await admin.send("In the courtyard.")
    await anna.send("what's the weather in Paris")  # asked, never handed off: not listed

    await admin.send("/questions")
    listed = admin.messages[-3:]
    assert listed[0].text == "2 questions are waiting for a reply, oldest first:"
    assert "how do I cook borscht" in (listed[1].text or "")
    assert "Ivan (@ivan_p, id 1002)" in (listed[2].text or "")
    assert "Language: Russian" in (listed[2].text or "")
    for copy in listed[1:]:
        assert copy.reply_markup is not None
    await admin.click("Reply", message=listed[2])
    await admin.send("Спросите в соседнем кафе.")
    assert "Спросите в соседнем кафе." in (ivan.last.text or "")

    await admin.send("/questions")
    assert admin.messages[-2].text == "1 question is waiting for a reply."
    await admin.click("Reply")
    await admin.send("Borscht: beets first.")
    await admin.send("/questions")
    assert admin.last.text == "No questions are waiting for a reply."


async def test_questions_is_for_the_staff_only(person: Person) -> None:
    anna = await chosen(person(1001), "en")
    await hand_off(anna, "how do I cook borscht")
    await anna.send("/questions")
    assert anna.last.text == "I don't know this command. Send /help to see what I can do."
    await anna.press_data(FaqCB(action=FaqAction.REPLY, q=1).pack())
    assert anna.toasts[-1] == (
        "This button is no longer valid. Please send /start to open the menu again."
    )


async def test_staff_who_never_started_the_bot_are_not_written_to(person: Person) -> None:
    anna = await chosen(person(1001), "en")
    await hand_off(anna, "how do I cook borscht")
    assert anna.last.text == NO_STAFF
    assert not anna.session.chat(ADMIN).messages  # no message Telegram would refuse


async def test_staff_who_blocked_the_bot_are_skipped_until_they_return(person: Person) -> None:
    admin = await chosen(person(ADMIN), "en")
    anna = await chosen(person(1001), "en")
    tried: list[int] = []

    async def blocked(method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage) and method.chat_id == ADMIN:
            tried.append(ADMIN)
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")

    recording(anna).on_call = blocked
    await hand_off(anna, "how do I cook borscht")
    assert anna.last.text == DONE and tried == [ADMIN]  # Telegram says so only when sent to
    await hand_off(anna, "where can I park a bicycle overnight")
    assert tried == [ADMIN] and anna.last.text == NO_STAFF  # known now: nobody to write to
    assert not any("Forbidden" in text for text in sent_to(anna, 1001))
    recording(anna).on_call = None
    admin.session.delivery.clock = lambda: utcnow() + timedelta(minutes=10)  # type: ignore[attr-defined]
    await admin.send("/start")  # back: reachable again once the bot sees them
    await hand_off(anna, "is there a dentist nearby")
    assert "is there a dentist nearby" in (admin.last.text or "")


async def test_a_reply_that_cannot_be_delivered_is_reported_back_to_its_writer(
    person: Person,
) -> None:
    admin = await chosen(person(ADMIN, first_name="Olga"), "en")
    anna = await chosen(person(1001), "en")
    await hand_off(anna, "how do I cook borscht")
    handoff = admin.last

    async def gone(method: TelegramMethod[Any]) -> None:  # Anna blocked the bot meanwhile
        if isinstance(method, SendMessage) and method.chat_id == 1001:
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")

    recording(anna).on_call = gone
    await admin.click("Reply", message=handoff)
    await admin.send("Boil beets first.")
    assert admin.messages[-2].text == "Your reply is saved and on its way to them."
    report = admin.last.text or ""
    assert report.startswith("⚠️ Your reply could not be delivered to Anna (id 1001): they have")
    assert "how do I cook borscht" in report
    assert not any("Boil beets" in text for text in sent_to(anna, 1001))
