"""`semantic_duplicates` (defaults) on long texts whose rows are all distinct, through the check as it folds
and groups: rows put in a cluster, duplicates (rows beyond the first of each cluster), clusters, the largest.
Then recall: 40 near-copies planted among the 805 alpaca_eval GPT-4 responses (by turns: 5% of the words
replaced, the sentences shuffled, a paragraph dropped), and how many of the 40 pairs end in one cluster.
Then speed: 50,000 distinct rows (paragraphs of alpaca_eval outputs and LIMA responses, GSM8K questions and
answers, fields of code_alpaca, GPTeacher and hh-rlhf records, MMLU questions) folded and grouped: CPU seconds, rows per CPU
second, and the peak resident memory of that process.

Runs whichever traingate is importable: `PYTHONPATH=OLD/src python benchmarks/semantic_long.py` measures an
older tree beside this one.  Usage: python benchmarks/semantic_long.py [--only quality|speed] [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from dedup_common import fold, validator
from machine import banner

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FIELD_SEP = " \x1f "  # how the check joins a row's fields


def _json(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    text = gzip.decompress(raw) if path.suffix == ".gz" else raw
    if path.name.endswith(".jsonl") or path.name.endswith(".jsonl.gz"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    loaded: list[dict[str, str]] = json.loads(text)
    return loaded


def sets() -> dict[str, list[str]]:
    alpaca = _json(SHARED / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json")
    lima = _json(SHARED / "lima_and_oasst_zh" / "lima.json.gz")
    gsm = _json(SHARED / "gsm8k" / "test.jsonl")
    humaneval = _json(SHARED / "humaneval" / "HumanEval.jsonl.gz")
    return {"alpaca_eval prompt+response": [r["instruction"] + FIELD_SEP + r["output"] for r in alpaca],
            "alpaca_eval response": [r["output"] for r in alpaca],
            "alpaca_eval prompt": [r["instruction"] for r in alpaca],
            "lima prompt+response": [r["instruction"] + FIELD_SEP + r["output"] for r in lima],
            "gsm8k test answer": [r["answer"] for r in gsm],
            "gsm8k test question+answer": [r["question"] + FIELD_SEP + r["answer"] for r in gsm],
            "humaneval prompt+solution": [r["prompt"] + FIELD_SEP + r["canonical_solution"] for r in humaneval]}


def near_copy(text: str, kind: int, rng: random.Random, vocabulary: list[str]) -> str:
    if kind == 0:
        return " ".join(rng.choice(vocabulary) if rng.random() < 0.05 else w for w in text.split())
    if kind == 1:
        sentences = re.split(r"(?<=[.!?])\s+", text)
        rng.shuffle(sentences)
        return " ".join(sentences)
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 1:
        del paragraphs[rng.randrange(len(paragraphs))]
        return "\n\n".join(paragraphs)
    words = text.split()  # one paragraph: drop a fifth of its words in one span
    cut = len(words) // 5
    at = rng.randrange(len(words) - cut + 1)
    return " ".join(words[:at] + words[at + cut:])


def clusters(texts: list[str]) -> list[list[int]]:
    v = validator("{type: semantic_duplicates}")
    return [[int(i) for i in g] for g in v.clusters(fold(v, texts))]


def quality() -> None:
    print(f"{'set':<28} {'rows':>6} {'flagged':>8} {'duplicates':>10} {'clusters':>8} {'largest':>7}")
    for name, texts in sets().items():
        groups = clusters(texts)
        print(f"{name:<28} {len(texts):>6} {sum(map(len, groups)):>8} {sum(len(g) - 1 for g in groups):>10} "
              f"{len(groups):>8} {max(map(len, groups), default=0):>7}", flush=True)
    responses = sets()["alpaca_eval response"]
    rng = random.Random(0)
    vocabulary = [w for t in responses[:200] for w in t.split()]
    sources = rng.sample(range(len(responses)), 40)
    copies = [near_copy(responses[i], k % 3, rng, vocabulary) for k, i in enumerate(sources)]
    where = {i: n for n, g in enumerate(clusters(responses + copies)) for i in g}
    found = [i in where and where.get(len(responses) + k) == where[i] for k, i in enumerate(sources)]
    by_kind = [sum(found[k::3]) for k in range(3)]
    print(f"\nplanted near-copies found: {sum(found)} of 40 (5% words replaced {by_kind[0]}/14, sentences shuffled "
          f"{by_kind[1]}/13, a paragraph dropped {by_kind[2]}/13)")


def speed_rows(n: int) -> list[str]:
    rows: dict[str, None] = {}
    for name in ("gpt4_1106_preview_model_outputs.json", "alpaca-7b_model_outputs.json",
                 "text_davinci_003_model_outputs.json"):
        for r in _json(SHARED / "alpaca_eval" / name):
            rows.update(dict.fromkeys(p.strip() for p in r["output"].split("\n\n") if p.strip()))
    for r in _json(SHARED / "lima_and_oasst_zh" / "lima.json.gz"):
        rows.update(dict.fromkeys(p.strip() for p in r["output"].split("\n\n") if p.strip()))
    for r in _json(SHARED / "gsm8k" / "train.jsonl.gz"):
        rows.update(dict.fromkeys([r["question"], r["answer"]]))
    for path in (SHARED / "code_alpaca" / "new_codealpaca.json.gz", SHARED / "gpteacher" / "codegen-instruct.json.gz",
                 SHARED / "gpteacher" / "roleplay-simple-deduped-roleplay-instruct.json.gz",
                 SHARED / "hh_rlhf_harmless_base_test" / "test.jsonl.gz"):
        for r in _json(path):
            rows.update(dict.fromkeys(v.strip() for v in r.values() if isinstance(v, str) and len(v.split()) >= 3))
    for path in sorted((SHARED / "mmlu" / "test").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            rows.update(dict.fromkeys(r[0].strip() for r in csv.reader(f) if r and r[0].strip()))
    out = list(rows)
    if len(out) < n:
        raise SystemExit(f"only {len(out)} distinct rows for the speed run")
    return random.Random(1).sample(out, n)


def speed(n: int) -> None:
    texts = speed_rows(n)
    v = validator("{type: semantic_duplicates}")
    fold(v, ["warm the model up"])
    cpu = time.process_time()
    state = fold(v, texts)
    embedded = time.process_time() - cpu
    groups = v.clusters(state)
    total = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(json.dumps({"rows": n, "mean_words": round(words, 1), "fold_cpu_s": round(embedded, 2),
                      "group_cpu_s": round(total - embedded, 2), "rows_per_cpu_s": round(n / total),
                      "peak_rss_mib": round(peak), "duplicates": sum(len(g) - 1 for g in groups)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["quality", "speed"])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--speed-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is missing: this benchmark reads real datasets from ../shared/datasets")
    if args.speed_child:
        speed(args.rows)
        return
    banner()
    if args.only != "speed":
        quality()
    if args.only != "quality":  # a fresh process, so that its peak memory is the speed run's own
        subprocess.run([sys.executable, __file__, "--speed-child", "--rows", str(args.rows)], check=True)


if __name__ == "__main__":
    main()
