"""Reading and validating `content/kb/*.yaml`: every problem with its file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from content.curation import bracketed, placeholder_note, title_note
from content.knowledge import ACTIONS, KB_DIR, Category, Entry, KnowledgeBase, build, text_of
from content.telegram_html import check_html
from content.text import LANGUAGES

ENTRY_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
MIN_PHRASINGS = 4
MAX_QUESTION = 200
_ENTRY_KEYS = {"id", "actions", "related", *LANGUAGES}
_TEXT_KEYS = {"question", "phrasings", "keywords", "answer"}


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The knowledge base has problems; `problems` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class _Located(dict[str, Any]):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        mapping = _Located(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)


def load(directory: Path = KB_DIR, warnings: list[Problem] | None = None) -> KnowledgeBase:
    """The knowledge base in `directory`, or ContentError listing everything wrong with it;
    what the curator still has to do (placeholders, long titles) goes into `warnings`."""
    reader = _Reader()
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not files:
        raise ContentError([Problem(directory, 0, "no *.yaml files with knowledge-base entries")])
    for path in files:
        reader.read(path)
    reader.check_related()
    if warnings is not None:
        warnings += reader.warnings
    if reader.problems:
        raise ContentError(reader.problems)
    return build(reader.categories, reader.entries, directory)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.categories: list[Category] = []
        self.entries: list[Entry] = []
        self._where: dict[str, tuple[Path, int]] = {}
        self._related: list[tuple[Path, int, str, list[Any]]] = []

    def problem(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def read(self, path: Path) -> None:
        try:
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, 0, f"cannot read the file: {exc}")
            return
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(path, mark.line + 1 if mark else 0, f"not valid YAML: {reason}")
            return
        if not isinstance(document, _Located):
            self.problem(path, 1, "expected a mapping with category, title and entries")
            return
        self._unknown_keys(path, document, {"category", "title", "entries"})
        category = document.get("category")
        if category != path.stem:
            self.problem(
                path,
                document.lines.get("category", 1),
                f"category must be {path.stem!r}, the file's name",
            )
        titles = self._languages(path, document, "title")
        entries = document.get("entries")
        if not isinstance(entries, list) or not entries:
            self.problem(path, document.lines.get("entries", 1), "entries must be a non-empty list")
            return
        ids = [e for raw in entries if (e := self._entry(path, raw, path.stem)) is not None]
        self.categories.append(Category(path.stem, titles, tuple(ids)))

    def _entry(self, path: Path, raw: Any, category: str) -> str | None:
        if not isinstance(raw, _Located):
            self.problem(path, 0, f"an entry must be a mapping, not {raw!r}")
            return None
        line = raw.line
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not ENTRY_ID.match(entry_id):
            self.problem(path, line, f"id {entry_id!r} must look like {category}.some_topic")
            return None
        if not entry_id.startswith(category + "."):
            self.problem(path, line, f"id {entry_id} must start with '{category}.'")
        if entry_id in self._where:
            other, other_line = self._where[entry_id]
            self.problem(path, line, f"id {entry_id} is already used at {other}:{other_line}")
            return None
        self._where[entry_id] = (path, line)
        self._unknown_keys(path, raw, _ENTRY_KEYS)
        texts = {}
        for language in LANGUAGES:
            text = raw.get(language)
            where = raw.lines.get(language, line)
            if not isinstance(text, _Located):
                self.problem(path, where, f"{entry_id}: the {language} text is missing")
                continue
            if self._text_ok(path, entry_id, language, text):
                texts[language] = text_of(text)
        actions = self._list(path, raw, "actions")
        for action in actions:
            if action not in ACTIONS:
                self.problem(
                    path,
                    raw.lines["actions"],
                    f"{entry_id}: unknown action {action!r}; known: {', '.join(ACTIONS)}",
                )
        self._related.append(
            (path, raw.lines.get("related", line), entry_id, self._list(path, raw, "related"))
        )
        if len(texts) == len(LANGUAGES):
            self.entries.append(
                Entry(
                    entry_id,
                    category,
                    texts,
                    tuple(actions),
                    tuple(map(str, self._list(path, raw, "related"))),
                )
            )
        return entry_id

    def _text_ok(self, path: Path, entry_id: str, language: str, text: _Located) -> bool:
        before = len(self.problems)
        self._unknown_keys(path, text, _TEXT_KEYS)
        label = f"{entry_id} ({language})"
        for key in ("question", "answer"):
            value = text.get(key)
            if not isinstance(value, str) or not value.strip():
                self.problem(path, text.lines.get(key, text.line), f"{label}: {key} is empty")
        question = text.get("question")
        if isinstance(question, str) and len(question) > MAX_QUESTION:
            self.problem(
                path,
                text.lines["question"],
                f"{label}: the question is longer than {MAX_QUESTION} characters",
            )
        if isinstance(question, str) and (note := title_note(question.strip())):
            self.warnings.append(Problem(path, text.lines["question"], f"{label}: {note}"))
        phrasings = self._list(path, text, "phrasings")
        if len([p for p in phrasings if isinstance(p, str) and p.strip()]) < MIN_PHRASINGS:
            self.problem(
                path,
                text.lines.get("phrasings", text.line),
                f"{label}: at least {MIN_PHRASINGS} phrasings are needed",
            )
        self._list(path, text, "keywords")
        answer = text.get("answer")
        if isinstance(answer, str) and answer.strip():
            for error in check_html(answer.strip()):
                self.problem(path, text.lines["answer"], f"{label}: answer: {error}")
            self._placeholders(path, text.lines["answer"], label, answer)
        return len(self.problems) == before

    def _placeholders(self, path: Path, line: int, label: str, answer: str) -> None:
        first = line + 1 if "\n" in answer.strip() else line  # a block starts below its key
        for offset, token in bracketed(answer.strip()):
            known, note = placeholder_note(token)
            found = Problem(path, first + offset, f"{label}: {note}")
            (self.warnings if known else self.problems).append(found)

    def _languages(self, path: Path, mapping: _Located, key: str) -> dict[str, str]:
        value = mapping.get(key)
        if not isinstance(value, _Located):
            self.problem(path, mapping.lines.get(key, mapping.line), f"{key} needs en, ru and fi")
            return {}
        missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
        if missing:
            self.problem(path, value.line, f"{key} is missing {', '.join(missing)}")
        return {lang: str(value[lang]).strip() for lang in LANGUAGES if lang not in missing}

    def _list(self, path: Path, mapping: _Located, key: str) -> list[Any]:
        value = mapping.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(
                path, mapping.lines.get(key, mapping.line), f"{key} must be a list of texts"
            )
            return []
        return value

    def _unknown_keys(self, path: Path, mapping: _Located, known: set[str]) -> None:
        for key in mapping:
            if key not in known:
                self.problem(
                    path,
                    mapping.lines[key],
                    f"unknown field {key!r}; expected one of {', '.join(sorted(known))}",
                )

    def check_related(self) -> None:
        for path, line, entry_id, related in self._related:
            for other in related:
                if other == entry_id:
                    self.problem(path, line, f"{entry_id}: related lists the entry itself")
                elif other not in self._where:
                    self.problem(path, line, f"{entry_id}: related entry {other!r} does not exist")
