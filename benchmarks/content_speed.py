"""Rows per second of the whole content suite (alignment, relevance, coverage, consistency) on 100,000
synthetic SFT rows, with the embedding check (relevance.similarity) on and off.

Reuses the rows of benchmarks/throughput.py (generated once into its cache folder).
Usage: python benchmarks/content_speed.py [ROWS]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import banner, floor_read_json
from throughput import cached, generate

from traingate.contracts import parse_contract
from traingate.engine.runner import validate

SUITE = """\
contract: content
version: 1.0.0
dataset:
  kind: sft
  fields: {prompt: instruction, context: input, response: output}
checks:
  alignment:
    - {type: refusals, max_rate: 0.01}
    - {type: truncated, max_rate: 0.05}
    - {type: length_ratio, min: 0.5, max: 50, max_rate: 0.05}
    - {type: response_format, format: json, when_prompt_matches: '(?i)\\bjson\\b', max_rate: 0.05}
  relevance:
    - {type: keywords, forbidden: {response: [lorem ipsum]}, max_rate: 0.01}
    - {type: language, allowed: [en], min_share: 0.9}
  coverage:
    - {type: distribution, feature: output_format, targets: {plain: {min: 0.5}}}
    - {type: distribution, feature: length_bucket, required: [short, medium]}
    - {type: diversity, feature: output_format, min_distinct_1: 0.0001, min_distinct_2: 0.0001}
  consistency:
    - {type: conflicting_labels, max_rate: 0.5}
"""
EMBEDDING = ("    - {type: similarity, task: Questions and answers about programming and data, min_similarity: 0.1,"
             " max_rate: 1.0}\n")


def main() -> None:
    banner()
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    data = cached(f"sft-{rows}.jsonl", rows, generate)
    wall, cpu = floor_read_json(data)
    print(f"{rows:,} SFT rows, {data.stat().st_size / 1e6:.0f} MB; floor: pyarrow read_json alone on one thread "
          f"{wall:.2f} s ({rows / wall:,.0f} rows/s, {cpu:.2f} s CPU)\n")
    print(f"{'suite':<34} {'seconds':>8} {'rows/s':>9} {'peak RSS MiB':>13}")
    for label, text in [("content checks, no embeddings", SUITE),
                        ("content checks + similarity", SUITE.replace("  coverage:\n", EMBEDDING + "  coverage:\n"))]:
        contract = parse_contract(text, str(Path(data).with_name("content.yaml")))
        start = time.perf_counter()
        result = validate(contract, [str(data)])
        seconds = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        errored = [c.id for c in result.checks if c.status == "errored"]
        print(f"{label:<34} {seconds:>8.1f} {rows / seconds:>9,.0f} {rss:>13,.0f}" + (f"  errored: {errored}" if errored else ""))


if __name__ == "__main__":
    main()
