"""What the feature sketches every run stores cost: CPU seconds of a one-core pass over throughput.py's
contract and data, with this tree and with another checkout's `src` (the code before sketches), run in
fresh processes, alternating, REPEATS times each; medians, beside pyarrow's bare read_json on one thread
(the floor). The sketches fold the values the distributions already count; what a run adds is a bincount
per field and batch, and the sketches in the run JSON.
Usage: python benchmarks/sketches.py --compare SRC [ROWS] [--repeats N]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from machine import banner, floor_read_json, load  # noqa: E402
from throughput import CACHE, CONTRACT, cached, generate, measure  # noqa: E402


def main() -> None:
    args = sys.argv[1:]
    compare = args.pop(args.index("--compare") + 1) if "--compare" in args else None
    repeats = int(args.pop(args.index("--repeats") + 1)) if "--repeats" in args else 5
    args = [a for a in args if a not in ("--compare", "--repeats")]
    if compare is None:
        sys.exit("give --compare SRC: the src folder of the code to compare with")
    rows = int(args[0]) if args else 250_000
    banner()
    data = cached(f"sft-{rows}.jsonl", rows, generate)
    contract = CACHE / "contract.yaml"
    contract.write_text(CONTRACT)
    floor_wall, floor_cpu = floor_read_json(data)
    print(f"floor read_json: {floor_wall:.2f} s wall, {floor_cpu:.2f} CPU s  {load()}")
    cpu: dict[str, list[float]] = {"this": [], "compare": []}
    for _ in range(repeats):
        for code, src in (("this", None), ("compare", compare)):
            cpu[code].append(measure(contract, data, 1, src)["pass_cpu"])
            print(f"  {code:>8} one core: {cpu[code][-1]:.3f} CPU s  {load()}")
    this, before = statistics.median(cpu["this"]), statistics.median(cpu["compare"])
    print(f"median of {repeats}: this {this:.3f} CPU s, compare {before:.3f} CPU s, ratio {this / before:.3f}; "
          f"spread this {min(cpu['this']):.3f}-{max(cpu['this']):.3f}, compare "
          f"{min(cpu['compare']):.3f}-{max(cpu['compare']):.3f}  {load()}")


if __name__ == "__main__":
    main()
