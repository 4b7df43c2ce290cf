"""Checks that group equal keys under a memory limit: exact duplicates, schema `unique` and conflicting
labels on the 5,000,000 rows of benchmarks/scale.py, in one worker, without a limit and with
`--max-memory`, each in a fresh process. Prints wall time, peak RSS, what the run wrote to disk, and
whether the counts equal the unlimited run's (they must: these checks spill rather than sample).

Usage: python benchmarks/memory_limit.py [ROWS] [LIMIT_MIB]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner
from scale import generate
from throughput import CACHE, cached, fresh_process

CONTRACT = """\
contract: memory-limit
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: instruction, context: input, response: output}
checks:
  format:
    - type: schema
      columns: {instruction: {unique: true}, output: {unique: true}}
      max_rate: 1.0
  uniqueness:
    - {type: exact_duplicates, max_rate: 1.0}
  consistency:
    - {type: conflicting_labels, max_rate: 1.0}
"""
RUN = """
import json, sys, time
t = time.perf_counter()
from traingate.contracts import load_contract
from traingate.engine.runner import RunOptions, validate
limit = float(sys.argv[3]) or None
r = validate(load_contract(sys.argv[1]), [sys.argv[2]], options=RunOptions(workers=1, max_memory_mib=limit))
print(json.dumps({"seconds": time.perf_counter() - t, "rss": r.resources["peak_rss_mib"],
                  "actions": r.dataset.memory_actions, "stopped": r.dataset.stopped_early,
                  "counts": {c.id: [c.findings, c.details.get("by_reason"), c.details.get("clusters")]
                             for c in r.checks}}))
"""


def main() -> None:
    banner()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    limit = sys.argv[2] if len(sys.argv) > 2 else "400"
    data = cached(f"scale-{rows}.jsonl", rows, generate)
    contract = CACHE / "memory-limit.yaml"
    contract.write_text(CONTRACT)
    free = json.loads(fresh_process(RUN, str(contract), str(data), "0"))
    held = json.loads(fresh_process(RUN, str(contract), str(data), limit))
    print(f"{rows:,} rows, {data.stat().st_size / 1e6:,.0f} MB, one worker; floor: the run without a limit (its "
          "counts are the truth the limited run must equal)")
    print(f"{'run':>22} {'seconds':>8} {'peak RSS MiB':>13} {'spills':>7}  counts")
    for name, r in (("no limit", free), (f"--max-memory {limit}MiB", held)):
        same = "the same" if r["counts"] == free["counts"] else "DIFFERENT"
        print(f"{name:>22} {r['seconds']:>8.1f} {r['rss']:>13,.0f} {len(r['actions']):>7}  {same}"
              + (f"; stopped: {r['stopped']}" if r["stopped"] else ""))
    for check, (findings, reasons, clusters) in free["counts"].items():
        print(f"  {check}: {findings:,} findings" + (f", {clusters:,} clusters" if clusters is not None else "")
              + (f", {reasons}" if reasons else ""))
    if held["actions"]:
        print(f"  first and last memory action: {held['actions'][0]} ... {held['actions'][-1]}")


if __name__ == "__main__":
    main()
