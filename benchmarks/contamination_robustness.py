"""How often `contamination` finds an eval item copied with a few words changed, by n-gram length.

GSM8K test questions (the eval set, all 1,319) are planted, one per row, into the middle of LIMA
responses (SFT rows), with 0 to 3 of their words replaced by other words at random positions. Each row
holds at most one planted question, so the truth is known: a planted row is found when the check flags it.
The same LIMA rows without plants give the rows flagged by chance (false positives).

Usage: python benchmarks/contamination_robustness.py [--items 200] [--ngrams 13 8] [--seed 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner

from traingate.contracts import parse_contract
from traingate.engine.runner import validate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
EDITS = (0, 1, 2, 3)


def lima_rows() -> list[dict[str, str]]:
    with gzip.open(SHARED / "lima_and_oasst_zh" / "lima.json.gz", "rt", encoding="utf-8") as raw:
        return [{"prompt": r["instruction"], "response": r["output"]} for r in json.load(raw)]


def edit(question: str, edits: int, rng: random.Random, vocabulary: list[str]) -> str:
    words = question.split()
    for position in rng.sample(range(len(words)), edits):
        words[position] = rng.choice(vocabulary)
    return " ".join(words)


def plant(rows: list[dict[str, str]], questions: list[str], items: int, edits: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    vocabulary = sorted({w for r in rows[:200] for w in r["response"].split() if w.isalpha()})
    out = [dict(r) for r in rows]
    for line, question in zip(rng.sample(range(len(rows)), items), rng.sample(questions, items)):
        words = out[line]["response"].split(" ")
        middle = len(words) // 2
        out[line]["response"] = " ".join(words[:middle] + [edit(question, edits, rng, vocabulary)] + words[middle:])
    return out


def flagged(rows: list[dict[str, str]], ngram: int, folder: Path) -> int:
    data = folder / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    contract = (f"contract: bench\nversion: 1.0.0\ndataset:\n  kind: sft\nchecks:\n  uniqueness:\n"
                f"    - type: contamination\n      ngram: {ngram}\n"
                f"      against: [{{path: {SHARED / 'gsm8k' / 'test.jsonl'}, field: question}}]\n")
    (check,) = validate(parse_contract(contract, str(folder / "c.yaml")), [str(data)]).checks
    findings: Any = check.findings
    return int(findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200, help="planted questions per run")
    parser.add_argument("--ngrams", type=int, nargs="+", default=[13, 8])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    banner()
    print("floor: the clean LIMA rows flagged by chance (subtracted from each share)")
    rows = lima_rows()
    with (SHARED / "gsm8k" / "test.jsonl").open(encoding="utf-8") as raw:
        questions = [json.loads(line)["question"] for line in raw]
    with tempfile.TemporaryDirectory() as folder:
        print(f"{args.items} GSM8K questions planted in {len(rows)} LIMA rows; share found by words changed")
        print(f"{'ngram':>5} | " + " | ".join(f"{e} changed" for e in EDITS) + " | clean rows flagged")
        for ngram in args.ngrams:
            shares = [flagged(plant(rows, questions, args.items, e, args.seed), ngram, Path(folder)) for e in EDITS]
            chance = flagged(rows, ngram, Path(folder))
            print(f"{ngram:>5} | " + " | ".join(f"{(s - chance) / args.items:>9.1%}" for s in shares) + f" | {chance}")


if __name__ == "__main__":
    main()
