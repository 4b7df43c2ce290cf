"""Throughput and memory of `traingate validate` with every format check on synthetic SFT JSONL.

Generates ROWS rows (~1 KB each) once into a cache folder, then validates prefixes of it in fresh
processes and prints MB/s and peak RSS per size. Usage: python benchmarks/throughput.py [ROWS ...]
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("TRAINGATE_BENCH_DIR", "/tmp/traingate-bench"))
WORDS = [
    "the", "model", "data", "answer", "question", "python", "list", "value", "return", "function", "train", "token",
    "batch", "set", "quality", "check", "gate", "report", "row", "field", "number", "string", "table", "compute",
    "memory", "stream",
]
CONTRACT = """\
contract: throughput
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: instruction, context: input, response: output}
gate: {max_bad_records: 0}
checks:
  format:
    - type: schema
      columns:
        id: {dtype: string, regex: "row-[0-9]+"}
        instruction: {dtype: string, min_length: 1}
        output: {dtype: string, max_length: 20000}
    - {type: empty_text, max_rate: 0.01}
    - {type: whitespace, max_rate: 0.05}
    - {type: encoding, max_rate: 0.01}
    - {type: special_tokens, max_rate: 0.01}
    - {type: code_fences, max_rate: 0.05}
    - {type: placeholders, max_rate: 0.01}
    - {type: min_tokens, limit: 3, max_rate: 0.05}
    - {type: max_tokens, limit: 4096, max_rate: 0.01}
    - {type: min_chars, limit: 10, max_rate: 0.05}
    - {type: max_chars, limit: 20000, max_rate: 0.01}
  quantity:
    - {type: min_rows, min: 1000}
    - {type: min_tokens, min: 100000}
"""


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            response = " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(6, 14)))
            if i % 50 == 0:
                response += "\n```python\nprint('x')\n```"
            if i % 997 == 0:
                response = "<|im_start|>" + response
            row = {"id": f"row-{i}", "instruction": sentence(rng, rng.randint(10, 40)),
                   "input": "" if i % 3 else sentence(rng, 12), "output": response}
            out.write(json.dumps(row) + "\n")


def measure(contract: Path, data: Path) -> tuple[float, int, int]:
    code = ("import sys, time, resource; from traingate.contracts import load_contract;"
            "from traingate.engine.runner import validate; t=time.perf_counter();"
            "r=validate(load_contract(sys.argv[1]), [sys.argv[2]]);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, r.dataset.rows)")
    out = subprocess.run([sys.executable, "-c", code, str(contract), str(data)], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[0]), int(out[1]) * 1024, int(out[2])


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [250_000, 1_000_000]
    CACHE.mkdir(parents=True, exist_ok=True)
    contract = CACHE / "contract.yaml"
    contract.write_text(CONTRACT)
    full = CACHE / f"sft-{max(sizes)}.jsonl"
    if not full.exists():
        t = time.perf_counter()
        generate(full, max(sizes))
        print(f"generated {full} ({full.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
    print(f"{'rows':>10} {'MB':>8} {'seconds':>8} {'MB/s':>8} {'rows/s':>10} {'peak RSS MiB':>13}")
    for size in sizes:
        data = full if size == max(sizes) else CACHE / f"sft-{size}.jsonl"
        if not data.exists():
            with full.open("rb") as src, data.open("wb") as dst:
                for _, line in zip(range(size), src):
                    dst.write(line)
        seconds, rss, rows = measure(contract, data)
        mb = data.stat().st_size / 1e6
        print(f"{rows:>10,} {mb:>8.0f} {seconds:>8.1f} {mb / seconds:>8.1f} {rows / seconds:>10,.0f} {rss / 2**20:>13.0f}")


if __name__ == "__main__":
    main()
