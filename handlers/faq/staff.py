"""Staff tools: replying to handed-off questions (and following up on an answer), reloading
the knowledge base. Private chats only (`staff_in_private_chat`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel import Locale as BabelLocale
from babel import UnknownLocaleError
from babel.dates import format_timedelta
from sqlalchemy.ext.asyncio import AsyncSession

from content.library import Library
from content.loader import ContentError
from content.telegram_html import MAX_MESSAGE, visible_length
from handlers.faq.callbacks import FaqAction, FaqCB
from handlers.faq.keyboards import follow_up_keyboard, reply_keyboard
from handlers.ui.filters import has_text, is_command, pressed, staff_router
from handlers.ui.screens import refuse_stale
from scheduler.delivery import Bounce, Rendered, Renderer
from storage import audit, faq_log, outbox, teaching
from storage.base import WallClock
from storage.faq_log import FaqQuestion
from storage.outbox import OutboxMessage, Outcome
from storage.outbox import State as Delivered
from storage.users import Person, User, get_person, users_by_id

log = logging.getLogger(__name__)
MAX_LISTED_PROBLEMS = 15
QUOTED = 300  # how much of a long question a reply quotes
LISTED_QUESTIONS = 10  # /questions shows the oldest this many, each with ✍️ Reply


class StaffReply(StatesGroup):
    writing = State()


def describe(user: User | None, user_id: int) -> str:
    """Who asked, for the staff: name, @username when there is one, and the Telegram id."""
    if user is None:
        return f"id {user_id}"
    name = escape(" ".join(p for p in (user.first_name, user.last_name) if p) or "—")
    if user.username:
        return f"{name} (@{escape(user.username)}, id {user.id})"
    return f"{name} (id {user.id})"


def language_name(code: str) -> str:
    """A language's name in the staff member's language (Babel's CLDR names)."""
    try:
        return BabelLocale.parse(code).get_display_name(get_i18n().current_locale) or code
    except (ValueError, UnknownLocaleError):
        return code


def staff_copy(question: FaqQuestion, asker: User | None, asked: str | None = None) -> list[str]:
    """A handed-off question as the staff get it, in the current locale (theirs): who asked, in
    which language (the one to reply in) and the question in full; a second message carries the
    question when both do not fit in one. `asked` says how long ago, in the /questions list."""
    if asked is None:
        head = _("❓ <b>A question for the staff</b>")
    else:
        head = _("❓ <b>Waiting for a reply</b> · asked {when}").format(when=asked)
    head += "\n" + _("From: {person}\nLanguage: {language}").format(
        person=describe(asker, question.user_id), language=language_name(question.language)
    )
    text = escape(question.text)
    if visible_length(head) + 2 + visible_length(text) <= MAX_MESSAGE:
        return [f"{head}\n\n{text}"]
    return [head + "\n\n" + _("The question is in the next message."), text]


async def send_staff_copy(
    bot: Bot, staff_id: int, question: FaqQuestion, asker: User | None, asked: str | None = None
) -> None:
    """The copy of `question` to one staff member (in /questions), ✍️ Reply under its last part."""
    for part in staff_copy_messages(question, asker, asked):
        await bot.send_message(staff_id, part.text, reply_markup=part.markup)


def staff_copy_messages(
    question: FaqQuestion, asker: User | None, asked: str | None = None
) -> list[Rendered]:
    parts = staff_copy(question, asker, asked)
    return [
        *(Rendered(part) for part in parts[:-1]),
        Rendered(parts[-1], reply_keyboard(question.id)),
    ]


HANDOFF, REPLY, UNDELIVERED = "faq.handoff", "faq.reply", "faq.reply_undelivered"


def hand_off(session: AsyncSession, question: FaqQuestion, staff_ids: Sequence[int]) -> None:
    """The question to each staff member, through the outbox."""
    for staff_id in staff_ids:
        outbox.enqueue(session, staff_id, HANDOFF, ref=question.id)


def renderers() -> dict[str, Renderer]:
    async def handoff(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        question = await session.get(FaqQuestion, row.ref)
        if question is None:
            return None
        return staff_copy_messages(question, await session.get(User, question.user_id))

    async def staff_reply(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        question = await session.get(FaqQuestion, row.ref)
        if question is None:
            return None
        text = reply_text(
            question, str(row.params["reply"]), follow_up=bool(row.params["follow_up"])
        )
        return [Rendered(text)]

    async def undelivered(session: AsyncSession, row: OutboxMessage) -> Sequence[Rendered] | None:
        question = await session.get(FaqQuestion, row.ref)
        if question is None:
            return None
        asker = await session.get(User, question.user_id)
        if row.params.get("blocked"):
            reason = _("they have blocked the bot.")
        else:
            reason = _("Telegram refused it. Please try again later or reach them another way.")
        text = _(
            "⚠️ Your reply could not be delivered to {who}: {reason}\n\nTheir question: {question}"
        ).format(who=describe(asker, question.user_id), reason=reason, question=quoted(question))
        return [Rendered(text)]

    return {HANDOFF: handoff, REPLY: staff_reply, UNDELIVERED: undelivered}


def bounces() -> dict[str, Bounce]:
    async def reply_bounced(session: AsyncSession, row: OutboxMessage, outcome: Outcome) -> None:
        by = row.params.get("by")
        if isinstance(by, int):  # the staff member who wrote it hears that it did not arrive
            blocked = outcome.state is not Delivered.FAILED
            outbox.enqueue(session, by, UNDELIVERED, ref=row.ref, params={"blocked": blocked})

    return {REPLY: reply_bounced}


def quoted(question: FaqQuestion) -> str:
    """The asker's question as their answer quotes it: the beginning of a long one."""
    text = question.text
    return escape(text if len(text) <= QUOTED else text[: QUOTED - 1].rstrip() + "…")


def reply_text(question: FaqQuestion, reply: str, *, follow_up: bool) -> str:
    """What the asker gets (in the current locale: theirs)."""
    if follow_up:
        template = _(
            "💬 The programme staff follow up on their answer to your question\n"
            "<i>{question}</i>\n\n{reply}"
        )
    else:
        template = _("💬 The programme staff answered your question\n<i>{question}</i>\n\n{reply}")
    return template.format(question=quoted(question), reply=escape(reply))


async def _asker_locale(session: AsyncSession, question: FaqQuestion) -> str:
    asker = await get_person(session, question.user_id)
    return (asker and asker.locale) or question.language


def _room(question: FaqQuestion, *, follow_up: bool) -> int:
    """How long a reply may be: what Telegram allows, less the text around it."""
    return MAX_MESSAGE - visible_length(reply_text(question, "", follow_up=follow_up))


async def _answered_text(
    session: AsyncSession, question: FaqQuestion, i18n: I18n, now: datetime
) -> str:
    assert question.staff_replied_at is not None
    ago = max(now - question.staff_replied_at, timedelta(seconds=1))
    when = format_timedelta(-ago, add_direction=True, locale=i18n.current_locale)
    replier_id = question.staff_replied_by
    replier = (await users_by_id(session, [replier_id])).get(replier_id) if replier_id else None
    name = " ".join(p for p in (replier.first_name, replier.last_name) if p) if replier else ""
    if name:
        text = _("This question was already answered by {name}, {when}.").format(
            name=escape(name), when=when
        )
    else:
        text = _("This question was already answered by the programme staff, {when}.").format(
            when=when
        )
    return (
        text
        + f"\n\n<i>{quoted(question)}</i>\n\n"
        + _("You can send a follow-up: the person gets it as an addition to that answer.")
    )


async def start_reply(
    query: CallbackQuery,
    callback_data: FaqCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    i18n: I18n,
    wall_clock: WallClock,
) -> None:
    """✍️ Reply under a hand-off, or ✍️ Send a follow-up under "already answered"."""
    question = await faq_log.handed_off(session, callback_data.q)
    if not person.is_admin or question is None:
        await refuse_stale(query)
        return
    follow_up = question.staff_replied_at is not None
    if follow_up and callback_data.action == FaqAction.REPLY:
        text = await _answered_text(session, question, i18n, wall_clock())
        await query.answer()
        await _tell(query, person, text, follow_up_keyboard(question.id))
        return
    await state.set_state(StaffReply.writing)
    await state.update_data(question_id=question.id)
    await query.answer()
    with i18n.use_locale(await _asker_locale(session, question)):
        room = _room(question, follow_up=follow_up)
    if follow_up:
        prompt = _(
            "Write your follow-up to this question in one message of up to {limit} characters; "
            "the person gets it as an addition to the answer they have. Commands are not sent: "
            "/cancel stops replying.\n\n<i>{question}</i>"
        )
    else:
        prompt = _(
            "Write your reply to this question in one message of up to {limit} characters. "
            "Commands are not sent: /cancel stops replying.\n\n<i>{question}</i>"
        )
    await _tell(query, person, prompt.format(limit=room, question=quoted(question)))


async def _tell(
    query: CallbackQuery, person: Person, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    if query.bot is not None:
        await query.bot.send_message(person.id, text, reply_markup=markup)


async def send_reply(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
    wall_clock: WallClock,
) -> None:
    data = await state.get_data()
    question = await faq_log.handed_off(session, int(data.get("question_id", 0)))
    if not person.is_admin or question is None:
        await state.clear()
        await message.answer(_("That question is no longer waiting for a reply."))
        return
    reply = message.text or ""
    follow_up = question.staff_replied_at is not None
    with i18n.use_locale(await _asker_locale(session, question)):
        text = reply_text(question, reply, follow_up=follow_up)
        room = _room(question, follow_up=follow_up)
    if visible_length(text) > MAX_MESSAGE:  # still writing: a shorter one may follow
        await message.answer(
            _(
                "This reply is too long to be delivered together with the question it answers: "
                "the reply may be at most {limit} characters, and this one has {length}. Please "
                "send a shorter one, or /cancel."
            ).format(limit=room, length=visible_length(escape(reply)))
        )
        return
    await state.clear()
    asker = await session.get(User, question.user_id)
    if asker is not None and asker.blocked_at is not None:
        await message.answer(_("The reply could not be delivered: the person has blocked the bot."))
        return
    params = {"reply": reply, "follow_up": follow_up, "by": person.id}
    outbox.enqueue(session, question.user_id, REPLY, ref=question.id, params=params)
    if follow_up:
        await message.answer(_("Your follow-up is saved and on its way to them."))
        return
    await faq_log.record_reply(session, question, person.id, wall_clock())
    await message.answer(_("Your reply is saved and on its way to them."))


async def still_writing(message: Message) -> None:
    """A command typed while writing a reply is never the reply (/cancel is taken before)."""
    await message.answer(
        _(
            "You are still writing a reply to a question, so this command was not run and "
            "nothing was sent. Send your reply as a text message, or /cancel to stop replying."
        )
    )


async def reply_not_text(message: Message) -> None:
    await message.answer(_("Please send the reply as a text message, or /cancel."))


async def reload_content(
    message: Message, session: AsyncSession, person: Person, library: Library
) -> None:
    if not person.is_admin:
        await message.answer(_("This command is for the programme staff."))
        return
    phrasings, version = await teaching.learned(session)  # (merged again into the new files)
    try:
        shelf = await library.reload(phrasings, version)
    except ContentError as error:
        listed = "\n".join(
            escape(str(p), quote=False) for p in error.problems[:MAX_LISTED_PROBLEMS]
        )
        more = len(error.problems) - MAX_LISTED_PROBLEMS
        if more > 0:
            listed += "\n" + ngettext(
                "…and {count} more problem.", "…and {count} more problems.", more
            ).format(count=more)
        log.warning("knowledge base reload refused: %d problems", len(error.problems))
        await message.answer(
            _("The knowledge base was not reloaded; the old one keeps serving. Problems:")
            + f"\n<pre>{listed}</pre>"
        )
        return
    entries, topics = len(shelf.knowledge), len(shelf.knowledge.categories)
    audit.record(session, person.id, audit.Action.RELOAD, details={"entries": entries})
    await message.answer(
        _("Knowledge base reloaded: {entries}, {topics}.").format(
            entries=ngettext("{count} entry", "{count} entries", entries).format(count=entries),
            topics=ngettext("{count} topic", "{count} topics", topics).format(count=topics),
        )
    )


async def waiting_questions(
    message: Message,
    session: AsyncSession,
    person: Person,
    bot: Bot,
    i18n: I18n,
    wall_clock: WallClock,
) -> None:
    """/questions: what still waits for a staff reply, oldest first, each with ✍️ Reply."""
    if not person.is_admin:
        await message.answer(_("This command is for the programme staff."))
        return
    questions, total = await faq_log.waiting(session, LISTED_QUESTIONS)
    if not questions:
        await message.answer(_("No questions are waiting for a reply."))
        return
    summary = ngettext(
        "{count} question is waiting for a reply.",
        "{count} questions are waiting for a reply, oldest first:",
        total,
    ).format(count=total)
    if total > len(questions):
        summary += " " + _(
            "Here are the oldest {shown}; once they are answered, /questions shows the next."
        ).format(shown=len(questions))
    await message.answer(summary)
    askers = await users_by_id(session, [q.user_id for q in questions])
    now = wall_clock()
    for question in questions:
        assert question.handed_off_at is not None
        ago = max(now - question.handed_off_at, timedelta(seconds=1))
        asked = format_timedelta(-ago, add_direction=True, locale=i18n.current_locale)
        await send_staff_copy(bot, person.id, question, askers.get(question.user_id), asked)


def create_router() -> Router:
    router = staff_router(__name__)
    router.callback_query.register(
        start_reply, pressed(FaqCB, FaqAction.REPLY, FaqAction.FOLLOW_UP)
    )
    router.message.register(still_writing, StaffReply.writing, is_command)
    router.message.register(reload_content, Command("reload_content"))
    router.message.register(waiting_questions, Command("questions"))
    router.message.register(send_reply, StaffReply.writing, has_text)
    router.message.register(reply_not_text, StaffReply.writing)
    return router
