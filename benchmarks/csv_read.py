"""CSV reading speed: traingate's reader (strict, pyarrow on the records an exact scan vouches for) against
Python's csv module alone (the strict parser reading everything) and bare pyarrow.csv (not strict), on a
~30 MB CSV with quoted commas, escaped quotes and quoted newlines. The rows are checked equal to the csv
module's. Usage: python benchmarks/csv_read.py [MB]"""

from __future__ import annotations

import csv
import io
import os
import random
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner

from traingate.data.readers import open_raw, read_source
from traingate.data.sources import resolve

CACHE = Path(os.environ.get("TRAINGATE_BENCH_DIR", "/tmp/traingate-bench"))
WORDS = ["the", "model", "data", "answer", "question", "python", "list", "value,", "return", "function", '"quoted"',
         "train", "token"]


def generate(path: Path, size: int) -> None:
    rng = random.Random(1)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "instruction", "input", "output"])
        i = 0
        while out.tell() < size:
            output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(50, 200)))
            writer.writerow([f"row-{i}", " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40))),
                             "" if i % 3 else "context", output + ("\nsecond line" if i % 20 == 0 else "")])
            i += 1


def timed(label: str, run: object) -> object:
    started = time.perf_counter()
    result = run()  # type: ignore[operator]
    print(f"{label:<28} {time.perf_counter() - started:6.2f} s")
    return result


def main() -> None:
    banner()
    size = int(float(sys.argv[1]) * 1e6) if len(sys.argv) > 1 else 30_000_000
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"bench-{size}.csv"
    if not path.exists():
        generate(path, size)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB; floors: the csv module alone (strict, the rows compared "
          "with) and pyarrow.csv alone (lax, the bare reader)")
    (source,) = resolve([str(path)], None, None)

    def traingate_tables() -> list[pa.Table]:
        with open_raw(source) as raw:
            return [chunk.table for chunk in read_source(source, None, raw)]

    def csv_rows() -> list[list[str]]:
        with path.open(newline="", encoding="utf-8") as text:
            return [row for row in csv.reader(text, strict=True) if row][1:]

    tables = timed("traingate (strict)", traingate_tables)
    reference = timed("csv module alone (strict)", csv_rows)
    timed("pyarrow.csv alone (lax)", lambda: pcsv.read_csv(io.BytesIO(path.read_bytes()),
                                                          parse_options=pcsv.ParseOptions(newlines_in_values=True)))
    ours = [list(row.values()) for table in tables for row in table.to_pylist()]  # type: ignore[attr-defined]
    assert ours == reference, "traingate's rows differ from the csv module's"
    print(f"rows: {len(reference):,}, identical")


if __name__ == "__main__":
    main()
