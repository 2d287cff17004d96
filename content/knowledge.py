"""The knowledge base: categories and entries in three languages, loaded from YAML."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from content.text import LANGUAGES

KB_DIR = Path(__file__).with_name("kb")
# The bot flows an answer may open with a button: only flows that exist (a button never
# leads to "coming soon").
ACTIONS = (
    "book_desk", "book_coach", "events", "my_bookings", "settings_language", "settings_reminders",
)  # fmt: skip
CATEGORY_ORDER = ("program", "oasis", "coaching", "events", "training", "startup", "bot")


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


__all__ = ["ACTIONS", "KB_DIR", "LANGUAGES", "Category", "Entry", "KnowledgeBase", "Text"]
