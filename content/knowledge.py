"""The knowledge base: categories and entries in three languages, loaded from YAML."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from content.text import LANGUAGES

log = logging.getLogger(__name__)
KB_DIR = Path(__file__).with_name("kb")
# The bot flows an answer may open with a button: only flows that exist (a button never
# leads to "coming soon").
ACTIONS = (
    "book_desk", "book_coach", "events", "my_bookings", "settings_language", "settings_reminders",
)  # fmt: skip
CATEGORY_ORDER = ("program", "oasis", "coaching", "events", "training", "startup", "bot")
# A way of asking an entry learned outside the files: (entry id, language, text).
Phrasing = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Text:
    """An entry in one language."""

    question: str
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    category: str
    texts: Mapping[str, Text]
    actions: tuple[str, ...] = ()
    related: tuple[str, ...] = ()

    def text(self, language: str) -> Text:
        return self.texts.get(language) or self.texts["en"]


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    titles: Mapping[str, str]
    entry_ids: tuple[str, ...]

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles["en"]


@dataclass(frozen=True)
class KnowledgeBase:
    """Immutable once built: a reload builds a new one and swaps it in whole."""

    categories: Mapping[str, Category]
    entries: Mapping[str, Entry]
    source: Path

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def category(self, category_id: str) -> Category | None:
        return self.categories.get(category_id)

    def with_phrasings(self, extra: Iterable[Phrasing]) -> KnowledgeBase:
        """This knowledge base with more ways of asking its entries (this one when they add
        nothing). A phrasing the entry already has, as its question or among its phrasings
        (the curator copied it into the files, say), is not added twice, so it is not counted
        twice by the search; one of an entry that is no longer in the files, or of a language
        the knowledge base does not speak, is skipped with a warning: the files win."""
        added: dict[tuple[str, str], list[str]] = {}
        seen: dict[tuple[str, str], set[str]] = {}
        orphans: Counter[str] = Counter()
        for entry_id, language, text in extra:
            entry = self.entries.get(entry_id)
            if entry is None or language not in entry.texts:
                orphans[f"{entry_id} ({language})"] += 1
                continue
            where = (entry_id, language)
            if where not in seen:
                own = entry.texts[language]
                seen[where] = {phrasing_key(t) for t in (own.question, *own.phrasings)}
            key = phrasing_key(text)
            if key and key not in seen[where]:
                seen[where].add(key)
                added.setdefault(where, []).append(" ".join(text.split()))
        for name, number in sorted(orphans.items()):
            log.warning("%d learned phrasing(s) of %s skipped: no such entry", number, name)
        if not added:
            return self
        entries = dict(self.entries)
        for (entry_id, language), texts in added.items():
            entry = entries[entry_id]
            own = entry.texts[language]
            grown = replace(own, phrasings=(*own.phrasings, *texts))
            entries[entry_id] = replace(entry, texts={**entry.texts, language: grown})
        return KnowledgeBase(self.categories, MappingProxyType(entries), self.source)


def phrasing_key(text: str) -> str:
    """What makes two ways of asking the same one: case and spacing aside."""
    return " ".join(text.casefold().split())


def build(categories: list[Category], entries: list[Entry], source: Path) -> KnowledgeBase:
    """Assemble a knowledge base from validated parts, categories in their display order."""

    def rank(category: Category) -> tuple[int, str]:
        known = category.id in CATEGORY_ORDER
        return (CATEGORY_ORDER.index(category.id) if known else len(CATEGORY_ORDER), category.id)

    ordered = sorted(categories, key=rank)
    return KnowledgeBase(
        categories=MappingProxyType({c.id: c for c in ordered}),
        entries=MappingProxyType({e.id: e for e in entries}),
        source=source,
    )


def text_of(raw: Mapping[str, object]) -> Text:
    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key) or ()
        return tuple(str(item).strip() for item in value)  # type: ignore[union-attr]

    return Text(
        question=str(raw["question"]).strip(),
        phrasings=strings("phrasings"),
        keywords=strings("keywords"),
        answer=str(raw["answer"]).strip(),
    )


__all__ = [
    "ACTIONS", "KB_DIR", "LANGUAGES", "Category", "Entry", "KnowledgeBase", "Phrasing", "Text",
]  # fmt: skip
