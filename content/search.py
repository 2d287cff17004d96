"""FAQ search: BM25 over each entry's question, phrasings and keywords, in every language,
with typos mended by rapidfuzz, and a calibrated 0–100 confidence that decides among
answering, offering "did you mean", and admitting it does not know."""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from content.knowledge import KnowledgeBase
from content.text import FILLER, LANGUAGES, STOP_WORDS, Analyzer, analyzers, is_cyrillic, words

K1 = 1.2
B = 0.5
TYPO_CUTOFF = 80.0
TYPO_WEIGHT = 0.85
MIN_TYPO_LENGTH = 4
CANDIDATES = 6
ROOT_SHARE = 0.7  # how much of an unknown word must begin a known one
ROOT_WEIGHT = 0.6
MIN_PART = 4  # the shortest half of a compound word worth recognising
MENDED_WORDS = 100_000  # words of questions remembered as read, per index

_TAG = re.compile(r"<[^>]+>|&\w+;")

# "unclear": the message names no topic ("ok", "how?", "👍", one word nobody uses here).
Decision = Literal["answer", "suggest", "unknown", "unclear"]
_NO_TOPIC = FILLER.union(*STOP_WORDS.values())


@dataclass(frozen=True)
class Thresholds:
    """Where confidence turns into a decision, calibrated on the cross-validated scores of
    the knowledge base's own phrasings (bench/faq_accuracy.py): a close second best is what
    most wrong answers had, so an answer needs a clear lead, and the rest is "did you mean"."""

    answer: float = 46.0
    suggest: float = 34.0
    margin: float = 5.0
    suggestions: int = 3
    spread: float = 10.0  # how far below the best a "did you mean" question may score
    unknown_weight: float = 1.0  # how much a word the knowledge base never uses counts against
    coverage_weight: float = 0.6  # BM25 coverage vs. closeness to the nearest phrasing


@dataclass(frozen=True)
class Result:
    decision: Decision
    entry_id: str | None
    score: float
    suggestions: tuple[str, ...] = ()


@dataclass
class _LanguageIndex:
    """BM25 postings of one language's texts."""

    analyzer: Analyzer
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    lengths: list[int] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    surface: set[str] = field(default_factory=set)
    idf: dict[str, float] = field(default_factory=dict)
    average: float = 1.0
    max_idf: float = 1.0

    def add(self, texts: Iterable[str], answer: str = "") -> None:
        """One entry: its questions (each also a phrasing the query is compared with) and its
        answer (its words count, as one more text, so a question in the answer's words finds
        it; no query is compared with the answer as a whole)."""
        analyzer = self.analyzer
        bag: Counter[str] = Counter()
        phrases = []
        for text in texts:
            terms = analyzer.terms(text)
            bag.update(terms)
            phrases.append(" ".join(sorted(set(terms))))
            self.surface.update(words(text))
        if answer:  # (its words are no targets for mending typos: too many, too rare)
            bag.update(set(analyzer.terms(answer)))
        document = len(self.lengths)
        for term, count in bag.items():
            self.postings[term].append((document, count))
        self.lengths.append(sum(bag.values()))
        self.phrases.append(phrases)

    def freeze(self) -> None:
        total = max(len(self.lengths), 1)
        self.average = sum(self.lengths) / total or 1.0
        self.idf = {
            term: math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            for term, docs in self.postings.items()
        }
        self.max_idf = math.log(1 + (total + 0.5) / 0.5)
        self.postings = dict(self.postings)


