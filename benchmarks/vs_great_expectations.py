"""traingate against a Great Expectations checkpoint: the same five checks (not null, regex, length
between, unique, values in set) on the same 1,000,000 JSONL rows, each tool in a fresh process that reads
the file itself; prints wall time, CPU seconds (the process and its workers), peak RSS and each tool's
verdict per check, GX's time over each tool's (wall and per CPU-second) and its memory share of GX's, and
beside them the floor: bare pyarrow reading the file and counting the five faults, with nothing else kept,
alone and after importing traingate's engine (saying whether pandas or pandera came with it).

Usage: python benchmarks/vs_great_expectations.py [ROWS] [--without-gx] [--repeat N]
(--without-gx times traingate and the floor only, against nothing: GX's run takes a minute of generation
and ten seconds a run; --repeat N runs every row N times, alternating, and prints each row's median run by
CPU seconds, for a machine other work shares)

Beside the floor with threads, `one-thread reader (floor)` is pyarrow's JSON reader alone on one thread
(machine.floor_read_json, in a fresh process, imports not counted): what reading the file costs at least.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner, children_cpu, load
from throughput import CACHE, WORDS, cached, fresh_process

CATEGORIES = ["math", "code", "chat", "writing"]
CHECKS = ["id not null", "id regex", "instruction length 1-400", "id unique", "category in set"]
CONTRACT = """\
contract: vs-gx
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: instruction, response: output}
checks:
  format:
    - type: schema
      name: id not null
      columns: {id: {nullable: false}}
    - type: schema
      name: id regex
      columns: {id: {regex: 'row-[0-9]+', nullable: true}}
    - type: schema
      name: instruction length 1-400
      columns: {instruction: {min_length: 1, max_length: 400}}
    - type: schema
      name: id unique
      columns: {id: {unique: true, nullable: true}}
    - type: schema
      name: category in set
      columns: {category: {isin: [math, code, chat, writing]}}
"""
GX_RUN = """
import json, resource, sys, time
t = time.perf_counter()
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
frame = pd.read_json(sys.argv[1], lines=True, dtype=False)
context = gx.get_context(mode="ephemeral")
batch_definition = (context.data_sources.add_pandas("frames").add_dataframe_asset("rows")
                    .add_batch_definition_whole_dataframe("all"))
suite = context.suites.add(gx.ExpectationSuite(name="vs", expectations=[
    gxe.ExpectColumnValuesToNotBeNull(column="id"),
    gxe.ExpectColumnValuesToMatchRegex(column="id", regex="^(?:row-[0-9]+)$"),
    gxe.ExpectColumnValueLengthsToBeBetween(column="instruction", min_value=1, max_value=400),
    gxe.ExpectColumnValuesToBeUnique(column="id"),
    gxe.ExpectColumnValuesToBeInSet(column="category", value_set=["math", "code", "chat", "writing"]),
]))
definition = context.validation_definitions.add(gx.ValidationDefinition(name="vs", data=batch_definition, suite=suite))
checkpoint = context.checkpoints.add(gx.Checkpoint(name="vs", validation_definitions=[definition]))
result = checkpoint.run(batch_parameters={"dataframe": frame})
outcomes = [r.success for run in result.run_results.values() for r in run.results]
print(json.dumps({"seconds": time.perf_counter() - t, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "passed": outcomes}))
"""
TRAINGATE_RUN = """
import json, os, resource, sys, time
t = time.perf_counter()
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the traingate command sets it (cli/app.py one_blas_thread)
from traingate.contracts import load_contract
from traingate.engine.runner import RunOptions, validate
r = validate(load_contract(sys.argv[1]), [sys.argv[2]], options=RunOptions(workers=int(sys.argv[3])))
print(json.dumps({"seconds": time.perf_counter() - t, "rss": max(r.resources.values()),
                  "passed": [c.status == "passed" for c in r.checks]}))
"""

# Not a tool: pyarrow reading the file on every core and five vectorised counts, with no row numbers,
# samples or report kept. No tool that reads with pyarrow can be faster on this machine.
FLOOR_RUN = """
import json, resource, sys, time
t = time.perf_counter()
if sys.argv[2:] == ["with-start-up"]:  # the imports any run of these checks pays: traingate's engine
    import traingate.engine.runner
start_up = time.perf_counter() - t
heavy = sorted(m for m in ("pandas", "pandera", "hypothesis") if m in sys.modules)
import pyarrow as pa, pyarrow.compute as pc, pyarrow.json as pj
table = pj.read_json(sys.argv[1])
ids, length = table["id"], pc.utf8_length(table["instruction"])
failing = [pc.sum(ids.is_null()).as_py(), pc.sum(pc.invert(pc.match_substring_regex(ids, "^row-[0-9]+$"))).as_py(),
           pc.sum(pc.invert(pc.and_(pc.greater_equal(length, 1), pc.less_equal(length, 400)))).as_py(),
           len(ids) - pc.count_distinct(ids, mode="all").as_py(),
           pc.sum(pc.invert(pc.is_in(table["category"], pa.array(["math", "code", "chat", "writing"])))).as_py()]
