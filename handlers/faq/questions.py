"""Questions in the user's own words: answer, "did you mean", or an honest "I don't know"
with a hand-off to the staff."""

from __future__ import annotations

import logging
from contextlib import suppress
from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from content.library import Library
from content.smalltalk import SmallTalk, small_talk
from handlers.faq import staff as faq_staff
from handlers.faq.callbacks import FaqAction, FaqCB
from handlers.faq.keyboards import (
    answer_keyboard,
    handoff_keyboard,
    suggestions_keyboard,
    topics_keyboard,
    without_rating,
)
from handlers.ui.filters import has_text, is_command, pressed
from handlers.ui.keyboards import home_keyboard, main_menu
from handlers.ui.screens import edit_or_send, own_message, refuse_stale
from storage import faq_log
from storage.faq_log import Outcome
from storage.users import Directory, Person, reachable_staff

log = logging.getLogger(__name__)
MAX_QUERY = 500  # the search reads the beginning of a very long message


async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know this command. Send /help to see what I can do."))


async def is_pleasantry(message: Message) -> dict[str, SmallTalk] | bool:
    kind = small_talk(message.text or "")
    return {"pleasantry": kind} if kind is not None else False


async def reply_kindly(
    message: Message,
    pleasantry: SmallTalk,
    session: AsyncSession,
    person: Person,
    locale: str,
    event_from_user: User,
) -> None:
    await faq_log.log_question(
        session, person.id, locale, message.text or "", outcome=Outcome.SMALL_TALK
    )
    name = escape(event_from_user.first_name)
    await message.answer(small_talk_reply(pleasantry, name), reply_markup=main_menu())


async def ask(
    message: Message, session: AsyncSession, person: Person, library: Library, locale: str
) -> None:
    text = message.text or ""
    shelf = library.shelf
    result = shelf.index.search(text[:MAX_QUERY], locale)
    outcome = {
        "answer": Outcome.ANSWERED,
        "suggest": Outcome.SUGGESTED,
        "unclear": Outcome.UNCLEAR,
    }.get(result.decision, Outcome.UNKNOWN)
    question_id = await faq_log.log_question(
        session, person.id, locale, text, outcome=outcome, entry_id=result.entry_id,
        score=result.score,
    )  # fmt: skip
    if result.decision == "unclear":
        await message.answer(
            _(
                "What would you like to know? Ask in a few words, for example “opening hours” "
                "or “book a desk”, or choose a topic:"
            ),
            reply_markup=topics_keyboard(shelf.knowledge, locale),
        )
    elif result.entry_id is not None:
        entry = shelf.knowledge.entries[result.entry_id]
        await message.answer(
            entry.text(locale).answer,
            reply_markup=answer_keyboard(entry, shelf.knowledge, locale, question_id, home=True),
        )
    elif result.suggestions:
        entries = [shelf.knowledge.entries[i] for i in result.suggestions]
        await message.answer(
            _("I'm not sure I understood. Did you mean:"),
            reply_markup=suggestions_keyboard(entries, locale, question_id),
        )
    else:
        await message.answer(dont_know_text(), reply_markup=handoff_keyboard(question_id))


def small_talk_reply(kind: SmallTalk, name: str) -> str:
    replies = {
        SmallTalk.GREETING: _("Hello, {name}! Ask me anything about the programme in your own "
                              "words, or choose from the menu:"),
        SmallTalk.THANKS: _("You are welcome! Ask me anything else, or choose from the menu:"),
        SmallTalk.HOW_ARE_YOU: _("All is well, thank you, and I am ready to help. "
                                 "What would you like to know?"),
        SmallTalk.GOODBYE: _("Goodbye, {name}, and good luck with your project! "
                             "I am here whenever you need me."),
    }  # fmt: skip
    return replies[kind].format(name=name)


