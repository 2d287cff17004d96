"""The staff teach the FAQ what it missed, on SQLite and on PostgreSQL + Redis: /unanswered
groups the questions the bot did not answer, an admin attaches a group to an entry and the
same question is answered next time (whoever asks, in whatever language they chose), Ignore
and the "did you mean" picks' Approve take questions out of the list, forged buttons are
refused, the lessons survive a reload and reach another instance, and export-learned writes
them into the YAML files, once."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.app import Runtime
from bot.content_cli import check, export_learned
from bot.sandbox.recording import ChatClient
from bot.settings import Settings
from content.knowledge import KB_DIR
from content.library import Library, Shelf
from handlers.faq.callbacks import TeachAction, TeachCB
from scheduler.faq import refresh_learned
from storage import audit, privacy, teaching
from storage.engine import unit_of_work
from storage.faq_log import FaqQuestion
from storage.teaching import LearnedPhrasing

Person = Callable[..., ChatClient]
ADMIN, ANNA, BORIS, IVAN, KAISA = 3001, 1001, 1002, 1003, 1004
UNKNOWN_COMMAND = "I don't know this command. Send /help to see what I can do."
STALE = "This button is no longer valid. Please send /start to open the menu again."
GONE = "These questions are no longer in the list: someone has dealt with them already."
BIKE, BIKE_AGAIN, BIKE_RU = (
    "parking spot for bicycle", "Parking spot for a bicycle?", "где оставить велосипед",
)  # fmt: skip


async def chosen(client: ChatClient, language: str = "en") -> ChatClient:
    await client.send("/start")
    await client.click({"en": "English", "ru": "Русский", "fi": "Suomi"}[language])
    return client


def answer_of(runtime: Runtime, entry_id: str, language: str) -> str:
    return runtime.library.shelf.knowledge.entries[entry_id].text(language).answer


def title(runtime: Runtime, entry_id: str) -> str:
    return runtime.library.shelf.knowledge.entries[entry_id].text("en").question


async def learned_rows(runtime: Runtime) -> list[tuple[str, str, str]]:
    async with unit_of_work(runtime.factory) as session:
        return (await teaching.learned(session))[0]


async def actions(runtime: Runtime) -> list[str]:
    async with unit_of_work(runtime.factory) as session:
        return [entry.action for entry in await audit.latest(session, 20)]


async def attach(admin: ChatClient, group: str, topic: str, entry_title: str) -> None:
    await admin.click(group)
    await admin.click("Attach to an entry")
    await admin.click(topic)
    await admin.click(entry_title[:20])
    await admin.click("✅ Attach")


async def test_a_missed_question_attached_to_an_entry_is_answered_next_time(
    person: Person, runtime: Runtime
) -> None:
    anna, boris = await chosen(person(ANNA)), await chosen(person(BORIS))
    ivan = await chosen(person(IVAN))  # English chosen, asks in Russian
    admin = await chosen(person(ADMIN, first_name="Olga"))
    await anna.send(BIKE)
    assert anna.last.text.startswith("Sorry, I don't know")
    await boris.send(BIKE_AGAIN)
    await ivan.send(BIKE_RU)
    assert ivan.last.text == "I'm not sure I understood. Did you mean:"

    await admin.send("/unanswered")
    listing = admin.last.text
    assert "Unanswered questions" in listing and "2 groups of similar questions" in listing
    assert listing.index(f"1. {BIKE_AGAIN} — 2×") < listing.index(f"2. {BIKE_RU} — 1×")
    await admin.click("1. ")
    assert "Asked 2 times" in admin.last.text and "language of the phrasing: English" in (
        admin.last.text
    )
    assert f"• {BIKE}" in admin.last.text  # the other wording
    await admin.click("« Back")
    locations = title(runtime, "oasis.locations")
    await attach(admin, "1. ", "Business Oasis", locations)
    assert admin.toasts[-1] == f"✅ Attached: the bot now answers this question with “{locations}”."
    assert "1 group of similar questions" in admin.last.text
    assert BIKE_RU in admin.last.text and BIKE_AGAIN not in admin.last.text

    await attach(admin, "1. ", "Business Oasis", locations)
    assert admin.last.text.startswith("No unanswered questions in the last 30 days")
    assert await learned_rows(runtime) == [
        ("oasis.locations", "en", BIKE_AGAIN),
        ("oasis.locations", "ru", BIKE_RU),  # Cyrillic: Russian, whatever the asker chose
    ]
    kaisa = await chosen(person(KAISA), "fi")
    for client, text, language in (
        (anna, BIKE, "en"), (boris, BIKE_AGAIN, "en"), (kaisa, BIKE, "fi"), (ivan, BIKE_RU, "en"),
    ):  # fmt: skip
        await client.send(text)
        assert client.last.text == answer_of(runtime, "oasis.locations", language), text
    assert await actions(runtime) == [audit.Action.FAQ_LEARNED] * 2
    await admin.send("/audit")
    assert "Olga (id 3001) · taught the FAQ a phrasing — oasis.locations (en)" in admin.last.text
    # the new answers are questions answered: nothing new is waiting
    await admin.send("/unanswered")
    assert admin.last.text.startswith("No unanswered questions")


async def test_ignore_takes_the_group_out_of_the_list(person: Person, runtime: Runtime) -> None:
    anna = await chosen(person(ANNA))
    admin = await chosen(person(ADMIN))
    await anna.send("what is the weather in Paris tomorrow")
    await anna.send("what's the weather in paris tomorrow?")
    await admin.send("/unanswered")
    await admin.click("1. ")
    group = admin.last
    await admin.click("✖ Ignore")
    assert admin.toasts[-1] == "Ignored: 2 questions left the list."
    assert admin.last.text.startswith("No unanswered questions")
    assert await learned_rows(runtime) == []
    assert await actions(runtime) == [audit.Action.FAQ_IGNORED]
    # the same group's buttons, pressed again: nothing more happens
    for label in ("Attach to an entry", "✖ Ignore"):
        await admin.click(label, message=group)
        assert admin.toasts[-1] == GONE
    assert await actions(runtime) == [audit.Action.FAQ_IGNORED]


async def test_a_did_you_mean_pick_is_approved_with_one_tap(
    person: Person, runtime: Runtime
) -> None:
    anna, boris = await chosen(person(ANNA)), await chosen(person(BORIS))
    erased = await chosen(person(IVAN))
    admin = await chosen(person(ADMIN))
    book_desk = title(runtime, "oasis.book_desk")
    for client in (anna, erased):
        await client.send("booking")
        assert client.last.text == "I'm not sure I understood. Did you mean:"
        await client.click(book_desk[:20])
    await anna.send("can I bring my dog")
    await anna.click(title(runtime, "oasis.guests")[:20])
    async with unit_of_work(runtime.factory) as session:
        await privacy.anonymise(session, IVAN)  # /forgetme: their pick is not shown

    await admin.send("/unanswered")
    groups, picks = admin.messages[-2].text, admin.last.text
    assert groups.startswith("No unanswered questions")  # a pick is no miss
    assert "Picked from suggestions" in picks and "2 questions whose askers chose" in picks
    assert f"1. can I bring my dog → {title(runtime, 'oasis.guests')}" in picks
    assert f"2. booking → {book_desk}" in picks
    await admin.click("Approve 2")
    assert admin.toasts[-1] == f"✅ Approved: “booking” is now a phrasing of “{book_desk}”."
    assert "1 question whose asker chose" in admin.last.text and "booking" not in admin.last.text
    await admin.click("Ignore 1")
    assert admin.toasts[-1] == "Ignored: the pick left the list."
    assert admin.last.text == "No picks from suggestions left to review."
    assert await learned_rows(runtime) == [("oasis.book_desk", "en", "booking")]
    await boris.send("booking")
    assert boris.last.text == answer_of(runtime, "oasis.book_desk", "en")
    await admin.send("/unanswered")
    assert admin.last.text.startswith("No unanswered questions")  # and no picks left


async def test_staff_tools_stay_hidden_and_forged_buttons_are_refused(
    person: Person, runtime: Runtime
) -> None:
    anna = await chosen(person(ANNA))
    admin = await chosen(person(ADMIN))
    await anna.send(BIKE)
    await anna.send("tell me a story " * 30)  # over 300 characters, and answered…
    await anna.click("👎")  # …unhelpfully
    await anna.send("/unanswered")
    assert anna.last.text == UNKNOWN_COMMAND
    async with unit_of_work(runtime.factory) as session:
        question = (
            await session.scalars(select(FaqQuestion).where(FaqQuestion.text == BIKE))
        ).one()
    real = TeachCB(action=TeachAction.CONFIRM, q=question.id, key="oasis.locations")
    for action in TeachAction:  # the presser is no admin: nothing tells them the tool exists
        await anna.press_data(TeachCB(action=action, q=question.id, key="oasis.locations").pack())
        assert anna.toasts[-1] == STALE
    await anna.press_data("ft:y:-1:oasis.locations:0")  # malformed
    assert anna.toasts[-1] == STALE
    assert await learned_rows(runtime) == []

    await admin.send("/unanswered")
    await admin.press_data(TeachCB(action=TeachAction.PAGE, page=1).pack())
    assert admin.toasts[-1] == STALE  # one page only
    await admin.press_data(TeachCB(action=TeachAction.PICKS, page=3).pack())
    assert admin.toasts[-1] == STALE
    forged = (
        (TeachAction.CONFIRM, question.id, "oasis.no_such_entry"),
        (TeachAction.ENTRY, question.id, "oasis.no_such_entry"),
    )
    for action, q, key in forged:
        await admin.press_data(TeachCB(action=action, q=q, key=key).pack())
        assert admin.toasts[-1] == (
            "This entry is no longer in the knowledge base. Please choose another one."
        )
    await admin.press_data(TeachCB(action=TeachAction.TOPIC, q=question.id, key="nope").pack())
    assert admin.toasts[-1] == STALE
    for action in (TeachAction.CONFIRM, TeachAction.IGNORE, TeachAction.APPROVE):
        await admin.press_data(TeachCB(action=action, q=999_999, key="oasis.locations").pack())
        assert admin.toasts[-1] == GONE
    await admin.press_data(TeachCB(action=TeachAction.APPROVE, q=question.id).pack())
    assert admin.toasts[-1] == GONE  # a missed question is no pick

    await admin.click("tell me a story")
    assert "longer than 300 characters, so it cannot become a phrasing" in admin.last.text
    assert "Attach to an entry" not in str(admin.last.reply_markup)
    async with unit_of_work(runtime.factory) as session:
        story = (
            await session.scalars(select(FaqQuestion).where(FaqQuestion.text.like("tell me%")))
        ).one()
    for action in (TeachAction.ATTACH, TeachAction.CONFIRM):
        await admin.press_data(TeachCB(action=action, q=story.id, key="oasis.locations").pack())
        assert "cannot become a phrasing" in (admin.toasts[-1] or "")
    assert await learned_rows(runtime) == []
    await admin.press_data(real.pack())  # the real thing still works
    assert admin.toasts[-1] and admin.toasts[-1].startswith("✅ Attached")
    await admin.press_data(real.pack())  # twice: the second finds it done
    assert admin.toasts[-1] == GONE
    assert await learned_rows(runtime) == [("oasis.locations", "en", BIKE)]


async def test_a_lesson_survives_a_reload_and_reaches_another_instance(
    person: Person, runtime: Runtime, shelf: Shelf, tmp_path: Path
) -> None:
    other = Library(shelf, shelf.knowledge.source)  # another instance on the same database
    assert await refresh_learned(runtime.factory, other)
    assert other.shelf.index.search(BIKE).decision == "unknown"
    anna = await chosen(person(ANNA))
    admin = await chosen(person(ADMIN))
    await anna.send(BIKE)
    await admin.send("/unanswered")
    await attach(admin, "1. ", "Business Oasis", title(runtime, "oasis.locations"))

    assert other.shelf.index.search(BIKE).decision == "unknown"  # not told yet
    assert await refresh_learned(runtime.factory, other)  # the minute's look
    assert other.shelf.index.search(BIKE).entry_id == "oasis.locations"
    assert not await refresh_learned(runtime.factory, other)  # nothing new: no rebuild
    fresh = Library(shelf, shelf.knowledge.source)  # an instance starting now
    await refresh_learned(runtime.factory, fresh)
    assert fresh.shelf.index.search(BIKE).entry_id == "oasis.locations"

    folder = tmp_path / "kb"
    shutil.copytree(KB_DIR, folder)
    runtime.library.directory = folder
    await admin.send("/reload_content")
    assert admin.last.text.startswith("Knowledge base reloaded: ")
    await anna.send(BIKE)
    assert anna.last.text == answer_of(runtime, "oasis.locations", "en")


async def test_a_phrasing_whose_entry_vanished_is_skipped(
    person: Person, runtime: Runtime, shelf: Shelf, caplog: pytest.LogCaptureFixture
) -> None:
    async with unit_of_work(runtime.factory) as session:
        await teaching.learn(session, "oasis.bikes", "en", BIKE, by=None)
        await teaching.learn(session, "oasis.guests", "en", "can I bring my dog", by=None)
    library = Library(shelf, shelf.knowledge.source)
    with caplog.at_level(logging.WARNING):
        assert await refresh_learned(runtime.factory, library)
    assert "learned phrasing(s) of oasis.bikes (en) skipped: no such entry" in caplog.text
    assert library.shelf.index.search("can I bring my dog").entry_id == "oasis.guests"
    assert library.shelf.index.search(BIKE).decision == "unknown"
    admin, anna = await chosen(person(ADMIN)), await chosen(person(ANNA))
    await admin.send("/reload_content")
    assert admin.last.text.startswith("Knowledge base reloaded: ")
    await anna.send("can I bring my dog")
    assert anna.last.text == answer_of(runtime, "oasis.guests", "en")


async def test_export_learned_writes_the_yaml_once_and_keeps_its_formatting(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(KB_DIR, folder)
    before = {path.name: path.read_text("utf-8") for path in folder.glob("*.yaml")}
    learned = [
        ("oasis.locations", "en", BIKE),
        ("oasis.locations", "ru", BIKE_RU),
        ("oasis.guests", "fi", "saanko tuoda koiran: onko se ok?"),  # a colon: quoted
        ("oasis.about", "en", "What's the oasis"),  # already in the file (in other case)
        ("oasis.bikes", "en", "bike racks"),  # no such entry
    ]
    async with unit_of_work(runtime.factory) as session:
        for entry_id, language, text in learned:
            await teaching.learn(session, entry_id, language, text, by=None)

    out = io.StringIO()
    assert await export_learned(settings, folder, dry_run=True, out=out) == 0
    assert f"{folder / 'oasis.yaml'}: would add 3 phrasing(s)" in out.getvalue()
    assert "dry run: nothing written" in out.getvalue()
    assert {path.name: path.read_text("utf-8") for path in folder.glob("*.yaml")} == before

    out = io.StringIO()
    assert await export_learned(settings, folder, out=out) == 0
    printed = out.getvalue()
    assert f"{folder / 'oasis.yaml'}: added 3 phrasing(s)" in printed
    assert f"  + oasis.locations (ru): {BIKE_RU}" in printed
    assert "1 phrasing(s) already in the files: skipped" in printed
    assert "skipped, no entry oasis.bikes in the files: (en) bike racks" in printed
    written = (folder / "oasis.yaml").read_text("utf-8")
    added = [line for line in written.splitlines() if line not in before["oasis.yaml"].splitlines()]
    assert sorted(added) == sorted(
        [
            f"        - {BIKE}",
            f"        - {BIKE_RU}",
            '        - "saanko tuoda koiran: onko se ok?"',
        ]
    )
    kept = [line for line in written.splitlines() if line not in added]
    assert kept == before["oasis.yaml"].splitlines()  # comments and formatting as they were
    entries = {e["id"]: e for e in yaml.safe_load(written)["entries"]}
    assert entries["oasis.locations"]["en"]["phrasings"][-1] == BIKE
    assert entries["oasis.guests"]["fi"]["phrasings"][-1] == "saanko tuoda koiran: onko se ok?"
    assert check(folder, out=io.StringIO(), err=io.StringIO()) == 0

    again = io.StringIO()
    assert await export_learned(settings, folder, out=again) == 0
    assert "nothing to add" in again.getvalue()
    assert (folder / "oasis.yaml").read_text("utf-8") == written
    assert len(await learned_rows(runtime)) == len(learned)  # the rows stay

    # in the files and in the database: merged once
    library = Library.open(folder)
    assert await refresh_learned(runtime.factory, library)
    phrasings = library.shelf.knowledge.entries["oasis.locations"].texts["en"].phrasings
    assert phrasings.count(BIKE) == 1

    # the command itself, as the curator runs it
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    command = ["-m", "bot", "content", "export-learned", "--dry-run", str(folder)]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command, env=env, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    assert (process.returncode, stdout.decode().splitlines()) == (0, [
        "4 phrasing(s) already in the files: skipped",
        "skipped, no entry oasis.bikes in the files: (en) bike racks",
        "nothing to add",
    ])  # fmt: skip


async def test_learned_rows_are_unique_per_entry_language_and_text(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        assert await teaching.learn(session, "oasis.locations", "en", BIKE, by=None)
        assert not await teaching.learn(session, "oasis.locations", "en", BIKE, by=None)
        assert await teaching.learn(session, "oasis.locations", "fi", BIKE, by=None)
        rows = (await session.scalars(select(LearnedPhrasing))).all()
    assert len(rows) == 2
