"""The knowledge base in service: loaded and indexed once, swapped whole on reload."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from content.knowledge import KB_DIR, KnowledgeBase
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
    """Hands out the current shelf; `reload` builds a new one aside and swaps it in whole,
    so a question is always answered from one consistent knowledge base."""

    def __init__(self, shelf: Shelf, directory: Path = KB_DIR) -> None:
        self.shelf = shelf
        self.directory = directory

    @classmethod
    def open(cls, directory: Path = KB_DIR) -> Library:
        return cls(open_shelf(directory), directory)

    async def reload(self) -> Shelf:
        """The new shelf; on ContentError the old one keeps serving."""
        shelf = await asyncio.to_thread(open_shelf, self.directory, self.shelf.index.thresholds)
        self.shelf = shelf
        return shelf
