"""FAQ quality per language, in the four outcome classes a person notices, from three sources.

Run: python -m bench.faq_accuracy [--sets cv,tuning,holdout,blind] [--misses] [--folds N]

- cv (cross-validation over the knowledge base itself): the phrasings of every entry are split
  into `--folds` parts; in turn one part of every entry is left out of the index and asked
  against the rest. No question is ever answered from its own text, so this cannot be
  memorised; it is what the search and the thresholds are tuned on, and what
  tests/test_faq_quality.py keeps floors on. Out-of-scope refusals for it come from the
  tuning sets' out-of-scope questions.
- tuning (tests/data/faq_questions.yaml) and holdout (tests/data/faq_holdout.yaml): question
  sets written beside the knowledge base; they were used to tune and read earlier.
- blind (tests/data/faq_blind.yaml): written by someone who saw only the entries' titles,
  never the phrasings or the answers; never used for tuning. The honest figure.

Outcome classes of an in-scope question: answered with the right entry; refused with the
right entry first in "did you mean"; refused otherwise (right entry not first, or no
suggestion); answered with a wrong entry. Out of scope: the share refused. The last line is
one JSON object."""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import yaml

from content.knowledge import KB_DIR, Entry, KnowledgeBase
from content.search import SearchIndex, Thresholds
from content.text import LANGUAGES

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
QUESTIONS = DATA / "faq_questions.yaml"
SETS = {
    "tuning": QUESTIONS,
    "holdout": DATA / "faq_holdout.yaml",
    "blind": DATA / "faq_blind.yaml",
}
OUTCOMES = ("right", "suggested_first", "missed", "wrong")
FOLDS = 5


@dataclass(frozen=True)
class Case:
    question: str
    language: str
    entry_id: str | None  # None: out of scope


@dataclass
class Tally:
    """One language's outcomes."""

    counts: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    out_of_scope: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, outcome: str) -> float:
        return self.counts[outcome] / self.total if self.total else 0.0

    @property
    def refusal_rate(self) -> float:
        return self.refused / self.out_of_scope if self.out_of_scope else 0.0


def read_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text("utf-8"))
    return [Case(c["q"], c["lang"], c["id"]) for c in data.get("in_scope") or ()] + [
        Case(c["q"], c["lang"], None) for c in data.get("out_of_scope") or ()
    ]


def outcome_of(index: SearchIndex, case: Case) -> tuple[str, str]:
    """The outcome class of one case, and what the search did (for the list of misses)."""
    result = index.search(case.question, case.language)
    did = result.entry_id or f"{result.decision} {list(result.suggestions)}"
    did = f"{did} ({result.score})"
    if case.entry_id is None:
        return ("refused" if result.entry_id is None else "answered"), did
    if result.entry_id == case.entry_id:
        return "right", did
    if result.entry_id is not None:
        return "wrong", did
    if result.suggestions[:1] == (case.entry_id,):
        return "suggested_first", did
    return "missed", did


def evaluate(index: SearchIndex, cases: Iterable[Case]) -> dict[str, Tally]:
    """Per language: in-scope outcomes and out-of-scope refusals."""
    report: dict[str, Tally] = defaultdict(Tally)
    for case in cases:
        tally = report[case.language]
        outcome, did = outcome_of(index, case)
        if case.entry_id is None:
            tally.out_of_scope += 1
            tally.refused += outcome == "refused"
            if outcome != "refused":
                tally.misses.append(f"{case.question!r} -> {did}, want a refusal")
            continue
        tally.counts[outcome] += 1
        if outcome != "right":
            tally.misses.append(f"{outcome}: {case.question!r} -> {did}, want {case.entry_id}")
    return report


def without(knowledge: KnowledgeBase, fold: int, folds: int) -> tuple[KnowledgeBase, list[Case]]:
    """The knowledge base without part `fold` of every entry's phrasings, and those phrasings
    as questions (each entry keeps its title question, keywords and the other parts)."""
    entries: dict[str, Entry] = {}
    asked: list[Case] = []
    for entry in knowledge:
        texts = {}
        for language, text in entry.texts.items():
            kept = []
            for number, phrasing in enumerate(text.phrasings):
                if number % folds == fold:
                    asked.append(Case(phrasing, language, entry.id))
                else:
                    kept.append(phrasing)
            texts[language] = replace(text, phrasings=tuple(kept))
        entries[entry.id] = replace(entry, texts=MappingProxyType(texts))
    return replace(knowledge, entries=MappingProxyType(entries)), asked


def cross_validate(
    knowledge: KnowledgeBase,
    thresholds: Thresholds | None = None,
    folds: int = FOLDS,
    out_of_scope: Iterable[Case] = (),
) -> dict[str, Tally]:
    """Every phrasing asked of an index built without it (and its fold); out-of-scope
    questions asked of the whole knowledge base."""
    report: dict[str, Tally] = defaultdict(Tally)
    for fold in range(folds):
        reduced, asked = without(knowledge, fold, folds)
        merge(report, evaluate(SearchIndex(reduced, thresholds), asked))
    merge(report, evaluate(SearchIndex(knowledge, thresholds), out_of_scope))
    return report


def merge(into: dict[str, Tally], more: Mapping[str, Tally]) -> None:
    for language, tally in more.items():
        target = into[language]
        target.counts.update(tally.counts)
        target.refused += tally.refused
        target.out_of_scope += tally.out_of_scope
        target.misses += tally.misses


def tuning_out_of_scope() -> list[Case]:
    return [
        case
        for name in ("tuning", "holdout")
        for case in read_cases(SETS[name])
        if case.entry_id is None
    ]


def summary(report: Mapping[str, Tally]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for language in LANGUAGES:
        tally = report.get(language)
        if tally is None:
            continue
        for outcome in OUTCOMES:
            figures[f"{language}_{outcome}"] = round(tally.share(outcome), 3)
        figures[f"{language}_refused_out_of_scope"] = round(tally.refusal_rate, 3)
    return figures


def show(name: str, report: Mapping[str, Tally], misses: bool) -> None:
    print(f"{name}: " + "  ".join(f"{o}" for o in OUTCOMES) + "  | out of scope refused")
    for language in LANGUAGES:
        tally = report.get(language)
        if tally is None:
            continue
        shares = "  ".join(f"{tally.share(o):6.1%}" for o in OUTCOMES)
        print(
            f"  {language}  {shares}  ({tally.total} asked)  | {tally.refusal_rate:6.1%}"
            f" ({tally.out_of_scope})"
        )
        if misses:
            for miss in tally.misses:
                print("      " + miss)


def main() -> None:
    from content.loader import load

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="cv,tuning,holdout,blind")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--folds", type=int, default=FOLDS)
    args = parser.parse_args()
    knowledge = load(KB_DIR)
    index = SearchIndex(knowledge)
    results = {}
    for name in args.sets.split(","):
        if name == "cv":
            report = cross_validate(knowledge, folds=args.folds, out_of_scope=tuning_out_of_scope())
        else:
            report = evaluate(index, read_cases(SETS[name]))
        show(name, report, args.misses)
        results[name] = summary(report)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
