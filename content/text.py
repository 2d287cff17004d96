"""Turning text into search terms: normalise, tokenise, drop stop words, stem (Snowball; a
dictionary lemma for Russian, pymorphy3), apply synonyms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path

import pymorphy3
import snowballstemmer

LANGUAGES = ("en", "ru", "fi")
_STEMMERS = {"en": "english", "ru": "russian", "fi": "finnish"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яё]")
# Finnish letters typed without their dots still match: the index folds them too.
_FOLD = str.maketrans({"ä": "a", "ö": "o", "å": "a", "ё": "е"})

# Function words only (content/stopwords/<language>.txt). General-purpose lists also drop
# words that decide an answer here ("open", "free", "work", "where", "сколько", "milloin").
STOP_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(
        (Path(__file__).with_name("stopwords") / f"{language}.txt").read_text("utf-8").split()
    )
    for language in LANGUAGES
}


# Words that carry no topic in any language (yes, ok, question words…): a message made only
# of these and of function words is not a question the knowledge base can answer.
FILLER = frozenset(
    (Path(__file__).with_name("stopwords") / "filler.txt").read_text("utf-8").split()
)


def normalise(text: str) -> str:
    """Lower case, compatibility forms unified, ё as е."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def is_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(normalise(text)))


Synonyms = Mapping[tuple[str, ...], tuple[str, ...]]


@cache
def _russian_morphology() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()  # (its dictionaries load once, in about half a second)


def _russian_lemma(word: str) -> str:
    return str(_russian_morphology().parse(word)[0].normal_form)


class Analyzer:
    """The terms of a text in one language: stop words dropped, stems folded, and words or
    phrases of a synonym group replaced by the group's first item ("workspace" and "hot desk"
    both become "desk"), in the knowledge base and in questions alike."""

    def __init__(
        self, language: str, synonyms: Synonyms | None = None, known: Iterable[str] = ()
    ) -> None:
        self.language = language
        self._stemmer = snowballstemmer.stemmer(_STEMMERS[language])
        self._stop = STOP_WORDS[language]
        self.stem = lru_cache(maxsize=200_000)(self._stem)
        self._synonyms = dict(synonyms or {})
        self._longest = max((len(key) for key in self._synonyms), default=0)
        self.known = frozenset(known)  # the synonyms' words: real words, never typos

    def _stem(self, word: str) -> str:
        if self.language == "ru" and _CYRILLIC.search(word):
            # A dictionary lemma ("коворкинге", "коворкингов" → "коворкинг") finds more of
            # a Russian question's words than the Snowball stem did (cross-validated top-1
            # 71.5% → 73.6%); other words, Latin ones in a Russian text too, are stemmed.
            return _russian_lemma(word).translate(_FOLD)
        return self._stemmer.stemWord(word).translate(_FOLD)

    def stems(self, text: str) -> list[str]:
        """The stems of a text's words, without synonyms applied."""
        return [self.stem(word) for word in words(text) if word not in self._stop]

    def terms(self, text: str) -> list[str]:
        return [term for term, _ in self.weighted_terms([(word, 1.0) for word in words(text)])]

    def weighted_terms(self, tokens: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
        """Terms of weighted words (a mended typo counts less); a synonym phrase takes the
        weight of its weakest word."""
        stems = [(self.stem(word), weight) for word, weight in tokens if word not in self._stop]
        if not self._synonyms:
            return stems
        terms: list[tuple[str, float]] = []
        at = 0
        while at < len(stems):
            for size in range(min(self._longest, len(stems) - at), 0, -1):
                span = stems[at : at + size]
                canonical = self._synonyms.get(tuple(stem for stem, _ in span))
                if canonical is not None:
                    weight = min(w for _, w in span)
                    terms.extend((term, weight) for term in canonical)
                    at += size
                    break
            else:
                terms.append(stems[at])
                at += 1
        return terms


def read_synonyms(path: Path, language: str) -> tuple[Synonyms, set[str], list[tuple[int, str]]]:
    """A synonym file (`canonical = variant = another variant` per line, `#` comments) as
    stem sequences, the words it names, and its problems as (line, message): a line that is
    no group, an item claimed by two groups (the first keeps it), a file that cannot be read
    (then no synonyms: the search works without them)."""
    plain = Analyzer(language)
    mapping: dict[tuple[str, ...], tuple[str, ...]] = {}
    problems: list[tuple[int, str]] = []
    known: set[str] = set()
    try:
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
    except (OSError, UnicodeError) as error:
        return mapping, known, [(0, f"cannot be read: {error}")]
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        items = [item.strip() for item in line.split("=") if item.strip()]
        canonical = tuple(plain.stems(items[0]))
        if len(items) < 2 or not canonical:
            problems.append((number, "a group needs a word and at least one synonym"))
            continue
        for item in items:
            key = tuple(plain.stems(item))
            if not key:
                continue
            if mapping.get(key, canonical) != canonical:
                problems.append((number, f"{item!r} is already in another group"))
                continue
            known.update(words(item))
            mapping[key] = canonical
    return mapping, known, problems


SYNONYMS_DIR = Path(__file__).with_name("synonyms")


def analyzers(directory: Path | None = SYNONYMS_DIR) -> dict[str, Analyzer]:
    """One analyzer per language, with the synonyms of `directory` (None: without)."""
    made = {}
    for language in LANGUAGES:
        if directory is None:
            made[language] = Analyzer(language)
            continue
        mapping, known, _ = read_synonyms(directory / f"{language}.txt", language)
        made[language] = Analyzer(language, mapping, known)
    return made


ANALYZERS = {language: Analyzer(language) for language in LANGUAGES}