print(json.dumps({"seconds": time.perf_counter() - t, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "passed": [not f for f in failing], "start_up": start_up, "heavy": heavy}))
"""


def generate(path: Path, rows: int) -> None:
    """Rows with a few planted faults: null and malformed ids, repeated ids, empty and long instructions,
    unknown categories."""
    rng = np.random.default_rng(2)
    pool = [" ".join(rng.choice(WORDS, size=rng.integers(6, 30))).capitalize() + "." for _ in range(5_000)]
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            row: dict[str, str | None] = {"id": f"row-{i}", "instruction": pool[i % len(pool)],
                                          "output": pool[(i * 7) % len(pool)], "category": CATEGORIES[i % 4]}
            if i % 100_003 == 5:
                row["id"] = None
            elif i % 200_003 == 7:
                row["id"] = f"ROW{i}"
            elif i % 150_001 == 9:
                row["id"] = "row-1"
            if i % 250_007 == 11:
                row["instruction"] = "" if i % 2 else "x" * 401
            if i % 300_007 == 13:
                row["category"] = "poetry"
            out.write(json.dumps(row) + "\n")


ONE_THREAD = """
import json, resource, sys
sys.path.insert(0, sys.argv[2])
from machine import floor_read_json
from pathlib import Path
wall, cpu = floor_read_json(Path(sys.argv[1]))
print(json.dumps({"seconds": wall, "cpu_self": cpu, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "passed": []}))
"""


def run(code: str, *args: str) -> dict[str, object]:
    """A snippet's last line of JSON, run in a fresh process, with the CPU seconds it and its workers used."""
    cpu = children_cpu()
    result: dict[str, object] = json.loads(fresh_process(code, *args))
    result["cpu"] = children_cpu() - cpu
    return result


def median_run(done: list[dict[str, object]]) -> dict[str, object]:
    """The run whose CPU seconds are the median (the lower middle of an even count)."""
    for r in done:
        if "cpu_self" in r:  # the one-thread floor counts the reader's own CPU, not the interpreter's start
            r["cpu"] = r["cpu_self"]
    return sorted(done, key=lambda r: float(r["cpu"]))[(len(done) - 1) // 2]  # type: ignore[arg-type]


def table(results: dict[str, dict[str, object]], gx: dict[str, object] | None) -> None:
    print(f"{'tool':>23} {'wall s':>7} {'CPU s':>6} {'peak RSS MiB':>13} {'GX/wall':>8} {'GX/CPU':>7} {'memory':>7}"
          f"  verdicts ({', '.join(CHECKS)})")
    for name, r in results.items():
        wall, cpu, rss = (float(r[k]) for k in ("seconds", "cpu", "rss"))  # type: ignore[arg-type]
        ratios = (f"{float(gx['seconds']) / wall:>7.1f}x {float(gx['cpu']) / cpu:>6.1f}x "  # type: ignore[arg-type]
                  f"{rss / float(gx['rss']):>6.0%}" if gx else f"{'':>8} {'':>7} {'':>7}")  # type: ignore[arg-type]
        verdicts = " ".join("pass" if p else "FAIL" for p in r["passed"])  # type: ignore[attr-defined]
        print(f"{name:>23} {wall:>7.2f} {cpu:>6.2f} {rss:>13,.0f} {ratios}   {verdicts}")


def main() -> None:
    banner()
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    args = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith("--") and sys.argv[i - 1] != "--repeat"]
    rows = int(args[0]) if args else 1_000_000
    data = cached(f"vs-gx-{rows}.jsonl", rows, generate)
    contract = CACHE / "vs-gx.yaml"
    contract.write_text(CONTRACT)
    rows_run: dict[str, tuple[str, ...]] = {} if "--without-gx" in sys.argv else {"great_expectations": (GX_RUN, str(data))}
    rows_run |= {"traingate (default)": (TRAINGATE_RUN, str(contract), str(data), "0"),
                 "traingate (1 worker)": (TRAINGATE_RUN, str(contract), str(data), "1"),
                 "traingate (2 workers)": (TRAINGATE_RUN, str(contract), str(data), "2"),
                 "bare pyarrow (floor)": (FLOOR_RUN, str(data)),
                 "start-up + bare pyarrow": (FLOOR_RUN, str(data), "with-start-up"),
                 "one-thread reader (floor)": (ONE_THREAD, str(data), str(Path(__file__).resolve().parent))}
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in rows_run}
    for _ in range(repeat):  # alternating, so that a busy moment of the machine falls on every row alike
        for name, (code, *args) in rows_run.items():
            runs[name].append(run(code, *args))
    results = {name: median_run(done) for name, done in runs.items()}
    print(f"{rows:,} rows, {data.stat().st_size / 1e6:,.0f} MB; wall time, CPU seconds and peak RSS include reading "
          f"the file; GX/wall and GX/CPU are GX's seconds over the tool's ({load()} after the runs"
          f"{f'; median of {repeat} runs by CPU seconds' if repeat > 1 else ''})")
    table(results, results.get("great_expectations"))
    floor = results["start-up + bare pyarrow"]
    heavy = ", ".join(floor["heavy"]) or "neither pandas nor pandera"  # type: ignore[arg-type]
    print(f"floor: bare pyarrow reads and counts in {float(results['bare pyarrow (floor)']['seconds']):.2f} s; "  # type: ignore[arg-type]
          f"importing traingate's engine takes {float(floor['start_up']):.2f} s and loads {heavy}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
