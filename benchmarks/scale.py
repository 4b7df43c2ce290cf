"""Scale: from what size worker processes and Ray pay. One validation of synthetic SFT rows at several sizes,
each run in a fresh process (as a user's command runs), on one process (`--workers 1`), on 2 local worker
processes (`--workers 2`) and on the Ray engine (a local Ray instance, started inside the timed run). Wall
and CPU seconds of the run (imports aside; every process the run started counted), the start-up of the pool or of Ray, and the
speed-up against one process; the floor beside each size is pyarrow's bare JSON reader on one thread.

The contract is benchmarks/throughput.py's (every format check, quantity) plus exact duplicates, so a
check with per-row state is merged across workers too.
Usage: python benchmarks/scale.py [ROWS ...] [--repeat N] [--no-ray]: with N, the configurations run N times
in turn (so drift of the machine's speed touches each alike) and the table shows medians.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import run_fresh
from machine import banner, floor_read_json, load
from throughput import CACHE, CONTRACT, WORDS, cached, prefix

SCALE_CONTRACT = CONTRACT + "  uniqueness:\n    - {type: exact_duplicates, max_rate: 1.0}\n"
CONFIGS = (("local", 1), ("local", 2), ("ray", 2))
RUN = ("import time, json; from traingate.contracts import load_contract;"
       "from traingate.engine.runner import RunOptions, validate; t=time.perf_counter(); c=cpu_seconds();"
       "r=validate(load_contract(sys.argv[1]), [sys.argv[2]],"
       " options=RunOptions(workers=int(sys.argv[3]), engine=sys.argv[4]));"
       "print(json.dumps({'wall': time.perf_counter()-t, 'cpu': cpu_seconds()-c, 'rows': r.dataset.rows,"
       " 'shards': r.dataset.shards, 'verdict': r.gate.verdict, 'read': r.timings['read_and_check'],"
       " 'start': r.timings.get('ray_start', r.timings.get('workers_start', 0.0)),"
       " 'warned': len(getattr(r, 'warnings', [])), **r.resources}))")


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


def measure(contract: Path, data: Path, engine: str, workers: int, repeat: int) -> list[dict[str, float]]:
    return [run_fresh(RUN, str(contract), str(data), str(workers), engine) for _ in range(repeat)]


def table(rows: int, data: Path, runs: dict[tuple[str, int], list[dict[str, float]]]) -> None:
    floor_wall, floor_cpu = floor_read_json(data)
    mb = data.stat().st_size / 1e6
    print(f"\n{rows:,} rows, {mb:,.1f} MB; floor: pyarrow read_json on one thread {floor_wall:.2f} s wall, "
          f"{floor_cpu:.2f} s CPU; {load()}")
    print(f"{'engine':>6} {'workers':>7} {'shards':>6} {'wall s':>7} {'CPU s':>7} {'start s':>7} {'read s':>7} "
          f"{'x one (wall)':>12} {'x one (CPU)':>11} {'x floor':>7} {'warned':>6} {'verdict':>7}  walls")
    base: dict[str, float] = {}
    for (engine, workers), done in runs.items():
        if not done:
            continue
        med = {k: statistics.median(d[k] for d in done) for k in ("wall", "cpu", "start", "read")}
        base = base or med
        walls = " ".join(f"{d['wall']:.1f}" for d in done)
        print(f"{engine:>6} {workers:>7} {int(done[0]['shards']):>6} {med['wall']:>7.2f} {med['cpu']:>7.2f} "
              f"{med['start']:>7.2f} {med['read']:>7.2f} {base['wall'] / med['wall']:>11.2f}x "
              f"{base['cpu'] / med['cpu']:>10.2f}x {med['wall'] / floor_wall:>6.1f}x {int(done[0]['warned']):>6} "
              f"{done[0]['verdict']:>7}  {walls}")


def main() -> None:
    args = sys.argv[1:]
    repeat = int(args.pop(args.index("--repeat") + 1)) if "--repeat" in args else 1
    configs = [c for c in CONFIGS if c[0] != "ray"] if "--no-ray" in args else list(CONFIGS)
    sizes = sorted(int(a) for a in args if a not in ("--repeat", "--no-ray")) or [20_000, 200_000, 1_000_000, 3_000_000]
    banner()
    print("each run in a fresh process; x one: one process's seconds over this one's (above 1: it pays); "
          "CPU: every process the run started; start: the pool's warm-up or Ray's start")
    full = cached(f"scale-{max(sizes)}.jsonl", max(sizes), generate)
    contract = CACHE / "scale-contract.yaml"
    contract.write_text(SCALE_CONTRACT)
    for rows in sizes:
        data = full if rows == max(sizes) else prefix(full, rows, "scale")
        runs: dict[tuple[str, int], list[dict[str, float]]] = {c: [] for c in configs}
        for _ in range(repeat):
            for engine, workers in configs:
                runs[(engine, workers)] += measure(contract, data, engine, workers, 1)
        table(rows, data, runs)


if __name__ == "__main__":
    main()
