"""Start-up: wall and CPU seconds of `traingate --help`, `lint`, `checks` and a 10-row `validate` of format checks, each
in a fresh process as a pre-commit hook or a CI step runs it, against the bare interpreter (`python -c pass`)
and against another source tree given with --before (e.g. a checkout of an earlier commit). Medians of
--repeat runs. The targets: --help and lint under 0.25 s, the 10-row validate under 0.5 s, on an idle machine.
`lint` and `checks` import every check module they name (all of them for `checks`) but execute neither numpy
nor pyarrow (cli/deferred.py). Each tree is byte-compiled first, as an installation is: with
PYTHONDONTWRITEBYTECODE set, a tree never compiled would pay the compiler in every run and lose by 50 ms.

    python benchmarks/startup.py [--repeat 5] [--before /path/to/older/src]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import banner, children_cpu, load

CONTRACT = """\
contract: ten
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_rate: 0.01}
    - {type: whitespace, max_rate: 0.05}
    - {type: encoding, max_rate: 0.01}
    - {type: special_tokens, max_rate: 0.01}
    - {type: code_fences, max_rate: 0.05}
    - {type: placeholders, max_rate: 0.01}
    - {type: min_tokens, limit: 3, max_rate: 0.05}
    - {type: max_chars, limit: 20000, max_rate: 0.01}
"""
ENTRY = "import sys; from traingate.cli.app import main; sys.argv[0] = 'traingate'; sys.exit(main())"
COMMANDS = {"python -c pass": None, "--help": ["--help"], "lint": ["lint", "c.yaml"], "checks": ["checks"],
            "validate (10 rows)": ["validate", "c.yaml", "d.jsonl"]}


def timed(args: list[str] | None, src: str, cwd: Path, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of the command in a fresh interpreter, the `traingate` entry point's way."""
    command = [sys.executable, "-c", "pass"] if args is None else [sys.executable, "-c", ENTRY, *args]
    env = {**os.environ, "PYTHONPATH": src}
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, start = children_cpu(), time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", help="another source tree (its src/ folder) to time side by side")
    options = parser.parse_args()
    banner()
    trees = {"now": str(Path(__file__).resolve().parents[1] / "src")}
    if options.before:
        trees = {"before": options.before, **trees}
    for src in trees.values():
        compileall.compile_dir(src, quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        (cwd / "c.yaml").write_text(CONTRACT)
        rows = [{"instruction": f"Say {i} things.", "input": "", "output": f"Here are {i} things."} for i in range(10)]
        (cwd / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(f"{'command':20s} " + " ".join(f"{name + ' wall':>12s} {name + ' cpu':>12s}" for name in trees))
        for label, args in COMMANDS.items():
            figures = [timed(args, src, cwd, options.repeat) for src in trees.values()]
            print(f"{label:20s} " + " ".join(f"{w:11.3f}s {c:11.3f}s" for w, c in figures))
    print(f"medians of {options.repeat} runs; {load()} at the end")


if __name__ == "__main__":
    main()
