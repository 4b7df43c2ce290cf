"""What `validate --evidence` costs: the same run over synthetic SFT rows of which 10% are at fault (too long,
trailing spaces, a repeated id, an exact copy of an earlier row, a near copy), without the evidence, with it,
and with it under `--max-memory` (the findings written to disk as the run goes), each in a fresh process on
one worker. Prints wall time (and the part spent streaming the findings to the file), peak RSS of the whole
process (the evidence is written after the run's own peak is recorded, so it is read here), the lines
written and whether they match the checks' counts.

Usage: python benchmarks/evidence_cost.py [ROWS] [LIMIT_MIB]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner, floor_read_json
from planted import FAULTS, write_faulty_sft
from throughput import CACHE, cached, fresh_process

CONTRACT = """\
contract: evidence-cost
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: whitespace, max_rate: 1.0}
    - {type: max_chars, limit: 600, fields: [response], max_rate: 1.0}
    - type: schema
      columns: {id: {dtype: int, unique: true}}
      max_rate: 1.0
  uniqueness:
    - {type: exact_duplicates, max_rate: 1.0}
    - {type: near_duplicates, max_rate: 1.0}
  consistency:
    - {type: conflicting_labels, max_rate: 1.0}
"""
RUN = """
import json, sys, time
t = time.perf_counter()
import traingate
from traingate.engine.fold import peak_rss_mib
evidence = sys.argv[3] or None
r = traingate.validate(sys.argv[1], [sys.argv[2]], workers=1, max_memory=float(sys.argv[4]) or None, evidence=evidence)
seconds = time.perf_counter() - t
lines = sum(1 for _ in open(evidence)) if evidence else 0
print(json.dumps({"seconds": seconds, "rss": peak_rss_mib(), "writing": r.timings.get("evidence", 0.0), "lines": lines,
                  "bytes": __import__("os").path.getsize(evidence) if evidence else 0,
                  "spilled": sum("findings to disk" in a for a in r.dataset.memory_actions),
                  "counted": sum(sum(c.details["by_reason"].values()) if "by_reason" in c.details else
                                 c.findings + c.details.get("clusters", 0) * c.type.endswith("duplicates")
                                 for c in r.checks), "verdict": r.gate.verdict}))
"""


def generate(path: Path, rows: int) -> None:
    """`rows` SFT rows; one in ten is at fault in one way (two in a hundred each way)."""
    write_faulty_sft(path, rows, seed=7, faults=FAULTS[:5])


def main() -> None:
    banner()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    limit = sys.argv[2] if len(sys.argv) > 2 else "300"
    data = cached(f"evidence-{rows}.jsonl", rows, generate)
    contract = CACHE / "evidence-cost.yaml"
    contract.write_text(CONTRACT)
    evidence = str(CACHE / "evidence-cost.jsonl")
    runs = {"without --evidence": ("", "0"), "--evidence": (evidence, "0"),
            f"--evidence, --max-memory {limit}MiB": (evidence, limit)}
    found = {name: json.loads(fresh_process(RUN, str(contract), str(data), *args)) for name, args in runs.items()}
    print(f"{rows:,} SFT rows, {data.stat().st_size / 1e6:,.0f} MB, 10% at fault; one worker; six row-level checks")
    print(f"floor: the run without --evidence (each run beside it); the bare reader, pyarrow read_json on one thread: "
          f"{floor_read_json(data)[0]:.2f} s")
    print(f"{'run':>34} {'seconds':>8} {'of which writing':>17} {'peak RSS MiB':>13} {'lines':>9} {'MB':>6} {'spills':>7}"
          "  lines = findings")
    for name, r in found.items():
        agrees = "yes" if not r["lines"] or r["lines"] == r["counted"] else f"no ({r['counted']})"
        print(f"{name:>34} {r['seconds']:>8.1f} {r['writing']:>17.2f} {r['rss']:>13.0f} {r['lines']:>9,} "
              f"{r['bytes'] / 1e6:>6.1f} {r['spilled']:>7}  {agrees}")


if __name__ == "__main__":
    main()
