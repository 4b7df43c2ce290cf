"""Synthetic SFT rows with planted faults, for the benchmarks of the rejected rows (evidence_cost.py,
rejects_cost.py, filter_speed.py): each row is at fault in one of `faults` ways with probability `share`,
one way each as often."""

from __future__ import annotations

import json
import random
from pathlib import Path

from throughput import WORDS

FAULTS = ("long", "spaces", "repeated_id", "copy", "near_copy", "unreadable")


def write_faulty_sft(path: Path, rows: int, *, seed: int, faults: tuple[str, ...], share: float = 0.1) -> None:
    """`rows` JSON lines of id, prompt and response; a fault is one of FAULTS: a response too long, trailing
    spaces, the id of an earlier row, an exact copy of an earlier row, a near copy, a line cut short."""
    rng = random.Random(seed)
    ways = round(len(faults) / share)
    made: list[tuple[str, str]] = []
    with path.open("w", encoding="utf-8") as out:
        for i in range(rows):
            prompt = " ".join(rng.choices(WORDS, k=8)) + f" {i}"
            response = " ".join(rng.choices(WORDS, k=30)) + f" case {i}"
            drawn, row_id = rng.randrange(ways), i
            fault = faults[drawn] if drawn < len(faults) else None
            if fault == "long":
                response = " ".join(rng.choices(WORDS, k=150))
            elif fault == "spaces":
                response += "  "
            elif fault == "repeated_id":
                row_id = rng.randrange(max(1, i))
            elif fault in ("copy", "near_copy") and made:
                prompt, response = rng.choice(made)
                if fault == "near_copy":
                    response = response.rsplit(" ", 1)[0] + " changed"
            elif fault == "unreadable":
                out.write(f'{{"id": {i}, "prompt": "cut short\n')
                continue
            if len(made) < 1000:
                made.append((prompt, response))
            out.write(json.dumps({"id": row_id, "prompt": prompt, "response": response}) + "\n")
