"""/unanswered: the staff teach the FAQ what it missed. A group of similar questions the bot
did not answer (or answered unhelpfully) is attached to an entry (its most frequent wording
becomes a phrasing of the entry, in the question's language) or ignored; a "did you mean"
pick is approved (its words become a phrasing of the entry the asker chose) or ignored.
Either way the questions leave the list, and the action is in the audit log.

A lesson is live at once on this instance (the index is rebuilt from the database's learned
phrasings once they are committed) and within a minute on the others (scheduler/faq.py).
Buttons are untrusted: every press finds its group or pick again in the queue as it is now,
and its entry in the knowledge base as it is now."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy.ext.asyncio import AsyncSession

from content.learned import attachable
from content.library import Library
from handlers.desks.texts import locale
from handlers.faq import lessons
from handlers.faq.callbacks import TeachAction, TeachCB
from handlers.ui.filters import pressed, staff_router
from handlers.ui.screens import edit_or_send, refuse_stale
from storage import audit, teaching
from storage.base import WallClock
from storage.teaching import Missed
from storage.users import Person

REVIEW_DAYS = 30  # how far back /unanswered looks


def _since(wall_clock: WallClock) -> datetime:
    return wall_clock() - timedelta(days=REVIEW_DAYS)


async def relearn(session: AsyncSession, library: Library) -> None:
    """Rebuild this instance's index with the learned phrasings as committed."""
    phrasings, version = await teaching.learned(session)
    await library.learn(phrasings, version)


async def show_unanswered(
    message: Message, session: AsyncSession, library: Library, wall_clock: WallClock
) -> None:
    since = _since(wall_clock)
    text, markup = lessons.groups_screen(await teaching.missed(session, since), 0, REVIEW_DAYS)
    await message.answer(text, reply_markup=markup)
    found, total = await teaching.picks(session, since, lessons.PICKS_PER_PAGE)
    if total:
        knowledge = library.shelf.knowledge
        text, markup = lessons.picks_screen(found, total, 0, knowledge, REVIEW_DAYS)
        await message.answer(text, reply_markup=markup)


async def _list(query: CallbackQuery, session: AsyncSession, since: datetime, page: int) -> None:
    groups = await teaching.missed(session, since)
    await edit_or_send(query, *lessons.groups_screen(groups, page, REVIEW_DAYS))


async def turn_page(
    query: CallbackQuery, callback_data: TeachCB, session: AsyncSession, wall_clock: WallClock
) -> None:
    groups = await teaching.missed(session, _since(wall_clock))
    if callback_data.page >= lessons.pages(len(groups), lessons.GROUPS_PER_PAGE):
        await refuse_stale(query)
        return
    await edit_or_send(query, *lessons.groups_screen(groups, callback_data.page, REVIEW_DAYS))
    await query.answer()


async def _group(
    query: CallbackQuery, callback_data: TeachCB, session: AsyncSession, since: datetime
) -> Missed | None:
    """The group of the pressed button as it is now; None (and the presser told) when its
    questions have left the list or never were in it."""
    group = teaching.group_of(await teaching.missed(session, since), callback_data.q)
    if group is None:
        await gone(query)
    return group


async def _learn(
    session: AsyncSession,
    person: Person,
    entry_id: str,
    phrasing: tuple[str, str],
    question_id: int,
    reviewed: int,
) -> None:
    """Keep (language, text) as a phrasing of the entry, taught by `person` from the question
    `question_id` (with `reviewed` questions taken out of the list), in the audit log too."""
    language, text = phrasing
    await teaching.learn(session, entry_id, language, text, by=person.id, source=question_id)
    audit.record(
        session,
        person.id,
        audit.Action.FAQ_LEARNED,
        target=f"{entry_id} ({language})",
        details={"question": question_id, "questions": reviewed},
    )


async def gone(query: CallbackQuery) -> None:
    await query.answer(
        _("These questions are no longer in the list: someone has dealt with them already."),
        show_alert=True,
    )


async def entry_gone(query: CallbackQuery) -> None:
    await query.answer(
        _("This entry is no longer in the knowledge base. Please choose another one."),
        show_alert=True,
    )


async def open_group(
    query: CallbackQuery, callback_data: TeachCB, session: AsyncSession, wall_clock: WallClock
) -> None:
    if (group := await _group(query, callback_data, session, _since(wall_clock))) is None:
        return
    await edit_or_send(query, *lessons.group_screen(group, callback_data.page))
    await query.answer()


async def choose_topic(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    library: Library,
    wall_clock: WallClock,
) -> None:
    if (group := await _group(query, callback_data, session, _since(wall_clock))) is None:
        return
    if not attachable(lessons.phrasing_of(group.text, group.language)[0]):
        await query.answer(lessons.too_long(), show_alert=True)
        return
    knowledge = library.shelf.knowledge
    await edit_or_send(query, *lessons.topics_screen(group, knowledge, callback_data.page))
    await query.answer()


async def choose_entry(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    library: Library,
    wall_clock: WallClock,
) -> None:
    knowledge = library.shelf.knowledge
    if knowledge.category(callback_data.key) is None:
        await refuse_stale(query)
        return
    if (group := await _group(query, callback_data, session, _since(wall_clock))) is None:
        return
    screen = lessons.entries_screen(group, knowledge, callback_data.key, callback_data.page)
    await edit_or_send(query, *screen)
    await query.answer()


