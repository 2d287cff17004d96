"""`concierge content check`, `concierge content export-learned` and `concierge faq ask`: the
content from the shell."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import DBAPIError

from bot.settings import ConfigError, Settings
from content.coaches import COACHES_FILE, load_coaches
from content.events import EVENTS_FILE, load_events
from content.knowledge import KB_DIR, Phrasing
from content.learned import export_phrasings
from content.library import open_shelf
from content.loader import ContentError, Problem, load
from content.places import PLACES_FILE, PlaceSeed, load_places
from content.search import SearchIndex
from content.telegram_html import plain_text
from content.text import LANGUAGES, SYNONYMS_DIR, read_synonyms
from storage import teaching
from storage.engine import create_engine, create_session_factory, unit_of_work


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


async def export_learned(
    settings: Settings,
    directory: Path | None,
    *,
    dry_run: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Write the learned phrasings of the database into the knowledge-base files (those
    already there are skipped, so running it again adds nothing); the rows stay, and the bot
    counts a phrasing that is in both once. The curator reviews the change and commits it."""
    phrasings = await _learned(settings)
    export = await asyncio.to_thread(
        export_phrasings, directory or KB_DIR, phrasings, dry_run=dry_run
    )
    verb = "would add" if dry_run else "added"
    for path, added in sorted(export.added.items()):
        print(f"{path}: {verb} {len(added)} phrasing(s)", file=out)
        for entry_id, language, text in added:
            print(f"  + {entry_id} ({language}): {text}", file=out)
    if export.present:
        print(f"{len(export.present)} phrasing(s) already in the files: skipped", file=out)
    for entry_id, language, text in export.orphaned:
        print(f"skipped, no entry {entry_id} in the files: ({language}) {text}", file=out)
    if not export.added:
        print("nothing to add", file=out)
    elif dry_run:
        print("dry run: nothing written", file=out)
    return 0


async def _learned(settings: Settings) -> list[Phrasing]:
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise ConfigError(f"DATABASE_URL: there is no database at {path}")
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            phrasings, _version = await teaching.learned(session)
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise ConfigError(f"DATABASE_URL: cannot read the learned phrasings ({reason})") from None
    finally:
        await engine.dispose()
    return phrasings
