"""`concierge content check` and `concierge faq ask`: the content from the shell."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from content.coaches import COACHES_FILE, load_coaches
from content.events import EVENTS_FILE, load_events
from content.knowledge import KB_DIR
from content.library import open_shelf
from content.loader import ContentError, Problem, load
from content.places import PLACES_FILE, PlaceSeed, load_places
from content.search import SearchIndex
from content.telegram_html import plain_text
from content.text import LANGUAGES, SYNONYMS_DIR, read_synonyms


def check(
    directory: Path | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    places: Path | None = None,
    *,
    coaches: Path | None = None,
    events: Path | None = None,
    strict: bool = False,
) -> int:
    """Validate a knowledge base and the places, coaches and events seeds; every problem as
    `file:line: message`. Warnings (placeholders to fill in, titles a button cuts off) fail
    only when `strict`."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    try:
        knowledge = load(directory or KB_DIR, warnings)
        SearchIndex(knowledge)
    except ContentError as error:
        problems += error.problems
    else:
        print(
            f"{knowledge.source}: {len(knowledge)} entries in {len(knowledge.categories)} "
            f"categories, {len(LANGUAGES)} languages: OK",
            file=out,
        )
    for language in LANGUAGES:
        path = SYNONYMS_DIR / f"{language}.txt"
        for line, message in read_synonyms(path, language)[2]:
            warnings.append(Problem(path, line, message))
    places = places or PLACES_FILE
    seeds: tuple[PlaceSeed, ...] = ()
    try:
        seeds = load_places(places, warnings)
    except ContentError as error:
        problems += error.problems
    else:
        desks = sum(len(seed.desks) for seed in seeds)
        print(f"{places}: {len(seeds)} locations, {desks} desks: OK", file=out)
    coaches = coaches or COACHES_FILE
    try:
        sample = load_coaches(coaches, seeds, warnings) if seeds else None
    except ContentError as error:
        problems += error.problems
    else:  # (coaches meet at places: checked once the places are right)
        if sample is not None:
            print(f"{coaches}: {len(sample)} coaches: OK", file=out)
    events = events or EVENTS_FILE
    try:
        listed = load_events(events, seeds, warnings) if seeds else None
    except ContentError as error:
        problems += error.problems
    else:
        if listed is not None:
            print(f"{events}: {len(listed)} events: OK", file=out)
    for warning in warnings:
        print(f"{warning} (warning)", file=err)
    for problem in problems:
        print(problem, file=err)
    if warnings:
        print(
            f"{len(warnings)} warning(s): what the curator fills in before going live "
            "(README, “Before going live”)" + ("; --strict fails on them" if strict else ""),
            file=err,
        )
    if problems:
        print(f"{len(problems)} problem(s) found", file=err)
    return 1 if problems or (strict and warnings) else 0


def ask(
    questions: Iterable[str],
    language: str,
    as_json: bool,
    directory: Path | None = None,
    out: TextIO = sys.stdout,
    *,
    show: bool = False,
) -> int:
    """What the bot would do with each question (one per line on stdin when none given)."""
    shelf = open_shelf(directory or KB_DIR)
    for raw in questions:
        question = raw.strip()
        if not question:
            continue
        result = shelf.index.search(question, language)
        entry = shelf.knowledge.get(result.entry_id or "")
        answer = plain_text(entry.text(language).answer) if entry and show else None
        if as_json:
            record = {
                "q": question,
                "lang": language,
                "decision": result.decision,
                "id": result.entry_id,
                "score": result.score,
                "suggestions": list(result.suggestions),
            }
            if show:
                record["answer"] = answer
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            shown = result.entry_id or ", ".join(result.suggestions) or "-"
            print(f"{result.decision:8} {result.score:5.1f}  {shown}  <- {question}", file=out)
            if answer:
                print(textwrap.indent(answer, "    "), file=out)
    return 0
