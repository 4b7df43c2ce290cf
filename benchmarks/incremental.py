"""Incremental runs with --cache: 2M synthetic SFT rows in 20 JSON lines files (benchmarks/scale.py's rows and
contract: every format check, quantity, exact duplicates), each run in a fresh process on one worker:

1. a full run without a cache;
2. the same run with an empty cache (what writing the entries costs);
3. the cached re-run over unchanged data (every state and every check's finished result from the cache; a
   file whose stat is the one recorded is not hashed), and the same with --cache-verify (every file hashed);
4. the same with the finished results removed from the cache: the 20 files' merged state (one entry per
   check, engine/cache_prefix.py) finished again (the second look reads the sample rows); and with the merged
   state removed too: each file's states merged again (exact duplicates groups its 2M keys);
5. the run after a 21st file of 100,000 rows is appended (only it is read; the 20 files' merged state is
   loaded, and exact duplicates looks the new rows' keys up in its summary of their rows), and a full run of
   the 21 files;
6. the new file checked alone, without a cache: the append run is that plus loading the 20 files' merged
   state, hashing the new file and writing its entries.

Wall and CPU seconds of each run (from the call of validate: the imports before it, about 0.4 s, aside) and
the ratios the cache is meant to reach: the cached re-run at least 10x faster than the full run, the append
run about a twentieth of it plus a fixed start-up (the start-up is measured as a validation of one 10-row
file). Each result is compared with the full run of the same files (checks, rows, fingerprint,
distributions). The floor beside it: pyarrow's bare JSON reader on one file, times 20.
The short runs (start-up, the append run, the new file alone) vary by a third from one run to the next on a
shared machine: each repeat takes them 5 times in turn, the append run each time on a hard-linked copy of the
20 files' cache, and the table gives medians.
Usage: python benchmarks/incremental.py [--repeat N]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh import run_fresh
from machine import banner, floor_read_json, load
from scale import SCALE_CONTRACT, generate
from throughput import CACHE

FILES, ROWS_PER_FILE = 20, 100_000
SHORT = 5  # times each short run (start-up, append, the new file alone) is taken in a repeat
DIR = CACHE / "incremental"
RUN = ("import os, time, json; os.environ.setdefault('OPENBLAS_NUM_THREADS', '1');"  # as the command sets it
       "from traingate.contracts import load_contract;"
       "from traingate.engine.runner import RunOptions, validate; t=time.perf_counter(); c=cpu_seconds();"
       "r=validate(load_contract(sys.argv[1]), json.loads(sys.argv[2]),"
       " options=RunOptions(workers=1, cache=sys.argv[3] or None, cache_verify=sys.argv[4] == 'verify'));"
       "d=r.model_dump(mode='json'); cache=d['dataset'].pop('cache', None);"
       "print(json.dumps({'wall': time.perf_counter()-t, 'cpu': cpu_seconds()-c, 'rows': r.dataset.rows,"
       " 'same': __import__('hashlib').sha256(json.dumps([d['checks'], d['dataset']['fingerprint'],"
       " d['dataset']['rows'], d['distributions']], sort_keys=True).encode()).hexdigest(),"
       " 'read': len(cache['read_files']) if cache else None, 'warnings': d.get('warnings', [])}))")


def parts() -> list[Path]:
    """21 files of 100,000 rows, cut from one generated file the first time."""
    DIR.mkdir(parents=True, exist_ok=True)
    files = [DIR / f"part-{i:02d}.jsonl" for i in range(FILES + 1)]
    if not all(f.exists() for f in files):
        whole = DIR / "whole.jsonl"
        generate(whole, ROWS_PER_FILE * (FILES + 1))
        with whole.open("rb") as source:
            for path in files:
                with path.open("wb") as out:
                    for _, line in zip(range(ROWS_PER_FILE), source):
                        out.write(line)
        whole.unlink()
    return files


def _linked_copy(store: Path) -> Path:
    """A copy of the cache of the 20 files whose entries are hard links to its own: an append run writes
    its new entries (each a file renamed into place) in the copy, and the next one starts again from the
    20 files' cache, without a copy of 140 MB written to the disk in between."""
    copy = store.with_name("cache-append")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store, copy, copy_function=os.link)
    return copy


def _drop(store: Path, *endings: str) -> None:
    from traingate.engine.cache_evict import entries

    for entry in entries(str(store)):
        if entry.label.endswith(endings):
            Path(entry.path).unlink()


