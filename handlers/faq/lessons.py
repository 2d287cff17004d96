"""The screens of /unanswered, in the admin's language: the groups of missed questions, one
group, the topic and the entry to attach it to, the confirmation, and the "did you mean"
picks. Every question shown is the asker's text, escaped."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.numbers import format_decimal

from content.curation import TITLE_SHOWN
from content.knowledge import Entry, KnowledgeBase
from content.learned import MAX_PHRASING, attachable, clean_phrasing, phrasing_language
from handlers.desks.texts import format_locale, html, locale
from handlers.faq.callbacks import TeachAction, TeachCB
from handlers.faq.staff import language_name
from storage.teaching import Missed, Pick

GROUPS_PER_PAGE = 8
PICKS_PER_PAGE = 8
QUOTED = 100  # how much of a long question a list shows
WORDINGS_SHOWN = 5  # the other wordings of a group on its screen
MAX_KEY = 40  # the longest entry id a button can carry (callback data holds 64 bytes)

Screen = tuple[str, InlineKeyboardMarkup | None]


def pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


def number(value: int) -> str:
    return format_decimal(value, locale=format_locale())


def quote(text: str, limit: int = QUOTED) -> str:
    text = " ".join(text.split())
    return html(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


def short(text: str, limit: int = TITLE_SHOWN) -> str:
    """A label as a button shows it (buttons are plain text: no escaping)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def period(days: int) -> str:
    return ngettext("the last {count} day", "the last {count} days", days).format(
        count=number(days)
    )


def phrasing_of(group_text: str, asked_in: str) -> tuple[str, str]:
    """What a question becomes as a phrasing, and its language."""
    text = clean_phrasing(group_text)
    return text, phrasing_language(text, asked_in)


def _nav(builder: InlineKeyboardBuilder, action: TeachAction, page: int, total: int) -> int:
    turns = 0
    if page > 0:
        builder.button(text=_("‹ Previous"), callback_data=TeachCB(action=action, page=page - 1))
        turns += 1
    if page < total - 1:
        builder.button(text=_("Next ›"), callback_data=TeachCB(action=action, page=page + 1))
        turns += 1
    return turns


def groups_screen(groups: list[Missed], page: int, days: int) -> Screen:
    if not groups:
        return _("No unanswered questions in {period}.").format(period=period(days)), None
    total = pages(len(groups), GROUPS_PER_PAGE)
    page = min(page, total - 1)
    first = page * GROUPS_PER_PAGE
    shown = groups[first : first + GROUPS_PER_PAGE]
    lines = [
        _("❓ <b>Unanswered questions</b>, {period}").format(period=period(days)),
        ngettext(
            "{count} group of similar questions, the most frequent first:",
            "{count} groups of similar questions, the most frequent first:",
            len(groups),
        ).format(count=number(len(groups))),
    ]
    if total > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=total))
    lines.append("")
    builder = InlineKeyboardBuilder()
    for rank, group in enumerate(shown, start=first + 1):
        lines.append(f"{rank}. {quote(group.text)} — {number(group.count)}×")
        builder.button(
            text=short(f"{rank}. {group.text}"),
            callback_data=TeachCB(action=TeachAction.GROUP, q=group.question_id, page=page),
        )
    lines += ["", _("Choose a question to attach it to an entry of the knowledge base or to "
                    "ignore it.")]  # fmt: skip
    turns = _nav(builder, TeachAction.PAGE, page, total)
    return "\n".join(lines), builder.adjust(*[1] * len(shown), turns or 1).as_markup()


def group_screen(group: Missed, page: int) -> Screen:
    text, language = phrasing_of(group.text, group.language)
    lines = [
        f"❓ <b>{quote(group.text, 1000)}</b>",
        ngettext("Asked {count} time", "Asked {count} times", group.count).format(
            count=number(group.count)
        )
        + " · "
        + _("language of the phrasing: {language}").format(language=language_name(language)),
    ]
    if group.wordings:
        lines += ["", _("Also asked as:")]
        lines += [f"• {quote(wording)}" for wording in group.wordings[:WORDINGS_SHOWN]]
    builder = InlineKeyboardBuilder()
    if attachable(text):
        builder.button(
            text=_("📎 Attach to an entry"),
            callback_data=TeachCB(action=TeachAction.ATTACH, q=group.question_id, page=page),
        )
    else:
        lines += ["", too_long()]
    builder.button(
        text=_("✖ Ignore"),
        callback_data=TeachCB(action=TeachAction.IGNORE, q=group.question_id, page=page),
    )
    builder.button(text=_("« Back"), callback_data=TeachCB(action=TeachAction.PAGE, page=page))
    return "\n".join(lines), builder.adjust(1).as_markup()


