"""The knowledge base in service: loaded and indexed once, swapped whole on reload, and with
the phrasings the staff taught it merged in."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

from content.knowledge import KB_DIR, KnowledgeBase, Phrasing
from content.loader import load
from content.search import SearchIndex, Thresholds


@dataclass(frozen=True)
class Shelf:
    """A knowledge base and its index: what one answer is computed from."""

    knowledge: KnowledgeBase
    index: SearchIndex


def open_shelf(directory: Path = KB_DIR, thresholds: Thresholds | None = None) -> Shelf:
    """Load and index; raises ContentError with every problem of a broken knowledge base."""
    knowledge = load(directory)
    return Shelf(knowledge, SearchIndex(knowledge, thresholds))


class Library:
    """Hands out the current shelf; `reload` and `learn` build a new one aside and swap it in
    whole, so a question is always answered from one consistent knowledge base.

    What the files say (`loaded`) is kept apart from what the staff taught in the chat
    (`learned`, kept in the database): a reload reads the files again and merges the learned
    phrasings in once more, a lesson merges them into the same files' entries. The caller says
    which state of the database the phrasings are (`learned_version`), so an instance can tell
    cheaply whether another one has taught it something since."""

    def __init__(self, shelf: Shelf, directory: Path = KB_DIR) -> None:
        self.shelf = shelf
        self.directory = directory
        self.loaded = shelf.knowledge
        self.learned: tuple[Phrasing, ...] = ()
        self.learned_version: Hashable | None = None

    @classmethod
    def open(cls, directory: Path = KB_DIR) -> Library:
        return cls(open_shelf(directory), directory)

    async def reload(
        self, learned: Iterable[Phrasing] | None = None, version: Hashable | None = None
    ) -> Shelf:
        """The new shelf from the files, with `learned` (by default the phrasings learned so
        far) merged in; on ContentError the old one keeps serving."""
        phrasings = self.learned if learned is None else tuple(learned)
        thresholds = self.shelf.index.thresholds

        def build() -> tuple[KnowledgeBase, Shelf]:
            loaded = load(self.directory)
            knowledge = loaded.with_phrasings(phrasings)
            return loaded, Shelf(knowledge, SearchIndex(knowledge, thresholds))

        loaded, shelf = await asyncio.to_thread(build)
        self.loaded, self.shelf, self.learned = loaded, shelf, phrasings
        if learned is not None:
            self.learned_version = version
        return shelf

    async def learn(self, learned: Iterable[Phrasing], version: Hashable | None = None) -> Shelf:
        """The files' entries with every phrasing of `learned` (all of them, not only the new
        ones); the index is rebuilt only when they change what it knows."""
        phrasings = tuple(learned)
        knowledge = self.loaded.with_phrasings(phrasings)
        if dict(knowledge.entries) != dict(self.shelf.knowledge.entries):
            thresholds = self.shelf.index.thresholds
            index = await asyncio.to_thread(SearchIndex, knowledge, thresholds)
            self.shelf = Shelf(knowledge, index)
        self.learned, self.learned_version = phrasings, version
        return self.shelf
