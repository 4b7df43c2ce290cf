"""What `validate --rejects` costs in memory and time: the same run over synthetic SFT rows of which 10% are
planted faults (a response too long, trailing spaces, a repeated id, an exact copy of an earlier row), without
rejects, with them (each check's findings go to the spill folder past 65,536 in memory), and with them held
whole in memory (the bound lifted), each in a fresh process on one worker. Prints wall time, the part spent
writing the file, peak RSS of the pass (as the run reports it) and of the whole process (the file is written
after the pass), the findings the checks hold in memory when the pass ends (their largest: they only grow until
they are written to disk), the rows written, and whether they are the rows found independently here (plain
Python over the file: the same four rules, a duplicate's first row kept). Peak RSS moves by tens of MiB from one
run to the next on a shared machine; the findings held are exact.

Usage: python benchmarks/rejects_cost.py [ROWS]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner
from planted import FAULTS, write_faulty_sft
from throughput import CACHE, cached, fresh_process

CONTRACT = """\
contract: rejects-cost
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
"""
RUN = """
import json, sys, time
t = time.perf_counter()
from traingate.contracts import load_contract
from traingate.engine.memory import peak_rss_mib
from traingate.engine.runner import RunOptions, validate
from traingate.reports.json import write_rejects
from traingate.validators.common import findings
rejects = sys.argv[3] or None
if sys.argv[4] == "whole":
    findings.MEMORY_BOUND = 1 << 62
held = []
def write(run):
    kept = [getattr(s, "findings", None) for s in run.states]
    held.append(sum(t.nbytes for f in kept if f is not None for t in f.rows.memory))
    write_rejects(run.rejected_rows(), rejects)
r = validate(load_contract(sys.argv[1]), [sys.argv[2]], options=RunOptions(workers=1), finished=write if rejects else None)
seconds = time.perf_counter() - t
rows = [json.loads(line)["line"] for line in open(rejects)] if rejects else []
print(json.dumps({"seconds": seconds, "pass_rss": r.resources["peak_rss_mib"], "rss": peak_rss_mib(),
                  "writing": r.timings.get("rejects", 0.0), "rows": rows, "held": sum(held) / 2**20}))
"""


def generate(path: Path, rows: int) -> None:
    """`rows` SFT rows; one in ten is a planted fault, one in forty each way."""
    write_faulty_sft(path, rows, seed=11, faults=FAULTS[:4])


def independent(path: Path) -> list[int]:
    """The lines to reject, by the contract's four rules, in plain Python."""
    ids: set[int] = set()
    pairs: set[int] = set()
    lines = []
    with path.open(encoding="utf-8") as rows:
        for line, text in enumerate(rows, 1):
            row = json.loads(text)
            prompt, response = row["prompt"], row["response"]
            bad = len(response) > 600 or any(t != t.strip() or "  " in t for t in (prompt, response))
            bad |= row["id"] in ids
            bad |= hash((prompt, response)) in pairs
            ids.add(row["id"])
            pairs.add(hash((prompt, response)))
            if bad:
                lines.append(line)
    return lines


def main() -> None:
    banner()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data = cached(f"rejects-{rows}.jsonl", rows, generate)
    contract = CACHE / "rejects-cost.yaml"
    contract.write_text(CONTRACT)
    rejects = str(CACHE / "rejects-cost.jsonl")
    want = independent(data)
    runs = {"without --rejects": ("", ""), "--rejects": (rejects, ""), "--rejects, held whole": (rejects, "whole")}
    found = {name: json.loads(fresh_process(RUN, str(contract), str(data), *args)) for name, args in runs.items()}
    base = found["without --rejects"]
    print(f"{rows:,} SFT rows, {data.stat().st_size / 1e6:,.0f} MB, {len(want):,} to reject "
          f"({len(want) / rows:.1%}); one worker; four row-level checks; floor: the run without --rejects "
          "(vs without), the rows to reject found by plain Python over the file")
    print(f"{'run':>22} {'seconds':>8} {'writing':>8} {'pass RSS MiB':>13} {'peak RSS MiB':>13} {'vs without':>11} "
          f"{'findings held MiB':>18} {'rows':>9}  rows = independent")
    for name, r in found.items():
        growth = r["rss"] - base["rss"]
        agrees = "" if not r["rows"] else "yes" if r["rows"] == want else f"no ({len(want):,})"
        print(f"{name:>22} {r['seconds']:>8.1f} {r['writing']:>8.2f} {r['pass_rss']:>13.0f} {r['rss']:>13.0f} "
              f"{growth:>+11.1f} {r['held']:>18.2f} {len(r['rows']):>9,}  {agrees}")


if __name__ == "__main__":
    main()
