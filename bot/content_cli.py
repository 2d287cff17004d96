"""`concierge content check` and `concierge faq ask`: the content from the shell."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from content.knowledge import KB_DIR
from content.library import open_shelf
from content.loader import ContentError, Problem
from content.places import PLACES_FILE, load_places
from content.text import LANGUAGES


def check(
    directory: Path | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    places: Path | None = None,
) -> int:
    """Validate a knowledge base and the places seed; every problem as `file:line: message`."""
    problems: list[Problem] = []
    try:
        knowledge = open_shelf(directory or KB_DIR).knowledge
    except ContentError as error:
        problems += error.problems
    else:
        print(
            f"{knowledge.source}: {len(knowledge)} entries in {len(knowledge.categories)} "
            f"categories, {len(LANGUAGES)} languages: OK",
            file=out,
        )
    places = places or PLACES_FILE
    try:
        seeds = load_places(places)
    except ContentError as error:
        problems += error.problems
    else:
        desks = sum(len(seed.desks) for seed in seeds)
        print(f"{places}: {len(seeds)} locations, {desks} desks: OK", file=out)
    for problem in problems:
        print(problem, file=err)
    if problems:
        print(f"{len(problems)} problem(s) found", file=err)
    return 1 if problems else 0


def ask(
    questions: Iterable[str],
    language: str,
    as_json: bool,
    directory: Path | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """What the bot would do with each question (one per line on stdin when none given)."""
    index = open_shelf(directory or KB_DIR).index
    for raw in questions:
        question = raw.strip()
        if not question:
            continue
        result = index.search(question, language)
        if as_json:
            record = {
                "q": question,
                "lang": language,
                "id": result.entry_id,
                "score": result.score,
                "suggestions": list(result.suggestions),
            }
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            shown = result.entry_id or ", ".join(result.suggestions) or "-"
            print(f"{result.decision:8} {result.score:5.1f}  {shown}  <- {question}", file=out)
    return 0
