"""The knowledge base quotes the bot's buttons exactly as they are labelled: rename a button
and the answers that name it fail here until they are brought along."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from content.library import Shelf

QUOTES = {"en": r"“([^”]+)”", "ru": r"«([^»]+)»", "fi": r"”([^”]+)”"}
# Quoted words that are not buttons: names of public services and programmes, examples of what
# people say, and turns of phrase.
NOT_BUTTONS = {
    "en": {"Is my idea good?", "Is my price too low for B2B clients?"},
    "ru": {
        "Мой налог", "Мой бизнес", "Старт", "Студенческий стартап", "УМНИК", "доходы",
        "доходы минус расходы", "за себя", "зарабатывается", "обо всём", "секретном рецепте",
        "юрадресами в аренду", "Хорошая ли у меня идея?", "выбрать первый сегмент клиентов",
        "Не слишком ли низкая у меня цена для B2B-клиентов?", "выстроить структуру питча",
    },
    "fi": {
        "Onko ideani hyvä?", "Onko hintani liian alhainen yritysasiakkaille?",
        "ensimmäinen asiakassegmentti valittu", "pitchin rakenne kunnossa",
    },
}  # fmt: skip


def label_patterns(language: str) -> list[re.Pattern[str]]:
    """Every UI text as a pattern: a {placeholder} stands for anything, a leading emoji may be
    left out, and a label may be quoted up to its colon ("Earliest free day")."""
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    patterns = []
    for message in catalog:
        if not message.id:
            continue
        texts = message.id if language == "en" else message.string
        for text in texts if isinstance(texts, tuple) else (texts,):
            if not text or "\n" in text:
                continue
            bare = re.sub(r"^[^\w«“”]+\s", "", text)  # "📅 Add to calendar" → "Add to calendar"
            for label in {text, bare, text.split(":")[0], bare.split(":")[0]}:
                if label.startswith("{") or len(re.sub(r"\{[a-z_]+\}|\W", "", label)) < 4:
                    continue  # "{period} {times}" would match anything at all
                body = re.sub(r"\\\{[a-z_]+\\\}", ".+", re.escape(label))
                patterns.append(re.compile(body))
    return patterns


@pytest.mark.parametrize("language", ["en", "ru", "fi"])
def test_every_quoted_button_is_named_as_the_button_says(shelf: Shelf, language: str) -> None:
    knowledge = shelf.knowledge
    titles = {entry.text(language).question for entry in knowledge}
    titles |= {category.title(language) for category in knowledge.categories.values()}
    patterns = label_patterns(language)
    stale = []
    for entry in knowledge:
        for quoted in re.findall(QUOTES[language], entry.text(language).answer):
            if quoted in titles or quoted in NOT_BUTTONS[language]:
                continue
            if not any(pattern.fullmatch(quoted) for pattern in patterns):
                stale.append(f"{entry.id}: {quoted}")
    assert not stale, "quoted, but no button says so: " + "; ".join(stale)
