"""FAQ quality on tests/data/faq_questions.yaml: top-1 accuracy and refusals per language.

Run: python -m bench.faq_accuracy [--misses] [--file tests/data/faq_holdout.yaml]

faq_questions.yaml tunes the thresholds and shows vocabulary gaps; faq_holdout.yaml was written
after tuning and is never used for it, so its figures are the honest ones."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from content.search import SearchIndex

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "faq_questions.yaml"


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 0.0


def evaluate(index: SearchIndex, path: Path = QUESTIONS) -> dict[str, dict[str, Score]]:
    """{"in_scope"|"out_of_scope": {language: Score}}; a question counts for its `lang`."""
    data = yaml.safe_load(path.read_text("utf-8"))
    report: dict[str, dict[str, Score]] = {"in_scope": defaultdict(Score),
                                           "out_of_scope": defaultdict(Score)}  # fmt: skip
    for case in data["in_scope"]:
        result = index.search(case["q"], case["lang"])
        score = report["in_scope"][case["lang"]]
        score.total += 1
        if result.entry_id == case["id"]:
            score.right += 1
        else:
            got = result.entry_id or f"{result.decision} {list(result.suggestions)}"
            score.misses.append(f"{case['q']!r} -> {got} ({result.score}), want {case['id']}")
    for case in data["out_of_scope"]:
        result = index.search(case["q"], case["lang"])
        score = report["out_of_scope"][case["lang"]]
        score.total += 1
        if result.entry_id is None:
            score.right += 1
        else:
            score.misses.append(f"{case['q']!r} -> {result.entry_id} ({result.score})")
    return report


def main() -> None:
    from content.library import open_shelf

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    parser.add_argument("--file", type=Path, default=QUESTIONS, help="the question set")
    args = parser.parse_args()
    report = evaluate(open_shelf().index, args.file)
    summary = {}
    for kind, languages in report.items():
        for language, score in sorted(languages.items()):
            label = "top-1 accuracy" if kind == "in_scope" else "refusals"
            print(
                f"{kind:13}{language:4}{label:16}{score.right:4}/{score.total:<4}{score.rate:7.1%}"
            )
            summary[f"{kind}_{language}"] = round(score.rate, 3)
            if args.misses:
                for miss in score.misses:
                    print("    " + miss)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