def too_long() -> str:
    return _(
        "This question is longer than {limit} characters, so it cannot become a phrasing. "
        "Ignore it, or add a shorter phrasing to the knowledge base files."
    ).format(limit=MAX_PHRASING)


def topics_screen(group: Missed, knowledge: KnowledgeBase, page: int) -> Screen:
    builder = InlineKeyboardBuilder()
    for category in knowledge.categories.values():
        builder.button(
            text=category.title(locale()),
            callback_data=TeachCB(
                action=TeachAction.TOPIC, q=group.question_id, key=category.id, page=page
            ),
        )
    builder.button(
        text=_("« Back"),
        callback_data=TeachCB(action=TeachAction.GROUP, q=group.question_id, page=page),
    )
    text = _("Attach “{question}” to an entry of the knowledge base. Choose the topic:")
    sizes = [2] * (len(knowledge.categories) // 2) + [1] * (len(knowledge.categories) % 2)
    return text.format(question=quote(group.text)), builder.adjust(*sizes, 1).as_markup()


def entries_screen(group: Missed, knowledge: KnowledgeBase, category_id: str, page: int) -> Screen:
    category = knowledge.categories[category_id]
    builder = InlineKeyboardBuilder()
    for entry_id in category.entry_ids:
        entry = knowledge.get(entry_id)
        if entry is None or len(entry_id) > MAX_KEY:
            continue
        builder.button(
            text=short(entry.text(locale()).question),
            callback_data=TeachCB(
                action=TeachAction.ENTRY, q=group.question_id, key=entry_id, page=page
            ),
        )
    builder.button(
        text=_("« Topics"),
        callback_data=TeachCB(action=TeachAction.ATTACH, q=group.question_id, page=page),
    )
    text = _("Attach “{question}” to an entry of “{topic}”:").format(
        question=quote(group.text), topic=html(category.title(locale()))
    )
    return text, builder.adjust(1).as_markup()


def confirm_screen(group: Missed, entry: Entry, page: int) -> Screen:
    text, language = phrasing_of(group.text, group.language)
    question = ngettext(
        "Add “{question}” to “{entry}” as a phrasing in {language}? The bot answers it with "
        "this entry from now on, and this group ({count} question) leaves the list.",
        "Add “{question}” to “{entry}” as a phrasing in {language}? The bot answers it with "
        "this entry from now on, and this group ({count} questions) leaves the list.",
        group.count,
    ).format(
        question=quote(text, MAX_PHRASING),
        entry=html(entry.text(locale()).question),
        language=language_name(language),
        count=number(group.count),
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ Attach"),
        callback_data=TeachCB(
            action=TeachAction.CONFIRM, q=group.question_id, key=entry.id, page=page
        ),
    )
    builder.button(
        text=_("« Back"),
        callback_data=TeachCB(
            action=TeachAction.TOPIC, q=group.question_id, key=entry.category, page=page
        ),
    )
    return question, builder.adjust(1).as_markup()


def picks_screen(
    found: list[Pick], total: int, page: int, knowledge: KnowledgeBase, days: int
) -> Screen:
    if not found:
        return _("No picks from suggestions left to review."), None
    count = pages(total, PICKS_PER_PAGE)
    lines = [
        _("👆 <b>Picked from suggestions</b>, {period}").format(period=period(days)),
        ngettext(
            "{count} question whose asker chose an entry from “Did you mean”. Approve makes "
            "the question a phrasing of the entry chosen:",
            "{count} questions whose askers chose an entry from “Did you mean”. Approve makes "
            "the question a phrasing of the entry chosen:",
            total,
        ).format(count=number(total)),
    ]
    if count > 1:
        lines.append(_("Page {page} of {pages}").format(page=page + 1, pages=count))
    lines.append("")
    builder = InlineKeyboardBuilder()
    first = page * PICKS_PER_PAGE
    for rank, pick in enumerate(found, start=first + 1):
        entry = knowledge.get(pick.entry_id)
        if entry is None:
            chosen = _("(the entry {id} is no longer in the knowledge base)").format(
                id=html(pick.entry_id)
            )
        else:
            chosen = html(entry.text(locale()).question)
        line = f"{rank}. {quote(pick.text)} → {chosen}"
        if not attachable(clean_phrasing(pick.text)):
            line += " " + _("(too long to become a phrasing)")
        lines.append(line)
        builder.button(
            text=_("✅ Approve {number}").format(number=rank),
            callback_data=TeachCB(action=TeachAction.APPROVE, q=pick.question_id, page=page),
        )
        builder.button(
            text=_("✖ Ignore {number}").format(number=rank),
            callback_data=TeachCB(action=TeachAction.DROP, q=pick.question_id, page=page),
        )
    turns = _nav(builder, TeachAction.PICKS, page, count)
    sizes = [2] * len(found) + ([turns] if turns else [])
    return "\n".join(lines), builder.adjust(*sizes).as_markup()
