"""FAQ search benchmark: index build time and per-question latency, shipped and 10,000 entries.

Run: python -m bench.faq [--entries N] [--rounds N]"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from types import MappingProxyType

import yaml

from bot.service import tune_gc
from content.knowledge import KB_DIR, Category, Entry, KnowledgeBase, Text
from content.loader import load
from content.search import SearchIndex
from content.text import LANGUAGES, words

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "faq_questions.yaml"


def synthetic(shipped: KnowledgeBase, size: int, seed: int = 7) -> KnowledgeBase:
    """`size` entries made of the shipped vocabulary, so queries hit long posting lists."""
    rng = random.Random(seed)
    vocab = {lang: sorted({w for e in shipped for w in words(" ".join(e.text(lang).phrasings))})
             for lang in LANGUAGES}  # fmt: skip
    entries = []
    for n in range(size):
        texts = {}
        for lang in LANGUAGES:

            def phrase(lang: str = lang) -> str:
                return " ".join(rng.choices(vocab[lang], k=rng.randint(3, 8)))

            texts[lang] = Text(phrase(), tuple(phrase() for _ in range(5)),
                               tuple(rng.choices(vocab[lang], k=5)), "answer")  # fmt: skip
        entries.append(Entry(f"synthetic.e{n}", "synthetic", MappingProxyType(texts)))
    category = Category("synthetic", {"en": "S"}, tuple(e.id for e in entries))
    return KnowledgeBase(MappingProxyType({"synthetic": category}),
                         MappingProxyType({e.id: e for e in entries}), KB_DIR)  # fmt: skip


def measure(knowledge: KnowledgeBase, queries: list[tuple[str, str]], rounds: int) -> dict:
    started = time.perf_counter()
    index = SearchIndex(knowledge)
    build_ms = (time.perf_counter() - started) * 1000
    for question, lang in queries[:50]:
        index.search(question, lang)  # warm the stemmer caches
    tune_gc()  # as the bot does after start-up
    latencies = []
    for _ in range(rounds):
        for question, lang in queries:
            started = time.perf_counter_ns()
            index.search(question, lang)
            latencies.append(time.perf_counter_ns() - started)
    latencies.sort()
    return {
        "entries": len(knowledge),
        "build_ms": round(build_ms, 1),
        "p50_ms": round(latencies[len(latencies) // 2] / 1e6, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] / 1e6, 3),
        "questions": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = yaml.safe_load(QUESTIONS.read_text("utf-8"))
    queries = [(q["q"], q["lang"]) for q in data["in_scope"] + data["out_of_scope"]]
    started = time.perf_counter()
    shipped = load()
    load_ms = (time.perf_counter() - started) * 1000
    results = {
        "shipped": {"load_ms": round(load_ms, 1), **measure(shipped, queries, args.rounds)},
        "large": measure(synthetic(shipped, args.entries), queries, 1),
    }
    print(f"{'knowledge base':16}{'entries':>9}{'build ms':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for name, r in results.items():
        print(f"{name:16}{r['entries']:>9}{r['build_ms']:>10}{r['p50_ms']:>9}{r['p99_ms']:>9}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