async def confirm_entry(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    library: Library,
    wall_clock: WallClock,
) -> None:
    entry = library.shelf.knowledge.get(callback_data.key)
    if entry is None:
        await entry_gone(query)
        return
    if (group := await _group(query, callback_data, session, _since(wall_clock))) is None:
        return
    await edit_or_send(query, *lessons.confirm_screen(group, entry, callback_data.page))
    await query.answer()


async def attach(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    person: Person,
    library: Library,
    wall_clock: WallClock,
) -> None:
    since = _since(wall_clock)
    entry = library.shelf.knowledge.get(callback_data.key)
    if entry is None:
        await entry_gone(query)
        return
    if (group := await _group(query, callback_data, session, since)) is None:
        return
    text, language = lessons.phrasing_of(group.text, group.language)
    if not attachable(text):
        await query.answer(lessons.too_long(), show_alert=True)
        return
    reviewed = await teaching.review(session, group.question_ids, wall_clock())
    if not reviewed:
        await gone(query)
        return
    await _learn(session, person, entry.id, (language, text), group.question_id, reviewed)
    await query.answer(  # (the answer commits: the lesson is kept before anyone is told)
        _("✅ Attached: the bot now answers this question with “{entry}”.").format(
            entry=entry.text(locale()).question
        )
    )
    await relearn(session, library)
    await _list(query, session, since, callback_data.page)


async def ignore(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    person: Person,
    wall_clock: WallClock,
) -> None:
    since = _since(wall_clock)
    if (group := await _group(query, callback_data, session, since)) is None:
        return
    reviewed = await teaching.review(session, group.question_ids, wall_clock())
    if not reviewed:
        await gone(query)
        return
    audit.record(
        session,
        person.id,
        audit.Action.FAQ_IGNORED,
        target=f"question {group.question_id}",
        details={"questions": reviewed},
    )
    await query.answer(
        ngettext(
            "Ignored: {count} question left the list.",
            "Ignored: {count} questions left the list.",
            reviewed,
        ).format(count=lessons.number(reviewed))
    )
    await _list(query, session, since, callback_data.page)


async def _picks(
    query: CallbackQuery, session: AsyncSession, library: Library, since: datetime, page: int
) -> None:
    size = lessons.PICKS_PER_PAGE
    found, total = await teaching.picks(session, since, size, page * size)
    if not found and page > 0:  # the last one of the last page went
        page = lessons.pages(total, size) - 1
        found, total = await teaching.picks(session, since, size, page * size)
    screen = lessons.picks_screen(found, total, page, library.shelf.knowledge, REVIEW_DAYS)
    await edit_or_send(query, *screen)


async def turn_picks(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    library: Library,
    wall_clock: WallClock,
) -> None:
    since = _since(wall_clock)
    _found, total = await teaching.picks(session, since, 0)
    if callback_data.page >= lessons.pages(total, lessons.PICKS_PER_PAGE):
        await refuse_stale(query)
        return
    await _picks(query, session, library, since, callback_data.page)
    await query.answer()


async def approve(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    person: Person,
    library: Library,
    wall_clock: WallClock,
) -> None:
    since = _since(wall_clock)
    pick = await teaching.pick(session, callback_data.q, since)
    if pick is None:
        await gone(query)
        return
    entry = library.shelf.knowledge.get(pick.entry_id)
    if entry is None:
        await query.answer(
            _("The entry {id} is no longer in the knowledge base: this pick can only be ignored.")
            .format(id=pick.entry_id),
            show_alert=True,
        )  # fmt: skip
        return
    text, language = lessons.phrasing_of(pick.text, pick.language)
    if not attachable(text):
        await query.answer(lessons.too_long(), show_alert=True)
        return
    reviewed = await teaching.review_pick(session, pick, since, wall_clock())
    if not reviewed:
        await gone(query)
        return
    await _learn(session, person, entry.id, (language, text), pick.question_id, reviewed)
    await query.answer(
        _("✅ Approved: “{question}” is now a phrasing of “{entry}”.").format(
            question=lessons.short(text), entry=entry.text(locale()).question
        )
    )
    await relearn(session, library)
    await _picks(query, session, library, since, callback_data.page)


async def drop(
    query: CallbackQuery,
    callback_data: TeachCB,
    session: AsyncSession,
    person: Person,
    library: Library,
    wall_clock: WallClock,
) -> None:
    since = _since(wall_clock)
    pick = await teaching.pick(session, callback_data.q, since)
    if pick is None or not await teaching.review(session, (pick.question_id,), wall_clock()):
        await gone(query)
        return
    audit.record(
        session,
        person.id,
        audit.Action.FAQ_IGNORED,
        target=f"question {pick.question_id}",
        details={"questions": 1},
    )
    await query.answer(_("Ignored: the pick left the list."))
    await _picks(query, session, library, since, callback_data.page)


def create_router() -> Router:
    router = staff_router(__name__)
    router.message.register(show_unanswered, Command("unanswered"))
    handlers = {
        TeachAction.PAGE: turn_page,
        TeachAction.GROUP: open_group,
        TeachAction.ATTACH: choose_topic,
        TeachAction.TOPIC: choose_entry,
        TeachAction.ENTRY: confirm_entry,
        TeachAction.CONFIRM: attach,
        TeachAction.IGNORE: ignore,
        TeachAction.PICKS: turn_picks,
        TeachAction.APPROVE: approve,
        TeachAction.DROP: drop,
    }
    for action, handler in handlers.items():
        router.callback_query.register(handler, pressed(TeachCB, action))
    return router