def run(contract: Path, files: list[Path], cache: Path | None, verify: bool = False) -> dict[str, object]:
    return run_fresh(RUN, str(contract), json.dumps([str(f) for f in files]), str(cache) if cache else "",
                     "verify" if verify else "")


def main() -> None:
    banner()
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    files = parts()
    contract = DIR / "contract.yaml"
    contract.write_text(SCALE_CONTRACT)
    tiny = DIR / "tiny.jsonl"
    tiny.write_text("".join(f.read_text().splitlines(True)[0] for f in [files[0]]) * 10)
    floor_wall, floor_cpu = floor_read_json(files[0])
    print(f"floor: pyarrow's JSON reader on one file ({files[0].stat().st_size / 1e6:.0f} MB), one thread: "
          f"{floor_wall:.2f} s wall, {floor_cpu:.2f} s CPU; x{FILES}: {floor_cpu * FILES:.1f} s CPU")
    results: dict[str, list[dict[str, object]]] = {}
    for _ in range(repeat):
        store = DIR / "cache"
        shutil.rmtree(store, ignore_errors=True)
        for name, data, cache in (("start-up (10 rows)", [tiny], None), ("full, no cache", files[:FILES], None),
                                  ("full, empty cache", files[:FILES], store), ("cached re-run", files[:FILES], store),
                                  ("cached, verified", files[:FILES], store), ("states merged", files[:FILES], store),
                                  ("merged file by file", files[:FILES], store), ("full of 21 files", files, None)):
            if name == "states merged":
                _drop(store, "finished result")
            if name == "merged file by file":  # the 20 files' merged state too (the run writes it again)
                _drop(store, "finished result", "merged state")
            outcome = run(contract, data, cache, verify=name == "cached, verified")
            results.setdefault(name, []).append(outcome | {"load": load()})
        for _ in range(SHORT):  # the short runs vary most: each taken SHORT times, in turn
            for name, data, cache in (("start-up (10 rows)", [tiny], None), ("one file appended", files, store),
                                      ("the new file alone", files[FILES:], None)):
                outcome = run(contract, data, _linked_copy(store) if cache else None)
                results.setdefault(name, []).append(outcome | {"load": load()})
    table(results)


def table(results: dict[str, list[dict[str, object]]]) -> None:
    def median(name: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in results[name])  # type: ignore[arg-type]

    full, start = median("full, no cache", "cpu"), median("start-up (10 rows)", "cpu")
    print(f"{'run':<20} {'wall s':>8} {'CPU s':>8} {'full/this':>10} {'files read':>10}  same result  load")
    for name, runs in results.items():
        last = runs[-1]
        reference = results["full of 21 files" if name in ("one file appended", "full of 21 files")
                            else "full, no cache"][-1]
        same = "" if name.startswith(("start-up", "the new file")) else ("yes" if last["same"] == reference["same"] else "NO")
        print(f"{name:<20} {median(name, 'wall'):8.2f} {median(name, 'cpu'):8.2f} {full / median(name, 'cpu'):10.1f}"
              f" {'' if last['read'] is None else last['read']:>10}  {same:<11}  {last['load']}")
        for warning in last["warnings"]:  # type: ignore[attr-defined]
            print(f"  warning: {warning}")
    append = median("one file appended", "cpu")
    print(f"cached re-run: {full / median('cached re-run', 'cpu'):.1f}x less CPU than the full run (aim: 10x or more); "
          f"with the states finished again: {full / median('states merged', 'cpu'):.1f}x")
    print(f"append run: {append:.2f} s CPU = start-up {start:.2f} s + {append - start:.2f} s; a twentieth of the full "
          f"run past start-up is {(full - start) / FILES:.2f} s")
    alone, merged = median("the new file alone", "cpu"), median("states merged", "cpu")
    twentieth = (full - start) / FILES
    print(f"the append run against its parts: the new file checked alone {alone:.2f} s (start-up included), the 20 "
          f"files' merged state finished again {merged - start:.2f} s past start-up; their sum "
          f"{alone + merged - start:.2f} s, the append run {append:.2f} s")
    print(f"the append run = a twentieth of the full run {twentieth:.2f} s + a run's start-up with one file of "
          f"{ROWS_PER_FILE:,} rows {alone - twentieth:.2f} s (the new file alone, no cache, less a twentieth: its "
          f"first batches in a fresh process) + what the cache costs {append - alone:+.2f} s (the append run less "
          f"the new file alone)")


if __name__ == "__main__":
    main()
