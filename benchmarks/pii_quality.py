"""Precision, recall and F2 of the `pii` check's engine on presidio-research's synth_dataset_v2 (1,500
texts with labelled character spans), for the default configuration (spaCy NER and patterns) and for
`recognizers: patterns`, beside a plain `AnalyzerEngine().analyze` loop in the same run.

Scored per token (runs of word characters), as presidio-research does: a token is positive for an
entity when a span of that entity covers it. Gold labels are mapped to Presidio names (GPE -> LOCATION,
DOMAIN_NAME -> URL, ZIP_CODE -> STREET_ADDRESS; TITLE and AGE are not PII entities here). "PII" rows
count a token found when any entity covers it, whatever its type. Each configuration is scored on the
entities it looks for; the plain loop also on traingate's default entities, for a like-for-like line.
The plain loop uses the same offline spaCy model (Presidio's default en_core_web_lg must be downloaded).

Usage: python benchmarks/pii_quality.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner

from traingate.data.presidio_analyze import analyze
from traingate.data.presidio_engine import EngineSpec, Finding, offline_tldextract, spacy_model_path
from traingate.validators.compliance.pii import DEFAULT_PII_ENTITIES

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "presidio_research" / "synth_dataset_v2.json"
GOLD_TO_PRESIDIO = {"GPE": "LOCATION", "DOMAIN_NAME": "URL", "ZIP_CODE": "STREET_ADDRESS", "TITLE": None, "AGE": None}
Span = tuple[int, int, str]


def token_labels(text: str, spans: Iterable[Span], keep: set[str]) -> list[str | None]:
    ordered = sorted((s for s in spans if s[2] in keep), key=lambda s: s[0] - s[1])  # longest span wins
    labels = []
    for token in re.finditer(r"\w+", text):
        a, b = token.span()
        labels.append(next((entity for start, end, entity in ordered if a < end and start < b), None))
    return labels


def f_scores(tp: int, fp: int, fn: int, beta: float = 2.0) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, ((1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0)


def score(label: str, items: list[dict], predictions: list[list[Finding]], keep: set[str], per_entity: bool) -> None:
    tp, fp, fn, pii = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    for item, found in zip(items, predictions):
        gold = [(s["start_position"], s["end_position"], GOLD_TO_PRESIDIO.get(s["entity_type"], s["entity_type"]))
                for s in item["spans"]]
        truth = token_labels(item["full_text"], [g for g in gold if g[2]], keep)
        guess = token_labels(item["full_text"], [(s, e, entity) for s, e, entity, *_ in found], keep)
        for g, q in zip(truth, guess):
            pii["tp" if g and q else "fp" if q else "fn" if g else "tn"] += 1
            if g and g == q:
                tp[g] += 1
            else:
                fn.update([g] if g else [])
                fp.update([q] if q else [])
    if per_entity:
        for entity in sorted(set(tp) | set(fp) | set(fn)):
            print(line(f"  {entity}", tp[entity], fp[entity], fn[entity]))
    print(line(f"{label}: PII (any type)", pii["tp"], pii["fp"], pii["fn"]))


def line(label: str, tp: int, fp: int, fn: int) -> str:
    p, r, f2 = f_scores(tp, fp, fn)
    return f"{label:<52} {tp:>6} {fp:>6} {fn:>6} {p:>9.3f} {r:>7.3f} {f2:>6.3f}"


def plain_loop(texts: list[str]) -> list[list[Finding]]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    offline_tldextract()
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": spacy_model_path()}]}
    engine = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine())
    return [[(r.start, r.end, r.entity_type, r.score) for r in engine.analyze(text, language="en")] for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="score only the first N texts")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is missing: this benchmark reads ../shared/datasets")
    banner()
    print("floor: the plain AnalyzerEngine().analyze loop (Presidio alone, same spaCy model), scored the same way")
    items = json.loads(DATA.read_text(encoding="utf-8"))[: args.limit]
    texts = [item["full_text"] for item in items]
    defaults = set(DEFAULT_PII_ENTITIES)
    every = {e for e in GOLD_TO_PRESIDIO.values() if e} | {s["entity_type"] for i in items for s in i["spans"]} - set(
        GOLD_TO_PRESIDIO)
    runs = [("traingate pii (default: ner)", lambda: analyze(EngineSpec("ner", "en", tuple(defaults), 0.4), texts)),
            ("traingate pii (recognizers: patterns)",
             lambda: analyze(EngineSpec("patterns", "en", tuple(defaults), 0.4), texts)),
            ("plain AnalyzerEngine().analyze loop", lambda: plain_loop(texts))]
    print(f"{len(texts)} texts of {DATA.name}\n{'':<52} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} "
          f"{'recall':>7} {'F2':>6}   (tokens)")
    for label, run in runs:
        start = time.perf_counter()
        predictions = run()
        seconds = time.perf_counter() - start
        print(f"\n{label} ({seconds:.1f} s)")
        if label.startswith("plain"):
            score("all entities it finds", items, predictions, every, True)
        score("traingate's default entities", items, predictions, defaults, not label.startswith("plain"))


if __name__ == "__main__":
    main()
