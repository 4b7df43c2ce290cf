"""Texts per second of the `pii` check on 20,000 texts of ~300 characters, in both modes, against the bare
floor: a plain per-text `AnalyzerEngine().analyze` loop (same offline spaCy model, one process), asked for
traingate's default entities (the like-for-like baseline) and for all of Presidio's.

Every run is a fresh process, as a user's command runs: traingate's `validate` on a JSONL file with its
defaults (the NER pool on every core, batched), its process and pool start-up and model loading included,
nothing warm from an earlier mode. The plain loop is timed once its model is loaded and warm (its load is
shown apart), on the first PLAIN texts (it takes ~15 ms a text). Ratios: wall (texts per second) and per
core (texts per CPU second, every process of the run counted), with how many processes each used.

The texts join sentences of presidio-research's synth_dataset_v2 (real templates with planted PII) to
~300 characters. Usage: python benchmarks/pii_speed.py [--texts N] [--plain N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import run_fresh
from machine import banner, load

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "presidio_research" / "synth_dataset_v2.json"
PLAIN = ("import time, json; from presidio_analyzer import AnalyzerEngine;"
         "from presidio_analyzer.nlp_engine import NlpEngineProvider;"
         "from traingate.data.presidio_engine import offline_tldextract, spacy_model_path;"
         "from traingate.validators.compliance.pii import DEFAULT_PII_ENTITIES;"
         "texts=[json.loads(l)['text'] for l in open(sys.argv[1])][:int(sys.argv[2])];"
         "entities=DEFAULT_PII_ENTITIES if sys.argv[3]=='default' else None; t=time.perf_counter();"
         "offline_tldextract(); config={'nlp_engine_name': 'spacy', 'models': [{'lang_code': 'en',"
         " 'model_name': spacy_model_path()}]};"
         "engine=AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=config).create_engine());"
         "engine.analyze(texts[0], language='en'); loaded=time.perf_counter()-t;"
         "t, c = time.perf_counter(), time.process_time();"
         "found=sum(bool(engine.analyze(x, language='en', entities=entities)) for x in texts);"
         "print(json.dumps({'wall': time.perf_counter()-t, 'cpu': time.process_time()-c, 'texts': len(texts),"
         " 'load': loaded, 'processes': processes(), 'flagged': found}))")
TRAINGATE = ("import time, json; t, c = time.perf_counter(), cpu_seconds();"
             "from traingate.contracts import parse_contract; from traingate.engine.runner import validate;"
             "contract=parse_contract('contract: speed\\nversion: 1.0.0\\ndataset: {kind: pretraining}\\nchecks:\\n'"
             " '  compliance:\\n    - {type: pii, recognizers: ' + sys.argv[2] + ', max_rate: 1.0}\\n', 'c.yaml');"
             "r=validate(contract, [sys.argv[1]]); n=processes();"
             "print(json.dumps({'wall': time.perf_counter()-t, 'cpu': cpu_seconds()-c, 'texts': r.dataset.rows,"
             " 'load': 0.0, 'processes': n, 'flagged': r.checks[0].findings}))")


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


def row(label: str, run: dict[str, Any], floor: dict[str, Any]) -> str:
    rate, per_cpu = run["texts"] / run["wall"], run["texts"] / run["cpu"]
    floor_rate, floor_cpu = floor["texts"] / floor["wall"], floor["texts"] / floor["cpu"]
    return (f"{label:<40} {run['processes']:>5} {run['texts']:>7,} {run['wall']:>7.1f} {run['cpu']:>7.1f} "
            f"{rate:>8,.0f} {per_cpu:>9,.0f} {rate / floor_rate:>7.1f}x {per_cpu / floor_cpu:>7.1f}x "
            f"{run['load']:>6.1f} {run['flagged']:>8,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--plain", type=int, default=1_000, help="texts the plain loop analyses")
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is missing: this benchmark reads ../shared/datasets")
    banner()
    texts = texts_of(args.texts)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "texts.jsonl"
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        runs = {"plain loop, traingate's entities (floor)": run_fresh(PLAIN, str(path), str(args.plain), "default"),
                "plain loop, all entities": run_fresh(PLAIN, str(path), str(args.plain), "all")}
        for mode in ("ner", "patterns"):
            runs[f"traingate pii, recognizers: {mode}"] = run_fresh(TRAINGATE, str(path), mode)
    floor = next(iter(runs.values()))
    print(f"{len(texts):,} texts, {sum(map(len, texts)) / len(texts):.0f} characters on average; each run a fresh "
          f"process; {load()} at the end")
    print(f"floor: the plain Presidio loop, {floor['texts'] / floor['wall']:,.0f} texts/s wall and "
          f"{floor['texts'] / floor['cpu']:,.0f} texts per CPU second on one process, model loaded and warm")
    print(f"{'run':<40} {'procs':>5} {'texts':>7} {'wall s':>7} {'CPU s':>7} {'texts/s':>8} {'/CPU-s':>9} "
          f"{'x wall':>8} {'x core':>8} {'load s':>6} {'flagged':>8}")
    for label, run in runs.items():
        print(row(label, run, floor))
    print("traingate's seconds run from the fresh process's imports to the result; the plain loop's leave out "
          "its model load (load s); x wall: texts/s over the floor's; x core: texts per CPU second over the floor's")


if __name__ == "__main__":
    main()
