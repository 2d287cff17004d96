"""Keyboards of the FAQ: answers, "did you mean", the hand-off offer and the topic list."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from content.curation import TITLE_SHOWN
from content.knowledge import Entry, KnowledgeBase
from handlers.faq.callbacks import FaqAction, FaqCB
from handlers.ui.callbacks import MenuAction, MenuCB
from handlers.ui.keyboards import home_button

PAGE_SIZE = 8
ACTION_MENU = {
    "book_desk": MenuAction.DESK,
    "book_coach": MenuAction.COACH,
    "events": MenuAction.EVENTS,
    "my_bookings": MenuAction.BOOKINGS,
    "settings_language": MenuAction.SETTINGS_LANGUAGE,
    "settings_reminders": MenuAction.SETTINGS_REMINDERS,
}


def _short(title: str) -> str:
    """A question title as a button shows it (`content check` warns about longer ones)."""
    return title if len(title) <= TITLE_SHOWN else title[: TITLE_SHOWN - 1].rstrip() + "…"


def _action_label(action: str) -> str:
    labels = {
        "book_desk": _("Book a desk"),
        "book_coach": _("Book a coach"),
        "events": _("Events"),
        "my_bookings": _("My bookings"),
        "settings_language": _("Change language"),
        "settings_reminders": _("🔔 Reminders"),
    }
    return labels[action]


def answer_keyboard(
    entry: Entry,
    knowledge: KnowledgeBase,
    language: str,
    question_id: int,
    *,
    back: bool = False,
    home: bool = False,
) -> InlineKeyboardMarkup:
    """Actions, related questions, 👍/👎, and « Back to the topic when browsing or « Main menu
    under the answer to a typed question."""
    builder = InlineKeyboardBuilder()
    sizes = []
    for action in entry.actions:
        builder.button(text=_action_label(action), callback_data=MenuCB(action=ACTION_MENU[action]))
    if entry.actions:
        sizes.append(len(entry.actions))
    for related_id in entry.related:
        related = knowledge.get(related_id)
        if related is not None:
            builder.button(
                text="❔ " + _short(related.text(language).question),
                callback_data=FaqCB(action=FaqAction.OPEN, q=question_id, key=related_id),
            )
            sizes.append(1)
    builder.button(text=_("👍 Helpful"), callback_data=FaqCB(action=FaqAction.UP, q=question_id))
    builder.button(
        text=_("👎 Not helpful"), callback_data=FaqCB(action=FaqAction.DOWN, q=question_id)
    )
    sizes.append(2)
    if home:
        builder.add(home_button())
        sizes.append(1)
    if back:
        builder.button(
            text=_("« Back"), callback_data=FaqCB(action=FaqAction.TOPIC, key=entry.category)
        )
        sizes.append(1)
    return builder.adjust(*sizes).as_markup()


def without_rating(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """An answer's keyboard once rated: the same buttons (Back, Main menu…) less 👍/👎."""
    rows = [
        kept
        for row in markup.inline_keyboard
        if (kept := [button for button in row if not is_rating(button.callback_data)])
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def is_rating(data: str | None) -> bool:
    if not data or not data.startswith(FaqCB.__prefix__ + FaqCB.__separator__):
        return False
    try:
        return FaqCB.unpack(data).action in {FaqAction.UP, FaqAction.DOWN}
    except (TypeError, ValueError):
        return False


def suggestions_keyboard(
    entries: list[Entry], language: str, question_id: int
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry in entries:
        builder.button(
            text=_short(entry.text(language).question),
            callback_data=FaqCB(action=FaqAction.PICK, q=question_id, key=entry.id),
        )
    builder.button(
        text=_("None of these"), callback_data=FaqCB(action=FaqAction.NONE, q=question_id)
    )
    builder.add(home_button())
    return builder.adjust(1).as_markup()


def handoff_keyboard(question_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, ask the staff"), callback_data=FaqCB(action=FaqAction.HANDOFF, q=question_id)
    )
    builder.button(
        text=_("No, thanks"), callback_data=FaqCB(action=FaqAction.DISMISS, q=question_id)
    )
    builder.add(home_button())
    return builder.adjust(2, 1).as_markup()


def topics_keyboard(knowledge: KnowledgeBase, language: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for category in knowledge.categories.values():
        builder.button(
            text=category.title(language),
            callback_data=FaqCB(action=FaqAction.TOPIC, key=category.id),
        )
    builder.add(home_button())
    return builder.adjust(2).as_markup()


def topic_keyboard(
    knowledge: KnowledgeBase, category_id: str, page: int, language: str
) -> InlineKeyboardMarkup:
    category = knowledge.categories[category_id]
    ids = category.entry_ids
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for entry_id in ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        builder.button(
            text=_short(knowledge.entries[entry_id].text(language).question),
            callback_data=FaqCB(action=FaqAction.OPEN, key=entry_id),
        )
    sizes = [1] * len(ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE])
    turns = 0
    if page > 0:
        builder.button(
            text=_("‹ Previous"),
            callback_data=FaqCB(action=FaqAction.TOPIC, key=category_id, page=page - 1),
        )
        turns += 1
    if page < pages - 1:
        builder.button(
            text=_("Next ›"),
            callback_data=FaqCB(action=FaqAction.TOPIC, key=category_id, page=page + 1),
        )
        turns += 1
    if turns:
        sizes.append(turns)
    builder.button(text=_("« Topics"), callback_data=FaqCB(action=FaqAction.TOPICS))
    sizes.append(1)
    return builder.adjust(*sizes).as_markup()


def reply_keyboard(question_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✍️ Reply"), callback_data=FaqCB(action=FaqAction.REPLY, q=question_id))
    return builder.as_markup()


def follow_up_keyboard(question_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✍️ Send a follow-up"),
        callback_data=FaqCB(action=FaqAction.FOLLOW_UP, q=question_id),
    )
    return builder.as_markup()
