"""Turning text into search terms: normalise, tokenise, drop stop words, stem (Snowball)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

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


class Analyzer:
    """The terms of a text in one language: stop words dropped, stems folded."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._stemmer = snowballstemmer.stemmer(_STEMMERS[language])
        self._stop = STOP_WORDS[language]
        self.stem = lru_cache(maxsize=200_000)(self._stem)

    def _stem(self, word: str) -> str:
        return self._stemmer.stemWord(word).translate(_FOLD)

    def terms(self, text: str) -> list[str]:
        return [self.stem(word) for word in words(text) if word not in self._stop]


ANALYZERS = {language: Analyzer(language) for language in LANGUAGES}
