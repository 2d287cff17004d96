"""Browsing the knowledge base: topics → questions (paginated) → answer, with Back."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from content.library import Library
from handlers.faq.callbacks import FaqAction, FaqCB
from handlers.faq.keyboards import answer_keyboard, topic_keyboard, topics_keyboard
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.filters import pressed
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import faq_log
from storage.faq_log import Outcome
from storage.users import Person


async def topics(query: CallbackQuery, library: Library, locale: str) -> None:
    await edit_or_send(
        query,
        _("Type your question in your own words, or choose a topic:"),
        topics_keyboard(library.shelf.knowledge, locale),
    )
    await query.answer()


async def topic(query: CallbackQuery, callback_data: FaqCB, library: Library, locale: str) -> None:
    knowledge = library.shelf.knowledge
    category = knowledge.category(callback_data.key)
    if category is None:
        await refuse_stale(query)
        return
    await edit_or_send(
        query,
        f"<b>{category.title(locale)}</b>",
        topic_keyboard(knowledge, category.id, callback_data.page, locale),
    )
    await query.answer()


async def open_entry(
    query: CallbackQuery,
    callback_data: FaqCB,
    session: AsyncSession,
    person: Person,
    library: Library,
    locale: str,
) -> None:
    """A question from the topic list (edits the list) or a related one (a new message)."""
    knowledge = library.shelf.knowledge
    entry = knowledge.get(callback_data.key)
    if entry is None:
        await refuse_stale(query)
        return
    text = entry.text(locale)
    question_id = await faq_log.log_question(
        session, person.id, locale, text.question, outcome=Outcome.BROWSED, entry_id=entry.id
    )
    from_topic = callback_data.q == 0
    markup = answer_keyboard(entry, knowledge, locale, question_id, back=from_topic)
    if from_topic:
        await edit_or_send(query, text.answer, markup)
    elif query.bot is not None:
        await query.bot.send_message(person.id, text.answer, reply_markup=markup)
    await query.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(topics, pressed(MenuCB, MenuAction.ASK))
    router.callback_query.register(topics, pressed(FaqCB, FaqAction.TOPICS))
    router.callback_query.register(topic, pressed(FaqCB, FaqAction.TOPIC))
    router.callback_query.register(open_entry, pressed(FaqCB, FaqAction.OPEN))
    return router
