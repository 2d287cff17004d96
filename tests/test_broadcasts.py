"""Broadcasts end to end through the real dispatcher and the delivery engine, on SQLite and on
PostgreSQL + Redis: compose with formatting and a variant per language, a button, an
audience, a preview as recipients see it, send now or schedule, progress and report, cancel,
a 429 and a 403 on the way, a restart half way, priority over a broadcast, forged buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiogram.types import Message
from sqlalchemy import func, select

from bot.app import Runtime, open_runtime
from bot.sandbox.recording import ChatClient, RecordingSession
from handlers.admin.callbacks import BroadcastAction, BroadcastCB
from scheduler.broadcasts import run_broadcasts
from scheduler.delivery import Delivery
from scheduler.messages import bounces, renderers
from storage import audit, outbox
from storage.audit import AuditEntry
from storage.broadcasts import sending
from storage.broadcasts.audience import Audience, Kind
from storage.broadcasts.tables import Broadcast, Status
from storage.engine import unit_of_work
from storage.outbox import OutboxMessage, State
from storage.users import Profile, touch
from tests.conftest import outbox_drain

Person = Callable[..., ChatClient]
OLGA, ANNA, IVAN, MIKKO, BORIS = 3001, 1001, 1002, 1003, 1004
UNKNOWN_COMMAND = "I don't know this command. Send /help to see what I can do."


async def chosen(client: ChatClient, language: str = "en") -> ChatClient:
    await client.send("/start")
    await client.click({"en": "English", "ru": "Русский", "fi": "Suomi"}[language])
    return client


def recording(bot: Bot) -> RecordingSession:
    return bot.session  # type: ignore[return-value]


def delivery(bot: Bot) -> Delivery:
    return bot.session.delivery  # type: ignore[attr-defined,no-any-return]


def copies(bot: Bot, chat_id: int, marker: str) -> list[Message]:
    """The messages of a chat that carry `marker` (a broadcast's text or caption)."""
    return [
        m
        for m in recording(bot).chat(chat_id).messages.values()
        if marker in (m.text or m.caption or "")  # (recorded as sent: Telegram HTML)
    ]


async def people(person: Person) -> dict[str, ChatClient]:
    olga = await chosen(person(OLGA, first_name="Olga"), "en")
    anna = await chosen(person(ANNA, first_name="Anna"), "en")
    ivan = await chosen(person(IVAN, first_name="Ivan"), "ru")
    mikko = await chosen(person(MIKKO, first_name="Mikko"), "fi")
    return {"olga": olga, "anna": anna, "ivan": ivan, "mikko": mikko}


async def compose(olga: ChatClient) -> None:
    """An English announcement in bold and italics, a Russian variant, a "Book a desk" button."""
    await olga.send("/broadcast")
    assert "Send the announcement in 🇬🇧 English" in olga.last.text
    await olga.send(
        "Open doors on Friday",
        entities=[
            {"type": "bold", "offset": 0, "length": 10},
            {"type": "italic", "offset": 14, "length": 6},
        ],
    )
    await olga.click("➕ 🇷🇺")
    await olga.send("День открытых дверей в пятницу")
    await olga.click("🔘")
    await olga.click("Book a desk")


async def test_a_broadcast_reaches_everyone_in_their_language_with_its_button(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    chats = await people(person)
    olga = chats["olga"]
    await compose(olga)
    draft = olga.last.text
    assert "English ✅" in draft and "Русский ✅" in draft and "Suomi —" in draft
    await olga.click("👁")
    texts = [m.text for m in olga.messages[-5:] if m.text]
    assert "<b>Open doors</b> on <i>Friday</i>" in texts  # the formatting is kept
    assert "День открытых дверей в пятницу" in texts
    summary = olga.last.text
    assert "4" in summary and "Suomi" in summary  # Mikko gets the English variant
    await olga.click("📤")
    started = "Broadcast #1 is on its way. Recipients: 4."
    assert any(started in (m.text or "") for m in olga.messages)
    await delivery(bot).deliver_due()
    anna_copy = copies(bot, ANNA, "Open doors")
    ivan_copy = copies(bot, IVAN, "открытых")
    mikko_copy = copies(bot, MIKKO, "Open doors")
    assert len(anna_copy) == len(ivan_copy) == len(mikko_copy) == 1
    assert copies(bot, IVAN, "Open doors") == []
    # the button, in each recipient's own language
    labels = {
        chat: copy[0].reply_markup.inline_keyboard[0][0].text  # type: ignore[union-attr]
        for chat, copy in ((ANNA, anna_copy), (MIKKO, mikko_copy))
    }
    assert labels == {ANNA: "Book a desk", MIKKO: "Varaa työpiste"}
    # the progress message, then the report once everything is out
    await run_broadcasts(runtime.factory)
    await outbox_drain(delivery(bot))()
    async with unit_of_work(runtime.factory) as session:
        row = await session.get(Broadcast, 1)
        assert row is not None and row.status == Status.DONE and row.total == 4
        done = await sending.progress(session, row)
        assert (done.sent, done.remaining) == (4, 0)
        entries = await audit.latest(session, 5)
    assert [e.action for e in entries] == [audit.Action.BROADCAST_SENT]
    assert entries[0].actor_id == OLGA
    final = olga.last.text
    assert "#1" in final and "4" in final
    # pressing the old Cancel button tells the broadcast is over
    await olga.press_data(BroadcastCB(action=BroadcastAction.CANCEL, n=1).pack())
    assert olga.toasts[-1] == "This broadcast has already ended."


async def test_a_photo_with_a_caption_goes_out_as_a_photo(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"), "en")
    await chosen(person(ANNA, first_name="Anna"))
    await olga.send("/broadcast")
    photo = [{"file_id": "AgACphoto", "file_unique_id": "u1", "width": 10, "height": 10}]
    await olga.send(photo=photo, caption="The new Oasis")
    await olga.click("👁")
    await olga.click("📤")
    await delivery(bot).deliver_due()
    sent = [c for c in recording(bot).calls if isinstance(c, SendPhoto) and c.chat_id == ANNA]
    assert len(sent) == 1 and sent[0].photo == "AgACphoto" and sent[0].caption == "The new Oasis"


async def test_a_sticker_is_not_an_announcement(person: Person, bot: Bot) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"), "en")
    await olga.send("/broadcast")
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
               "height": 1, "is_animated": False, "is_video": False}  # fmt: skip
    await olga.send(sticker=sticker)
    assert "text, a photo or a document" in olga.last.text
    await olga.send("Now in words")
    assert "Broadcast draft" in olga.last.text


async def test_audiences_by_language_and_activity(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    chats = await people(person)
    olga = chats["olga"]
    await olga.send("/broadcast")
    await olga.send("Только для русскоязычных")
    await olga.click("👥")
    await olga.click("By language")
    await olga.click("🇷🇺 Русский")
    assert "1 person" in olga.last.text  # Ivan
    await olga.click("👥")
    await olga.click("Active in the last")
    await olga.send("0")
    assert "1" in olga.last.text and "365" in olga.last.text  # the rule, and the step stays
    await olga.send("30")
    await olga.click("👁")
    await olga.click("📤")
    await outbox_drain(delivery(bot))()
    assert len(copies(bot, MIKKO, "Только")) == 1  # everyone was active in 30 days


async def test_scheduled_then_sent_at_its_time_or_cancelled(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    chats = await people(person)
    olga = chats["olga"]
    for _ in range(2):
        await compose(olga)
        await olga.click("👁")
        await olga.click("🕒")
        await olga.send("yesterday")
        assert "2027-01-15 10:00" in olga.last.text
        await olga.send("2020-01-01 10:00")
        assert "60" in olga.last.text
        moment = datetime.now(UTC) + timedelta(days=2)
        await olga.send(
            moment.astimezone(runtime.places.all[0].timezone).strftime("%Y-%m-%d %H:%M")
        )
    assert "#2" in olga.last.text
    await olga.click("✖️")  # cancel the second
    await outbox_drain(delivery(bot))()
    await run_broadcasts(runtime.factory)  # not yet
    assert copies(bot, ANNA, "Open doors") == []
    later = datetime.now(UTC) + timedelta(days=3)
    await run_broadcasts(runtime.factory, lambda: later)
    delivery(bot).clock = lambda: later
    await outbox_drain(delivery(bot))()
    assert len(copies(bot, ANNA, "Open doors")) == 1  # the first only
    async with unit_of_work(runtime.factory) as session:
        statuses = {b.id: b.status for b in await sending.recent(session)}
    assert statuses == {1: Status.SENDING, 2: Status.CANCELLED}
    kinds = [e.action for e in reversed(await _audit(runtime))]
    assert kinds == [
        audit.Action.BROADCAST_SCHEDULED,
        audit.Action.BROADCAST_SCHEDULED,
        audit.Action.BROADCAST_CANCELLED,
    ]


async def _audit(runtime: Runtime) -> list[AuditEntry]:
    async with unit_of_work(runtime.factory) as session:
        return await audit.latest(session, 10)


async def test_429_and_403_on_the_way(person: Person, bot: Bot, runtime: Runtime) -> None:
    chats = await people(person)
    olga = chats["olga"]
    boris = await chosen(person(BORIS, first_name="Boris"))
    del boris
    calls = 0

    async def trouble(method: TelegramMethod[Any]) -> None:
        nonlocal calls
        if not isinstance(method, SendMessage) or "Open doors" not in (method.text or ""):
            return
        if method.chat_id == OLGA:  # her preview
            return
        if method.chat_id == BORIS:
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        calls += 1
        if calls == 1:
            raise TelegramRetryAfter(method, "Too Many Requests: retry after 30", 30)

    recording(bot).on_call = trouble
    await compose(olga)
    await olga.click("👁")
    await olga.click("📤")
    engine = delivery(bot)
    assert engine.paused_until is not None  # Telegram asked to wait
    later = engine.paused_until + timedelta(seconds=1)
    engine.clock = lambda: later
    await outbox_drain(engine)()
    for chat, marker in ((ANNA, "Open doors"), (IVAN, "открытых"), (MIKKO, "Open doors")):
        assert len(copies(bot, chat, marker)) == 1, chat
    assert copies(bot, BORIS, "Open doors") == []
    async with unit_of_work(runtime.factory) as session:
        row = await session.get(Broadcast, 1)
        assert row is not None
        done = await sending.progress(session, row)
    assert (done.total, done.sent, done.blocked, done.remaining) == (5, 4, 1, 0)


async def test_a_restart_half_way_sends_the_rest_once(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    chats = await people(person)
    olga = chats["olga"]
    for extra in range(20):
        async with unit_of_work(runtime.factory) as session:
            await touch(session, Profile(5000 + extra, "P", None, None), is_admin=False)
    recording(bot).after_update = None  # type: ignore[attr-defined]  # nothing sent yet
    await compose(olga)
    await olga.click("👁")
    await olga.click("📤")
    # An instance takes 10 copies and dies before sending them
    async with unit_of_work(runtime.factory) as session:
        taken = await outbox.claim(
            session, "dead", datetime.now(UTC), 100, timedelta(seconds=60), bulk_limit=10
        )
    assert sum(1 for row in taken if row.kind == sending.KIND) == 10
    # a new process on the same database, after the lease has run out
    after = await open_runtime(runtime.settings, runtime.library)
    try:
        engine = Delivery(
            after.factory,
            bot,
            after.i18n,
            renderers(after.places, after.library),
            rate=0,
            bounces=bounces(),
            clock=lambda: datetime.now(UTC) + timedelta(minutes=2),
        )
        await outbox_drain(engine)()
        async with unit_of_work(after.factory) as session:
            counts = await session.execute(
                select(OutboxMessage.chat_id, func.count())
                .where(OutboxMessage.kind == sending.KIND, OutboxMessage.state == State.SENT)
                .group_by(OutboxMessage.chat_id)
            )
            sent = dict(counts.all())
    finally:
        await after.close()
    assert len(sent) == 24 and set(sent.values()) == {1}
    for chat, marker in ((ANNA, "Open doors"), (IVAN, "открытых"), (5007, "Open doors")):
        assert len(copies(bot, chat, marker)) == 1, chat


async def test_a_reminder_goes_before_a_waiting_broadcast(runtime: Runtime) -> None:
    async with unit_of_work(runtime.factory) as session:
        for user in range(10):
            await touch(session, Profile(6000 + user, "P", None, None), is_admin=False)
        broadcast = await sending.create(
            session,
            OLGA,
            variants={"en": {"html": "News", "media": None}},
            default_locale="en",
            button=None,
            audience=Audience(Kind.EVERYONE),
            scheduled_at=datetime.now(UTC),
        )
        await sending.launch_due(session, datetime.now(UTC), only=broadcast.id)
        outbox.enqueue(session, 6005, "desk.reminder", ref=1)
    async with unit_of_work(runtime.factory) as session:
        taken = await outbox.claim(
            session, "one", datetime.now(UTC), 100, timedelta(seconds=60), bulk_limit=3
        )
    assert [row.kind for row in taken][:1] == ["desk.reminder"]
    assert sum(1 for row in taken if row.kind == sending.KIND) == 3  # a short round


async def test_broadcast_buttons_pressed_by_anyone_but_an_admin_do_nothing(
    person: Person, bot: Bot, runtime: Runtime
) -> None:
    olga = await chosen(person(OLGA, first_name="Olga"))
    anna = await chosen(person(ANNA, first_name="Anna"))
    await compose(olga)
    await olga.click("👁")
    await olga.click("🕒")
    await olga.send((datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"))
    await anna.send("/broadcast")
    assert anna.last.text == UNKNOWN_COMMAND
    for action in BroadcastAction:
        await anna.press_data(BroadcastCB(action=action, n=1, kind="all").pack())
        assert anna.toasts[-1] and "no longer valid" in anna.toasts[-1], action
    async with unit_of_work(runtime.factory) as session:
        assert [b.status for b in await sending.recent(session)] == [Status.SCHEDULED]
