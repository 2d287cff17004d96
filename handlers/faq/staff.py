"""Staff tools: replying to handed-off questions, reloading the knowledge base."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from content.library import Library
from content.loader import ContentError
from handlers.faq.callbacks import FaqAction, FaqCB
from handlers.ui.filters import has_text
from handlers.ui.screens import refuse_stale
from storage import faq_log
from storage.users import Person, get_person, mark_blocked

log = logging.getLogger(__name__)
MAX_LISTED_PROBLEMS = 15


class StaffReply(StatesGroup):
    writing = State()


async def start_reply(
    query: CallbackQuery,
    callback_data: FaqCB,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
) -> None:
    question = await faq_log.handed_off(session, callback_data.q)
    if not person.is_admin or question is None:
        await refuse_stale(query)
        return
    await state.set_state(StaffReply.writing)
    await state.update_data(question_id=question.id)
    await query.answer()
    if query.bot is not None:
        await query.bot.send_message(
            person.id,
            _("Write your reply to this question, or send /cancel:\n\n<i>{question}</i>").format(
                question=escape(question.text)
            ),
        )


async def send_reply(
    message: Message,
    session: AsyncSession,
    person: Person,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
) -> None:
    data = await state.get_data()
    question = await faq_log.handed_off(session, int(data.get("question_id", 0)))
    await state.clear()
    if not person.is_admin or question is None:
        await message.answer(_("That question is no longer waiting for a reply."))
        return
    asker = await get_person(session, question.user_id)
    with i18n.use_locale((asker and asker.locale) or question.language):
        text = _(
            "💬 The programme staff answered your question\n<i>{question}</i>\n\n{reply}"
        ).format(question=escape(question.text), reply=escape(message.text or ""))
    try:
        await bot.send_message(question.user_id, text)
    except TelegramForbiddenError:
        await mark_blocked(session, question.user_id)
        await message.answer(_("The reply could not be delivered: the person has blocked the bot."))
        return
    await faq_log.mark_replied(session, question)
    await message.answer(_("Your reply has been delivered."))


async def reply_not_text(message: Message) -> None:
    await message.answer(_("Please send the reply as a text message, or /cancel."))


async def reload_content(message: Message, person: Person, library: Library) -> None:
    if not person.is_admin:
        await message.answer(_("This command is for the programme staff."))
        return
    try:
        shelf = await library.reload()
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
    await message.answer(
        _("Knowledge base reloaded: {entries} entries in {categories} topics.").format(
            entries=len(shelf.knowledge), categories=len(shelf.knowledge.categories)
        )
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(start_reply, FaqCB.filter(F.action == FaqAction.REPLY))
    router.message.register(reload_content, Command("reload_content"))
    router.message.register(send_reply, StaffReply.writing, has_text)
    router.message.register(reply_not_text, StaffReply.writing)
    return router
