"""Texts per second of the `pii` check on 20,000 texts of ~300 characters, in both modes, beside a plain
per-text `AnalyzerEngine().analyze` loop in the same run (same offline spaCy model), asked for traingate's
default entities (the like-for-like baseline, "x plain") and for all of Presidio's.

The texts join sentences of presidio-research's synth_dataset_v2 (real templates with planted PII) to
~300 characters. traingate runs as a user runs it: `validate` on a JSONL file, all cores, batched, with
process start-up included. The plain loop runs on the first PLAIN texts (it takes ~20 ms a text).

Usage: python benchmarks/pii_speed.py [--texts N] [--plain N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from traingate.contracts import parse_contract
from traingate.data.presidio import offline_tldextract, spacy_model_path
from traingate.engine.runner import validate
from traingate.validators.compliance.pii import DEFAULT_PII_ENTITIES

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "presidio_research" / "synth_dataset_v2.json"


def texts_of(n: int, length: int = 300) -> list[str]:
    sentences = [item["full_text"] for item in json.loads(DATA.read_text(encoding="utf-8"))]
    rng = random.Random(0)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < length:
            text += rng.choice(sentences).strip() + " "
        out.append(text[: length + 40].strip())
    return out


def plain_loop(texts: list[str], entities: list[str] | None) -> float:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    offline_tldextract()
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": spacy_model_path()}]}
    engine = AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine())
    engine.analyze(texts[0], language="en")  # model loaded and warm before the clock starts
    start = time.perf_counter()
    for text in texts:
        engine.analyze(text, language="en", entities=entities)
    return time.perf_counter() - start


def traingate(path: Path, recognizers: str) -> tuple[float, int]:
    contract = parse_contract(f"contract: speed\nversion: 1.0.0\ndataset: {{kind: pretraining}}\nchecks:\n"
                              f"  compliance:\n    - {{type: pii, recognizers: {recognizers}, max_rate: 1.0}}\n", "c.yaml")
    start = time.perf_counter()
    result = validate(contract, [str(path)])
    return time.perf_counter() - start, result.checks[0].findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--plain", type=int, default=1_000, help="texts the plain loop analyses")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is missing: this benchmark reads ../shared/datasets")
    texts = texts_of(args.texts)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.jsonl"
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        plain = args.plain / plain_loop(texts[: args.plain], DEFAULT_PII_ENTITIES)
        rows = [("plain loop, traingate's entities (1 core)", args.plain, plain, None),
                ("plain loop, all entities (1 core)", args.plain, args.plain / plain_loop(texts[: args.plain], None), None)]
        for mode in ("ner", "patterns"):
            seconds, flagged = traingate(path, mode)
            rows.append((f"traingate pii, recognizers: {mode} ({os.cpu_count()} cores)", len(texts),
                         len(texts) / seconds, flagged))
    print(f"{len(texts):,} texts, {sum(map(len, texts)) / len(texts):.0f} characters on average\n")
    print(f"{'run':<46} {'texts':>7} {'texts/s':>9} {'x plain':>8} {'rows flagged':>13}")
    for label, n, rate, flagged in rows:
        print(f"{label:<46} {n:>7,} {rate:>9,.0f} {rate / plain:>8.1f} {'' if flagged is None else f'{flagged:,}':>13}")


if __name__ == "__main__":
    main()
