"""Scale: rows per second and peak memory of one validation of 5,000,000 synthetic SFT rows on 1 and 2
local worker processes and on the Ray engine (a local Ray instance, started inside the timed run; the
table shows how long the start took).

The contract is benchmarks/throughput.py's (every format check, quantity) plus exact duplicates, so a
check with per-row state is merged across workers too. Usage: python benchmarks/scale.py [ROWS] [--repeat N]:
with N, the configurations run N times in turn (so drift of the machine's speed touches each alike) and
the table shows medians, with every run's seconds beside them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import CACHE, CONTRACT, WORDS, cached, fresh_process

SCALE_CONTRACT = CONTRACT + "  uniqueness:\n    - {type: exact_duplicates, max_rate: 1.0}\n"


def generate(path: Path, rows: int) -> None:
    """Rows built from a pool of 20,000 random sentences (fast to write, realistic to parse)."""
    rng = np.random.default_rng(1)
    pool = [" ".join(rng.choice(WORDS, size=rng.integers(6, 18))).capitalize() + "." for _ in range(20_000)]
    picks = rng.integers(0, len(pool), size=(rows, 4))
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, rows, 100_000):
            lines = []
            for i in range(start, min(rows, start + 100_000)):
                a, b, c, d = picks[i]
                lines.append(json.dumps({"id": f"row-{i}", "instruction": pool[a], "input": "" if i % 3 else pool[b],
                                         "output": f"{pool[c]} {pool[d]} {pool[a]}"}))
            out.write("\n".join(lines) + "\n")


def measure(contract: Path, data: Path, workers: int, engine: str) -> dict[str, float]:
    code = ("import sys, time, json; from traingate.contracts import load_contract;"
            "from traingate.engine.runner import RunOptions, validate; t=time.perf_counter();"
            "r=validate(load_contract(sys.argv[1]), [sys.argv[2]],"
            " options=RunOptions(workers=int(sys.argv[3]), engine=sys.argv[4]));"
            "print(json.dumps({'seconds': time.perf_counter()-t, 'rows': r.dataset.rows, 'shards': r.dataset.shards,"
            " 'verdict': r.gate.verdict, 'ray_start': r.timings.get('ray_start', 0.0), **r.resources}))")
    result: dict[str, float] = json.loads(fresh_process(code, str(contract), str(data), str(workers), engine))
    return result


CONFIGS = (("local", 1), ("local", 2), ("ray", 2))


def main() -> None:
    args = sys.argv[1:]
    repeat = int(args.pop(args.index("--repeat") + 1)) if "--repeat" in args else 1
    args = [a for a in args if a != "--repeat"]
    rows = int(args[0]) if args else 5_000_000
    data = cached(f"scale-{rows}.jsonl", rows, generate)
    contract = CACHE / "scale-contract.yaml"
    contract.write_text(SCALE_CONTRACT)
    runs: dict[tuple[str, int], list[dict[str, float]]] = {c: [] for c in CONFIGS}
    for _ in range(repeat):
        for engine, workers in CONFIGS:
            try:
                runs[(engine, workers)].append(measure(contract, data, workers, engine))
            except subprocess.CalledProcessError as exc:
                print(f"{engine} {workers} failed: {exc.stderr.strip().splitlines()[-1:]}")
    print(f"{os.cpu_count()} cores; {rows:,} rows, {data.stat().st_size / 1e6:,.0f} MB; "
          f"{'median of ' + str(repeat) + ' runs' if repeat > 1 else 'one run'} each")
    print(f"{'engine':>8} {'workers':>8} {'shards':>7} {'seconds':>8} {'rows/s':>10} {'speed-up':>9} "
          f"{'driver RSS MiB':>15} {'worker RSS MiB':>15} {'Ray start s':>12}  runs (s)")
    base = None
    for (engine, workers), done in runs.items():
        if not done:
            continue
        seconds = statistics.median(m["seconds"] for m in done)
        m, times = done[0], " ".join(f"{d['seconds']:.1f}" for d in done)
        base = base or seconds
        print(f"{engine:>8} {workers:>8} {int(m['shards']):>7} {seconds:>8.1f} {m['rows'] / seconds:>10,.0f} "
              f"{base / seconds:>8.2f}x {max(d['peak_rss_mib'] for d in done):>15,.0f} "
              f"{max(d['worker_peak_rss_mib'] for d in done):>15,.0f} "
              f"{statistics.median(d['ray_start'] for d in done) if engine == 'ray' else 0:>12.1f}  {times}")


if __name__ == "__main__":
    main()