class SearchIndex:
    """Built once per knowledge base; `search` is read-only and safe to share."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        thresholds: Thresholds | None = None,
        language_analyzers: dict[str, Analyzer] | None = None,
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        self.ids = [entry.id for entry in knowledge]
        self.analyzers = language_analyzers or analyzers()
        self._languages = {
            language: _LanguageIndex(self.analyzers[language]) for language in LANGUAGES
        }
        for entry in knowledge:
            for language, index in self._languages.items():
                text = entry.text(language)
                index.add(
                    [text.question, *text.phrasings, " ".join(text.keywords)],
                    _TAG.sub(" ", text.answer),
                )
        for index in self._languages.values():
            index.freeze()
        # The synonyms' words are known words (never "mended"), but no targets for mending:
        # "bake" is no typo of "backer", an investor.
        self._surface = set().union(
            *(i.surface | i.analyzer.known for i in self._languages.values())
        )
        self._mend = lru_cache(maxsize=MENDED_WORDS)(self._mend_word)
        self._typo_choices = {
            language: sorted(w for w in index.surface if len(w) >= MIN_TYPO_LENGTH - 1)
            for language, index in self._languages.items()
        }

    def search(self, query: str, language: str = "en") -> Result:
        """What to do with `query`; the user's `language` only breaks exact ties."""
        if not self.names_a_topic(query):
            return Result("unclear", None, 0.0)
        scores = self.rank(query, language)
        t = self.thresholds
        if not scores or scores[0][1] < t.suggest:
            return Result("unknown", None, round(scores[0][1], 1) if scores else 0.0)
        best_id, best = scores[0]
        runner_up = scores[1][1] if len(scores) > 1 else 0.0
        if best >= t.answer and best - runner_up >= t.margin:
            return Result("answer", best_id, round(best, 1))
        floor = max(t.suggest, best - t.spread)
        offered = tuple(i for i, s in scores[: t.suggestions] if s >= floor)
        return Result("suggest", None, round(best, 1), offered)

    def rank(self, query: str, language: str = "en") -> list[tuple[str, float]]:
        """Entries by confidence (0–100), best first; only those with any match."""
        languages = ("ru",) if is_cyrillic(query) else ("en", "fi", "ru")
        mended = self._mend_typos(words(query), languages)
        best: dict[int, float] = {}
        for name in languages:
            for document, score in self._score(
                self._languages[name], mended, self.thresholds
            ).items():
                tie_break = 0.01 if name == language else 0.0
                if score + tie_break > best.get(document, 0.0):
                    best[document] = score + tie_break
        ordered = sorted(best.items(), key=lambda item: item[1], reverse=True)
        return [(self.ids[document], min(score, 100.0)) for document, score in ordered]

    def names_a_topic(self, query: str) -> bool:
        """Whether `query` asks about something: a word the knowledge base knows (or a typo or
        another form of one) that is not a function word, or several words it does not know (a
        real question it cannot answer). "ok", "how?", "👍" or one unknown word name nothing."""
        languages = ("ru",) if is_cyrillic(query) else ("en", "fi", "ru")
        content = [token for token in words(query) if token not in _NO_TOPIC]
        if len(content) > 1 or any(self._known(token, languages) for token in content):
            return True
        mended = self._mend_typos(content, languages)
        return any(token not in _NO_TOPIC and self._known(token, languages) for token, _ in mended)

    def _known(self, word: str, languages: tuple[str, ...]) -> bool:
        """A word of the knowledge base, or another form of one (same stem)."""
        if word in self._surface:
            return True
        return any(
            self.analyzers[name].stem(word) in self._languages[name].idf for name in languages
        )

    def _same_root(self, word: str, languages: tuple[str, ...]) -> str | None:
        """A known word sharing the beginning of `word` ("kielen" → "kieli"): inflection
        that the stemmer did not undo, common in Finnish and Russian."""
        root = word[: max(MIN_PART + 1, round(len(word) * ROOT_SHARE))]
        for name in languages:
            choices = self._typo_choices[name]
            at = bisect.bisect_left(choices, root)
            if at < len(choices) and choices[at].startswith(root):
                return choices[at]
        return None

    def _split(self, word: str, languages: tuple[str, ...]) -> list[str] | None:
        """A compound ("pöytävaraus", "kurssitodistus") as two known words, if it is one."""
        for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            if self._known(head, languages) and self._known(tail, languages):
                return [head, tail]
        return None

    def _mend_typos(self, tokens: list[str], languages: tuple[str, ...]) -> list[tuple[str, float]]:
        """Known words as they are, compounds split, typos replaced by the nearest word."""
        return [part for token in tokens for part in self._mend(token, languages)]

    def _mend_word(self, token: str, languages: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        """One word as the search reads it (cached per index: people reuse their words, and
        the search for a typo's nearest word is the slowest part of a question)."""
        if len(token) < MIN_TYPO_LENGTH or token.isdigit() or self._known(token, languages):
            return ((token, 1.0),)
        parts = self._split(token, languages) if len(token) >= 2 * MIN_PART else None
        if parts:
            return tuple((part, 1.0) for part in parts)
        relative = self._same_root(token, languages)
        if relative is not None:
            return ((relative, ROOT_WEIGHT),)
        guesses = [
            process.extractOne(token, self._typo_choices[name], scorer=fuzz.ratio,
                               score_cutoff=TYPO_CUTOFF)
            for name in languages
        ]  # fmt: skip
        found = max((g for g in guesses if g), key=lambda g: g[1], default=None)
        return ((found[0], TYPO_WEIGHT),) if found else ((token, 1.0),)

    @staticmethod
    def _score(
        index: _LanguageIndex, tokens: list[tuple[str, float]], t: Thresholds
    ) -> dict[int, float]:
        query: dict[str, float] = {}
        for term, weight in index.analyzer.weighted_terms(tokens):
            query[term] = max(query.get(term, 0.0), weight)
        if not query:
            return {}
        possible = (K1 + 1) * sum(
            index.idf.get(term, index.max_idf * t.unknown_weight) for term in query
        )
        raw: dict[int, float] = defaultdict(float)
        for term, weight in query.items():
            idf = index.idf.get(term)
            if idf is None:
                continue
            for document, count in index.postings[term]:
                norm = K1 * (1 - B + B * index.lengths[document] / index.average)
                raw[document] += weight * idf * count * (K1 + 1) / (count + norm)
        if not raw:
            return {}
        wanted = " ".join(sorted(query))
        candidates = heapq.nlargest(CANDIDATES, raw, key=raw.__getitem__)
        nearest = _closeness(wanted, [index.phrases[document] for document in candidates])
        weight = t.coverage_weight
        return {
            document: 100 * (weight * min(raw[document] / possible, 1.0) + (1 - weight) * near)
            for document, near in zip(candidates, nearest, strict=True)
        }


def _closeness(query: str, documents: list[list[str]]) -> list[float]:
    """How near the query is to each document's nearest phrasing (0–1): word overlap,
    tempered by what is left over. The phrasings are sorted terms, so plain `ratio` compares
    them in sorted order; rapidfuzz scores all the candidates' phrasings in one call each."""
    flat = [phrase for phrases in documents for phrase in phrases]
    if not flat:
        return [0.0] * len(documents)
    overlap = process.cdist([query], flat, scorer=fuzz.token_set_ratio)[0]
    order = process.cdist([query], flat, scorer=fuzz.ratio)[0]
    nearest, start = [], 0
    for phrases in documents:
        end = start + len(phrases)
        if end == start:
            nearest.append(0.0)
        else:
            best_overlap = float(overlap[start:end].max())
            best_order = float(order[start:end].max())
            nearest.append((best_overlap + best_order) / 200)
        start = end
    return nearest
