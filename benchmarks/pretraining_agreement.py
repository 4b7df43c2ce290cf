"""pretraining_quality against datatrove's filters (GopherRepetitionFilter, GopherQualityFilter,
C4QualityFilter, FineWebQualityFilter) over the longer texts of ../shared/datasets (the files are listed in
tests/integration/test_pretraining_datatrove.py): per rule set, how many documents each side drops, the share
whose pass or fail agrees, every disagreement by cause, and documents per CPU second on each side.

    python benchmarks/pretraining_agreement.py [--limit N]

Needs datatrove (a dev dependency) and traingate[pretraining]. CPU seconds are one process's
(time.process_time), so the figures are per core; spaCy is loaded on both sides before timing."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine import banner, floor_read_json, load  # noqa: E402

from tests.integration.test_pretraining_datatrove import (  # noqa: E402
    agreement,
    compare,
    corpus,
    datatrove_verdicts,
)
from traingate import validate  # noqa: E402
from traingate.contracts import parse_contract  # noqa: E402
from traingate.validators.relevance.pretraining import RULE_SETS, PretrainingQualityCheck, judge  # noqa: E402
from traingate.validators.relevance.pretraining_words import strings_freed  # noqa: E402

T = TypeVar("T")
SHARED = ROOT.parent / "shared" / "datasets"
CONTRACT = ("contract: c\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n  relevance:\n"
            "    - type: pretraining_quality\n")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """What `work` returns and the CPU seconds it took in this process."""
    start = time.process_time()
    out = work()
    return out, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="Only the first N documents.")
    args = parser.parse_args()
    banner()
    docs = corpus(SHARED)
    if args.limit:  # every k-th document, so that each file keeps its share
        docs = docs[::max(1, len(docs) // args.limit)][:args.limit]
    texts = [text for _, text in docs]
    print(f"corpus: {len(texts):,} documents, {sum(map(len, texts)):,} characters, from "
          f"{len(set(s for s, _ in docs))} files")
    for source, n in Counter(s for s, _ in docs).most_common():
        print(f"  {n:>6,}  {source}")
    config = PretrainingQualityCheck(type="pretraining_quality")
    list(datatrove_verdicts(texts[:2]))
    judge(texts[0], config)  # both sides load spaCy before the clock starts
    theirs, dt_cpu = timed(lambda: list(datatrove_verdicts(texts)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "docs.jsonl"
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        contract = parse_contract(CONTRACT, str(Path(folder) / "c.yaml"))
        result, run_cpu = timed(lambda: validate(contract, [str(path)], workers=1))
        _, floor_cpu = floor_read_json(path)

    def rules_alone() -> None:
        with strings_freed():  # as the check does, a batch at a time
            for text in texts:
                judge(text, config)

    _, tg_cpu = timed(rules_alone)
    tally = compare(texts, theirs)
    print(f"\nagreement per rule set ({load()})")
    print("| rule set | docs | datatrove drops | traingate drops | pass/fail agrees | same first reason |")
    print("|---|---:|---:|---:|---:|---:|")
    (check,) = result.checks
    for name in RULE_SETS:
        counts = tally[name]
        dt_drops = sum(1 for v in theirs if v[name] is not None)
        print(f"| {name} | {len(texts):,} | {dt_drops:,} | {check.details['rule_sets'][name]:,} | "
              f"{agreement(counts):.2%} | {counts['same reason'] / len(texts):.2%} |")
    print("\ndisagreements by cause (traingate's verdict / datatrove's; None: kept)")
    causes = [(name, kind, n) for name in RULE_SETS for kind, n in tally[name].items() if kind != "same reason"]
    for name, kind, n in causes or [("-", "none", 0)]:
        print(f"  {name}: {kind}: {n}")
    print(f"\nspeed, documents per CPU second (one core; {load()})")
    print("| side | CPU s | docs/s per core |\n|---|---:|---:|")
    print(f"| datatrove, 4 filters one after another | {dt_cpu:.2f} | {len(texts) / dt_cpu:,.0f} |")
    print(f"| traingate rules alone (judge) | {tg_cpu:.2f} | {len(texts) / tg_cpu:,.0f} |")
    print(f"| traingate validate (read, check, result) | {run_cpu:.2f} | {len(texts) / run_cpu:,.0f} |")
    print(f"| bare floor: pyarrow reads the JSONL | {floor_cpu:.3f} | {len(texts) / floor_cpu:,.0f} |")


if __name__ == "__main__":
    main()