def dont_know_text() -> str:
    return _(
        "Sorry, I don't know the answer to that, and I'd rather not guess.\n\n"
        "Shall I pass your question to the programme staff? They will reply here, in this chat."
    )


async def pick(
    query: CallbackQuery,
    callback_data: FaqCB,
    session: AsyncSession,
    person: Person,
    library: Library,
    locale: str,
) -> None:
    shelf = library.shelf
    question = await faq_log.own_question(session, callback_data.q, person.id)
    entry = shelf.knowledge.get(callback_data.key)
    if question is None or entry is None:
        await refuse_stale(query)
        return
    await faq_log.choose(session, question, entry.id)
    await edit_or_send(
        query,
        entry.text(locale).answer,
        answer_keyboard(entry, shelf.knowledge, locale, question.id, home=True),
    )
    await query.answer()


async def none_of_these(
    query: CallbackQuery, callback_data: FaqCB, session: AsyncSession, person: Person
) -> None:
    if await faq_log.own_question(session, callback_data.q, person.id) is None:
        await refuse_stale(query)
        return
    await edit_or_send(query, dont_know_text(), handoff_keyboard(callback_data.q))
    await query.answer()


async def rate(
    query: CallbackQuery, callback_data: FaqCB, session: AsyncSession, person: Person
) -> None:
    helpful = callback_data.action == FaqAction.UP
    question = await faq_log.own_question(session, callback_data.q, person.id)
    if question is None:
        await refuse_stale(query)
        return
    faq_log.rate(question, helpful)
    if (message := own_message(query)) is not None and message.reply_markup is not None:
        with suppress(TelegramBadRequest):  # already edited by a double tap
            await message.edit_reply_markup(reply_markup=without_rating(message.reply_markup))
    if helpful:
        await query.answer(_("Thank you for your feedback!"))
        return
    await query.answer(_("Thank you, we will improve this answer."))
    if query.bot is not None:
        await query.bot.send_message(
            person.id,
            _("Sorry it did not help. Shall I pass your question to the programme staff?"),
            reply_markup=handoff_keyboard(question.id),
        )


async def hand_off(
    query: CallbackQuery,
    callback_data: FaqCB,
    session: AsyncSession,
    person: Person,
    directory: Directory,
    i18n: I18n,
    bot: Bot,
) -> None:
    question = await faq_log.hand_off(session, callback_data.q, person.id)
    if question is None:
        await query.answer(_("Your question has already been passed to the staff."))
        return
    staff_ids = await reachable_staff(session, directory.admin_ids)
    faq_staff.hand_off(session, question, staff_ids)
    if staff_ids:
        text = _(
            "Done: I have passed your question to the programme staff. Their reply will come here."
        )
    else:
        text = _(
            "I could not reach the programme staff just now. Your question is saved: they will "
            "find it among the questions waiting for a reply and answer here, in this chat."
        )
    await edit_or_send(query, text, home_keyboard())
    await query.answer()


async def dismiss(query: CallbackQuery) -> None:
    await edit_or_send(query, _("All right. Ask me anything else at any time."), home_keyboard())
    await query.answer()


def create_router() -> Router:
    """The free-text question handler goes last: it answers whatever nobody else took."""
    router = Router(name=__name__)
    router.callback_query.register(pick, pressed(FaqCB, FaqAction.PICK))
    router.callback_query.register(none_of_these, pressed(FaqCB, FaqAction.NONE))
    router.callback_query.register(rate, pressed(FaqCB, FaqAction.UP, FaqAction.DOWN))
    router.callback_query.register(hand_off, pressed(FaqCB, FaqAction.HANDOFF))
    router.callback_query.register(dismiss, pressed(FaqCB, FaqAction.DISMISS))
    router.message.register(unknown_command, has_text, StateFilter(None), is_command)
    router.message.register(reply_kindly, has_text, StateFilter(None), is_pleasantry)
    router.message.register(ask, has_text, StateFilter(None))
    return router
