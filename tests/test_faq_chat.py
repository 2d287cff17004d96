"""The FAQ in the chat: answers, "did you mean", "I don't know", the hand-off to the staff
and back, feedback, browsing, reloading, and forged buttons."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.sandbox.recording import ChatClient
from content.knowledge import KB_DIR
from handlers.faq.callbacks import FaqAction, FaqCB
from storage.faq_log import FaqQuestion

Person = Callable[..., ChatClient]
ADMIN = 3001  # ADMIN_IDS in the test settings


def answer_of(runtime: Runtime, entry_id: str, language: str) -> str:
    return runtime.library.shelf.knowledge.entries[entry_id].text(language).answer


def labels(client: ChatClient) -> list[str]:
    markup = client.last.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


async def questions(runtime: Runtime) -> list[FaqQuestion]:
    async with runtime.factory() as session:
        return list((await session.execute(select(FaqQuestion).order_by(FaqQuestion.id))).scalars())


async def chosen(client: ChatClient, language: str) -> ChatClient:
    await client.send("/start")
    await client.click({"en": "English", "ru": "Русский", "fi": "Suomi"}[language])
    return client


async def test_a_clear_question_gets_its_answer_with_related_and_feedback_buttons(
    person: Person, runtime: Runtime
) -> None:
    anna = await chosen(person(1001), "en")
    await anna.send("When is the Business Oasis open?")
    assert anna.last.text == answer_of(runtime, "oasis.hours", "en")
    assert labels(anna)[-3:] == ["👍 Helpful", "👎 Not helpful", "« Main menu"]
    assert any(label.startswith("❔ ") for label in labels(anna))
    [logged] = await questions(runtime)
    assert (logged.language, logged.entry_id, logged.outcome) == ("en", "oasis.hours", "answered")
    assert 0 < logged.score <= 100


async def test_answers_come_in_the_users_language_whatever_language_they_ask_in(
    person: Person, runtime: Runtime
) -> None:
    ivan = await chosen(person(1002), "ru")
    await ivan.send("до скольки работает коворкинг?")
    assert ivan.last.text == answer_of(runtime, "oasis.hours", "ru")
    anna = await chosen(person(1003), "en")
    await anna.send("milloin oasis on auki")
    assert anna.last.text == answer_of(runtime, "oasis.hours", "en")


async def test_an_unknown_question_is_admitted_and_handed_to_staff_and_answered(
    person: Person, runtime: Runtime
) -> None:
    mikko = await chosen(person(1004, first_name="Mikko"), "fi")
    admin = await chosen(person(ADMIN, first_name="Olga"), "ru")
    await mikko.send("mikä on huomisen sääennuste Pariisissa?")
    assert mikko.last.text.startswith("Valitettavasti en tiedä")
    assert labels(mikko)[1:] == ["Ei kiitos", "« Päävalikko"]
    await mikko.click("Kyllä")
    assert mikko.last.text.startswith("Selvä")

    handoff = admin.last
    assert "Mikko (id 1004)" in handoff.text
    assert "sääennuste Pariisissa" in handoff.text
    await admin.click("Ответить", message=handoff)
    await admin.send("Мы не знаем погоду, но ждём вас в оазисе!")
    assert admin.last.text == "Ваш ответ сохранён и уже отправляется."
    assert mikko.last.text.startswith("💬 Ohjelman henkilökunta vastasi kysymykseesi")
    assert "ждём вас в оазисе" in mikko.last.text
    [logged] = await questions(runtime)
    assert logged.outcome == "unknown"
    assert logged.handed_off_at is not None and logged.staff_replied_at is not None


async def test_a_hand_off_happens_once(person: Person) -> None:
    anna = await chosen(person(1005), "en")
    await anna.send("how do I cook borscht")
    offer = anna.last
    await anna.click("Yes", message=offer)
    await anna.click("Yes", message=offer)
    assert anna.toasts[-1] == "Your question has already been passed to the staff."


async def test_none_of_these_leads_to_the_hand_off_offer(person: Person, runtime: Runtime) -> None:
    anna = await chosen(person(1006), "en")
    await anna.send("booking")
    assert anna.last.text == "I'm not sure I understood. Did you mean:"
    assert 3 <= len(labels(anna)) <= 5 and labels(anna)[-2:] == ["None of these", "« Main menu"]
    await anna.click("None of these")
    assert anna.last.text.startswith("Sorry, I don't know")


async def test_picking_a_suggestion_answers_it_and_is_logged(
    person: Person, runtime: Runtime
) -> None:
    anna = await chosen(person(1007), "en")
    await anna.send("booking")
    choice = labels(anna)[0]
    await anna.click(1)
    entry_id = next(
        e.id
        for e in runtime.library.shelf.knowledge
        if e.text("en").question.startswith(choice[:20])
    )
    assert anna.last.text == answer_of(runtime, entry_id, "en")
    [logged] = await questions(runtime)
    assert (logged.outcome, logged.entry_id) == ("chosen", entry_id)


async def test_feedback_is_stored_and_thanked(person: Person, runtime: Runtime) -> None:
    anna = await chosen(person(1008), "en")
    await anna.send("is there wifi in the oasis")
    await anna.click("👍")
    assert anna.toasts[-1] == "Thank you for your feedback!"
    assert "👍 Helpful" not in labels(anna)
    await anna.send("what is the weather")  # unknown, then an answer rated down
    await anna.send("how much does the programme cost")
    await anna.click("👎")
    assert anna.last.text.startswith("Sorry it did not help.")
    rated = [(q.entry_id, q.helpful) for q in await questions(runtime) if q.helpful is not None]
    assert rated == [("oasis.amenities", True), ("program.cost", False)]


async def test_forged_faq_buttons_are_refused(person: Person, runtime: Runtime) -> None:
    anna, bob = await chosen(person(1009), "en"), await chosen(person(1010), "en")
    await anna.send("When is the Business Oasis open?")
    [annas] = await questions(runtime)
    forged = [
        FaqCB(action=FaqAction.UP, q=annas.id),
        FaqCB(action=FaqAction.HANDOFF, q=annas.id),
        FaqCB(action=FaqAction.PICK, q=annas.id, key="oasis.hours"),
        FaqCB(action=FaqAction.PICK, q=999_999, key="oasis.hours"),
        FaqCB(action=FaqAction.OPEN, key="no.such_entry"),
        FaqCB(action=FaqAction.TOPIC, key="nowhere"),
        FaqCB(action=FaqAction.REPLY, q=annas.id),
    ]
    for data in forged:
        await bob.press_data(data.pack())
        assert bob.toasts[-1] in (
            "This button is no longer valid. Please send /start to open the menu again.",
            "Your question has already been passed to the staff.",
        ), data
    assert (await questions(runtime))[0].helpful is None
    assert (await questions(runtime))[0].handed_off_at is None


async def test_browsing_topics_questions_and_back(person: Person, runtime: Runtime) -> None:
    anna = await chosen(person(1011), "en")
    await anna.click("Ask a question")
    assert anna.last.text.startswith("Type your question in your own words")
    assert "Business Oasis" in labels(anna)
    await anna.click("Business Oasis")
    first_page = labels(anna)
    assert "Next ›" in first_page and first_page[-1] == "« Topics"
    await anna.click("Next ›")
    assert "‹ Previous" in labels(anna)
    await anna.click(1)
    assert labels(anna)[-1] == "« Back"
    await anna.click("« Back")
    assert anna.last.text == "<b>Business Oasis</b>"
    await anna.click("« Topics")
    await anna.click("« Main menu")
    assert anna.last.text == "What would you like to do?"


async def test_reload_keeps_the_old_knowledge_base_when_the_new_one_is_broken(
    person: Person, runtime: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(KB_DIR, folder)
    runtime.library.directory = folder
    admin, anna = await chosen(person(ADMIN), "en"), await chosen(person(1012), "en")

    await anna.send("/reload_content")
    assert anna.last.text == "I don't know this command. Send /help to see what I can do."

    oasis = folder / "oasis.yaml"
    oasis.write_text(
        oasis.read_text("utf-8").replace("id: oasis.hours", "id: oasis hours"), "utf-8"
    )
    await admin.send("/reload_content")
    assert admin.last.text.startswith("The knowledge base was not reloaded")
    assert f"{oasis}:" in admin.last.text
    await anna.send("When is the Business Oasis open?")
    assert anna.last.text == answer_of(runtime, "oasis.hours", "en")

    shutil.rmtree(folder)
    shutil.copytree(KB_DIR, folder)
    await admin.send("/reload_content")
    assert admin.last.text.startswith("Knowledge base reloaded: ")


@pytest.mark.parametrize("text", ["/nonsense", "/start@other_bot extra"])
async def test_unknown_commands_are_not_searched(person: Person, text: str) -> None:
    anna = await chosen(person(1013), "en")
    await anna.send(text)
    assert anna.last.text in (
        "I don't know this command. Send /help to see what I can do.",
        "Welcome back, Anna! What would you like to do?",
    )


@pytest.mark.parametrize(
    ("language", "text", "reply"),
    [
        ("en", "Hi!", "Hello, Anna! Ask me anything about the programme"),
        ("ru", "спасибо большое", "Пожалуйста!"),
        ("fi", "mitä kuuluu?", "Hyvää kuuluu, kiitos!"),
        ("en", "bye", "Goodbye, Anna, and good luck with your project!"),
    ],
)
async def test_pleasantries_get_a_kind_reply_not_a_search(
    person: Person, runtime: Runtime, language: str, text: str, reply: str
) -> None:
    someone = await chosen(person(1014), language)
    await someone.send(text)
    assert someone.last.text.startswith(reply)
    [logged] = await questions(runtime)
    assert (logged.outcome, logged.entry_id) == ("small_talk", None)


async def test_a_greeting_with_a_question_is_searched(person: Person, runtime: Runtime) -> None:
    anna = await chosen(person(1015), "en")
    await anna.send("hi, when is the oasis open?")
    assert anna.last.text == answer_of(runtime, "oasis.hours", "en")


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "ok"), ("en", "how"), ("en", "what?"), ("en", "👍"), ("en", "?"), ("ru", "как"),
     ("ru", "ну да"), ("fi", "mitä"), ("fi", "joo ok")],
)  # fmt: skip
async def test_a_message_naming_no_topic_is_asked_about_not_answered(
    person: Person, runtime: Runtime, language: str, text: str
) -> None:
    anna = await chosen(person(1014), language)
    await anna.send(text)
    prompts = {
        "en": "What would you like to know?",
        "ru": "Что вы хотели бы узнать?",
        "fi": "Mitä haluaisit tietää?",
    }
    assert anna.last.text.startswith(prompts[language])
    topics = {c.title(language) for c in runtime.library.shelf.knowledge.categories.values()}
    assert topics <= set(labels(anna))
    [logged] = await questions(runtime)
    assert (logged.outcome, logged.entry_id) == ("unclear", None)


async def test_an_answer_to_a_typed_question_leads_back_to_the_menu_and_keeps_it_when_rated(
    person: Person, runtime: Runtime
) -> None:
    anna = await chosen(person(1015), "en")
    await anna.send("is there wifi in the oasis")
    assert labels(anna)[-1] == "« Main menu"
    await anna.click("👍")
    assert labels(anna)[-1] == "« Main menu" and "👍 Helpful" not in labels(anna)
    await anna.send("booking")  # "did you mean": a way out too, and the picked answer keeps it
    assert labels(anna)[-2:] == ["None of these", "« Main menu"]
    await anna.click(1)
    assert labels(anna)[-1] == "« Main menu"
    await anna.click("« Main menu")
    assert anna.last.text == "What would you like to do?"


async def test_rating_a_browsed_answer_keeps_its_way_back(person: Person) -> None:
    anna = await chosen(person(1016), "en")
    await anna.click("Ask a question")
    await anna.click("Business Oasis")
    await anna.click(1)
    await anna.click("👎")
    answer = next(m for m in reversed(anna.messages) if m.reply_markup and "« Back" in str(m))
    kept = [b.text for row in answer.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert kept[-1] == "« Back" and "👎 Not helpful" not in kept
    await anna.click("« Back", message=answer)
    assert anna.recorded.messages[answer.message_id].text == "<b>Business Oasis</b>"
