"""What masking costs a run: seconds of `validate` spent masking the assembled run (mask_reports of
engine/run_deferred.py, timed where the runner looks it up), beside the whole run's seconds, each case in a
fresh process (start-up and model loading included).

Cases: a `distribution` feature with ROWS distinct values (each an e-mail address, or plain text with no
personal data) under a `pii` check, patterns-only and NER; and an ordinary run, the throughput benchmark's
contract plus a `pii` check, on its synthetic SFT rows. Every run is checked against the data, computed here
apart from traingate: the distribution keeps one count per distinct value (number of keys and sum of counts),
and no planted e-mail address is left anywhere in the run's JSON.

Measured on 2 cores (default rows), before (HEAD 20e5545: one dict rebuild per renamed key, the texts read in
the driver) and after (one rebuild per dict, the batch on the check's warm workers):

    case                    rows    before: run s  masking s    after: run s  masking s
    emails, patterns      20,000            300.0     296.31             3.8       1.80
    plain, patterns       20,000              3.4       1.50             2.3       0.34
    emails, ner           20,000            204.7     193.59            17.7       6.63
    plain, ner            20,000             29.9      18.42            18.5       7.63
    ordinary sft, patterns 20,000            16.9       0.88            14.9       0.01
    ordinary sft, ner      2,000             31.3       0.62            30.5       0.10

Usage: python benchmarks/masking.py [--rows N] [--ner-rows N] [--ordinary-rows N] [--ordinary-ner-rows N]
Run it on another checkout with PYTHONPATH=that/src to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from machine import banner  # noqa: E402
from throughput import CACHE, CONTRACT, cached, generate  # noqa: E402

FOLDER = CACHE / "masking"
PII = "    - {type: pii, recognizers: MODE, max_rate: 1.0}\n"
DISTRIBUTION = ("contract: masking\nversion: 1.0.0\ndataset: {kind: pretraining}\nchecks:\n  compliance:\n" + PII
                + "  coverage:\n    - {type: distribution, feature: topic, required: [sea]}\n")


def value(kind: str, i: int) -> str:
    return f"user{i}.name@mailhost{i % 97}.com" if kind == "emails" else f"topic {i} of the day"


def distinct_data(kind: str, rows: int) -> Path:
    path = FOLDER / f"{kind}-{rows}.jsonl"
    if not path.exists():
        FOLDER.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for i in range(rows):
                out.write(json.dumps({"text": f"row {i} says hello about the weather", "topic": value(kind, i)}) + "\n")
    return path


def ordinary_data(rows: int) -> Path:
    return cached(f"sft-{rows}.jsonl", rows, generate)


def one(contract_text: str, data: str) -> dict[str, Any]:
    """Run in this process: seconds of the run and of masking, the places masked and the run's JSON."""
    import traingate.engine.runner as runner
    from traingate.contracts import parse_contract

    spent: list[float] = []
    inner = runner.mask_reports

    def timed(validators: Any, run: Any) -> None:
        start = time.perf_counter()
        inner(validators, run)
        spent.append(time.perf_counter() - start)

    runner.mask_reports = timed
    contract = parse_contract(contract_text, "masking.yaml")
    start = time.perf_counter()
    result = runner.validate(contract, [data])
    seconds = time.perf_counter() - start
    checks = {c.type: c for c in result.checks}
    return {"seconds": seconds, "masking": sum(spent), "masked": checks["pii"].details.get("masked_excerpts"),
            "counts": checks["distribution"].details["counts"] if "distribution" in checks else None,
            "json": result.model_dump_json()}


def fresh(contract_text: str, data: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--one", str(data)], input=contract_text, check=True,
                         capture_output=True, text=True, env=os.environ.copy())
    found: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def verify(kind: str, rows: int, data: Path, found: dict[str, Any]) -> str:
    """The distribution lost no value and no count, and no e-mail address is left in the run."""
    if found["counts"] is None:
        return "-"
    raw = [json.loads(line)["topic"] for line in data.read_text(encoding="utf-8").splitlines()]
    counts: dict[str, int] = found["counts"]
    assert len(counts) == len(set(raw)), (len(counts), len(set(raw)))
    assert sum(counts.values()) == len(raw) == rows
    leaked = sum(v in found["json"] for v in set(raw)) if kind == "emails" else 0
    assert leaked == 0, f"{leaked} e-mail addresses left"
    return f"{len(counts):,} keys, none leaked" if kind == "emails" else f"{len(counts):,} keys"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--ner-rows", type=int, default=20_000)
    parser.add_argument("--ordinary-rows", type=int, default=20_000)
    parser.add_argument("--ordinary-ner-rows", type=int, default=2_000)  # the pii scan's NER takes ~30 ms a row here
    parser.add_argument("--one")
    args = parser.parse_args()
    if args.one:
        found = one(sys.stdin.read(), args.one)
        print(json.dumps(found))
        return
    banner()
    print("floor: the run's own seconds (run s), of which masking is a part; each case a fresh process")
    ordinary = CONTRACT.replace("  quantity:\n", "  compliance:\n" + PII + "  quantity:\n")
    cases = [(f"{kind}, {mode}", kind, rows, DISTRIBUTION.replace("MODE", mode), distinct_data(kind, rows))
             for mode, rows in (("patterns", args.rows), ("ner", args.ner_rows)) for kind in ("emails", "plain")]
    cases += [(f"ordinary sft, {mode}", "sft", rows, ordinary.replace("MODE", mode), ordinary_data(rows))
              for mode, rows in (("patterns", args.ordinary_rows), ("ner", args.ordinary_ner_rows))]
    print(f"{'case':<22} {'rows':>7} {'run s':>8} {'masking s':>10} {'share':>6} {'places masked':>14}  checked")
    for name, kind, rows, contract, data in cases:
        found = fresh(contract, data)
        print(f"{name:<22} {rows:>7,} {found['seconds']:>8.1f} {found['masking']:>10.2f} "
              f"{found['masking'] / found['seconds']:>6.0%} {found['masked']:>14,}  {verify(kind, rows, data, found)}",
              flush=True)


if __name__ == "__main__":
    main()
