"""What `traingate filter` costs beside `validate` alone: the same contract over synthetic SFT rows of which
10% are at fault (too long, trailing spaces, a repeated id, an exact copy of an earlier row, a near copy,
an unreadable line), each run in a fresh process, the two alternating, three times each (the medians are printed: the machine may
be shared). Filter validates with every finding kept, then writes the
kept rows (JSON lines copied byte for byte) and the rejected rows (--rejects). Prints wall time, MB/s of
input, peak RSS of the process, the part spent writing, and checks the counts: kept + dropped = the input's
records, and the output holds exactly the kept lines.

Usage: python benchmarks/filter_speed.py [ROWS] [WORKERS] [REPEATS]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner
from planted import FAULTS, write_faulty_sft
from throughput import CACHE, cached, fresh_process

CONTRACT = """\
contract: filter-speed
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
  quantity:
    - {type: min_rows, min: 1000}
"""
VALIDATE = """
import json, sys, time
t = time.perf_counter()
import traingate
from traingate.engine.fold import peak_rss_mib
r = traingate.validate(sys.argv[1], [sys.argv[2]], workers=int(sys.argv[4]))
print(json.dumps({"seconds": time.perf_counter() - t, "rss": peak_rss_mib(), "rows": r.dataset.rows}))
"""
FILTER = """
import json, sys, time
t = time.perf_counter()
from functools import partial
from traingate.api import run_options
from traingate.contracts import load_contract
from traingate.engine.filter import filter_data
from traingate.engine.fold import peak_rss_mib
from traingate.reports.json import write_rejects
done = filter_data(load_contract(sys.argv[1]), [sys.argv[2]], sys.argv[3], options=run_options(workers=int(sys.argv[4])),
                   rejects=partial(write_rejects, path=sys.argv[3].rstrip("/") + "-rejects.jsonl"))
print(json.dumps({"seconds": time.perf_counter() - t, "rss": peak_rss_mib(), "rows": done.result.dataset.rows,
                  "kept": done.kept, "dropped": done.dropped, "unreadable": done.unreadable,
                  "writing": done.seconds.get("write", 0.0), "rejects": done.result.timings.get("rejects", 0.0),
                  "outputs": done.outputs}))
"""


def generate(path: Path, rows: int) -> None:
    """`rows` SFT lines; one in ten at fault in one way (about 1.7 in a hundred each way, one way unreadable)."""
    write_faulty_sft(path, rows, seed=11, faults=FAULTS)


def copy_seconds(data: Path, to: Path) -> float:
    """Seconds to copy the file line by line (the floor of writing the kept rows)."""
    start = time.perf_counter()
    with data.open("rb") as src, to.open("wb") as dst:
        for line in src:
            dst.write(line)
    seconds = time.perf_counter() - start
    to.unlink()
    return seconds


def written_lines(outputs: list[str]) -> int:
    return sum(sum(1 for _ in open(o, "rb")) for o in outputs)


def main() -> None:
    banner()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    workers = sys.argv[2] if len(sys.argv) > 2 else "1"
    data = cached(f"filter-{rows}.jsonl", rows, generate)
    contract = CACHE / "filter-speed.yaml"
    contract.write_text(CONTRACT)
    out = str(CACHE / "filter-out") + "/"
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    timed: dict[str, list[dict[str, Any]]] = {"validate": [], "filter": []}
    for _ in range(repeats):
        for name, code in (("validate", VALIDATE), ("filter", FILTER)):
            timed[name].append(json.loads(fresh_process(code, str(contract), str(data), out, workers)))
    runs = {name: {**found[-1], **{k: statistics.median(r[k] for r in found) for k in ("seconds", "rss", "writing",
                                                                                       "rejects") if k in found[0]}}
            for name, found in timed.items()}
    megabytes = data.stat().st_size / 1e6
    print(f"{rows:,} SFT lines, {megabytes:,.0f} MB, 10% at fault; {workers} worker(s); five row-level checks; "
          f"medians of {repeats}")
    floor = copy_seconds(data, CACHE / "filter-copy.jsonl")
    print(f"floor: validate alone (filter's first pass); writing: a bare copy of the file, {floor:.2f} s "
          f"({megabytes / floor:,.0f} MB/s; pyarrow's reader refuses the planted unreadable line)")
    print(f"{'run':>9} {'seconds':>8} {'MB/s':>7} {'peak RSS MiB':>13} {'writing s':>10} {'rejects s':>10}")
    for name, r in runs.items():
        print(f"{name:>9} {r['seconds']:>8.1f} {megabytes / r['seconds']:>7.1f} {r['rss']:>13.0f} "
              f"{r.get('writing', 0.0):>10.2f} {r.get('rejects', 0.0):>10.2f}")
    f = runs["filter"]
    lines = written_lines(f["outputs"])
    print(f"filter / validate: {f['seconds'] / runs['validate']['seconds']:.2f}x; kept {f['kept']:,}, dropped "
          f"{f['dropped']:,} ({f['unreadable']:,} unreadable); kept + dropped = {f['kept'] + f['dropped']:,} of "
          f"{rows:,} lines ({'agrees' if f['kept'] + f['dropped'] == rows else 'DISAGREES'}); output lines "
          f"{lines:,} ({'agrees' if lines == f['kept'] else 'DISAGREES'})")


if __name__ == "__main__":
    main()
