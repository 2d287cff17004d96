"""Phrasings the staff taught the bot in the chat: what a question must be to become one,
which language it counts in, and writing them into the knowledge-base files for the curator
(`concierge content export-learned`), line by line so the files keep their formatting and
comments."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from content.knowledge import KnowledgeBase, Phrasing, phrasing_key
from content.loader import ContentError, Problem, load
from content.text import LANGUAGES, is_cyrillic

MAX_PHRASING = 300  # a longer question is rather a story than a way of asking
# Control characters, line and paragraph separators, direction overrides, the byte order
# mark, lone surrogates: none of them belongs in a phrasing shown on a button or in a file.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def clean_phrasing(text: str) -> str:
    """A question as a phrasing: one line, invisible characters gone, spaces collapsed. It is
    not cut to length: a question too long is refused whole (`attachable`), since its first
    300 characters may not be what was asked."""
    return " ".join(_INVISIBLE.sub(" ", text).split())


def attachable(text: str) -> bool:
    """Whether a cleaned question may become a phrasing."""
    return 0 < len(text) <= MAX_PHRASING


def phrasing_language(text: str, asked_in: str) -> str:
    """The language a question is a way of asking in: Russian when written in Cyrillic (the
    search reads Cyrillic as Russian whoever types it), else the asker's language."""
    if is_cyrillic(text):
        return "ru"
    return asked_in if asked_in in LANGUAGES else "en"


@dataclass
class Export:
    """What an export wrote (or, in a dry run, would write), file by file, and what it left."""

    added: dict[Path, list[Phrasing]] = field(default_factory=dict)
    present: list[Phrasing] = field(default_factory=list)  # already in the files
    orphaned: list[Phrasing] = field(default_factory=list)  # their entry is gone


def export_phrasings(
    directory: Path, phrasings: Iterable[Phrasing], *, dry_run: bool = False
) -> Export:
    """Append each phrasing to its entry's `phrasings:` list of its language in `directory`,
    skipping those the files already have; ContentError if the files are broken to begin with
    (nothing is written) or would be after (the files are put back as they were)."""
    knowledge = load(directory)
    export = Export()
    lines_of: dict[Path, dict[tuple[str, str], list[str]]] = {}
    seen: set[tuple[str, str, str]] = set()
    for entry_id, language, text in phrasings:
        entry = knowledge.get(entry_id)
        if entry is None or language not in entry.texts:
            export.orphaned.append((entry_id, language, text))
            continue
        own = entry.texts[language]
        key = phrasing_key(text)
        if key in {phrasing_key(t) for t in (own.question, *own.phrasings)} or (
            (entry_id, language, key) in seen
        ):
            export.present.append((entry_id, language, text))
            continue
        seen.add((entry_id, language, key))
        path = _file_of(knowledge, entry.category)
        lines_of.setdefault(path, {}).setdefault((entry_id, language), []).append(text)
        export.added.setdefault(path, []).append((entry_id, language, text))
    if dry_run or not lines_of:
        return export
    originals = {path: path.read_bytes() for path in lines_of}
    try:
        for path, additions in lines_of.items():
            _replace(path, _with_phrasings(path, originals[path].decode("utf-8"), additions))
        load(directory)
    except (ContentError, OSError, yaml.YAMLError):
        for path, original in originals.items():
            _replace(path, original.decode("utf-8"))
        raise
    return export


def _file_of(knowledge: KnowledgeBase, category: str) -> Path:
    return knowledge.source / f"{category}.yaml"  # (the loader insists on the name)


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a crash midway leaves the old file)."""
    aside = path.with_name(f".{path.name}.tmp")  # (not *.yaml: the loader does not read it)
    aside.write_bytes(text.encode("utf-8"))
    os.replace(aside, path)


def _with_phrasings(path: Path, source: str, additions: dict[tuple[str, str], list[str]]) -> str:
    """`source` with the phrasings added after the last item of their lists, in the list's
    own indentation and line endings; a flow list (`[a, b]`) gets them before its `]`."""
    lines = source.splitlines(keepends=True)
    spots = _phrasing_lists(source)
    edits = []
    for where, texts in additions.items():
        node = spots.get(where)
        if node is None:  # (a validated entry always has one)
            message = f"{where[0]} ({where[1]}): no phrasings list to add to"
            raise ContentError([Problem(path, 0, message)])
        edits.append((node, texts))
    # from the bottom up, so the line numbers of the edits still to come stay right
    for node, texts in sorted(edits, key=lambda edit: -edit[0].end_mark.line):
        if node.flow_style:
            row, column = node.end_mark.line, node.end_mark.column - 1  # at the "]"
            line = lines[row]
            items = ", ".join(_scalar(text, flow=True) for text in texts)
            joined = items if not node.value else ", " + items
            lines[row] = line[:column].rstrip() + joined + line[column:]
            continue
        last = node.value[-1]
        row = last.end_mark.line + (1 if last.end_mark.column > 0 else 0)
        ending = _ending(lines[row - 1])
        if not lines[row - 1].endswith(("\n", "\r")):
            lines[row - 1] += ending
        indent = " " * node.start_mark.column  # the column of the list's dashes
        lines[row:row] = [f"{indent}- {_scalar(text)}{ending}" for text in texts]
    return "".join(lines)


def _ending(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n"


def _scalar(text: str, *, flow: bool = False) -> str:
    """`text` as YAML reads it back exactly: plain when that is so, else double-quoted."""
    try:
        plain = yaml.safe_load(f"[{text}]" if flow else f"- {text}") == [text]
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def _phrasing_lists(source: str) -> dict[tuple[str, str], yaml.SequenceNode]:
    """The `phrasings:` list node of each (entry id, language) of one file."""
    root = yaml.compose(source, Loader=yaml.SafeLoader)
    found: dict[tuple[str, str], yaml.SequenceNode] = {}
    entries = _value(root, "entries")
    if not isinstance(entries, yaml.SequenceNode):
        return found
    for entry in entries.value:
        entry_id = _value(entry, "id")
        if not isinstance(entry_id, yaml.ScalarNode):
            continue
        for language in LANGUAGES:
            phrasings = _value(_value(entry, language), "phrasings")
            if isinstance(phrasings, yaml.SequenceNode):
                found[(entry_id.value, language)] = phrasings
    return found


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next(
        (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
    )
