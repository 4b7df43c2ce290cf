"""Documents per second per core of `near_duplicates`, beside rensa's and datasketch's MinHash LSH on the
same documents, each start to finish from the text, in the same run.

Generates DOCS documents of ~500 words (a Zipf-Mandelbrot draw over 50,000 made-up words); every 50th
is an edited copy of an earlier one (5, 15, 30 or 60 words replaced: exact Jaccard of word 3-grams
about 0.94, 0.83, 0.69, 0.47). Truth: the copies whose exact Jaccard reaches 0.8. All run at threshold
0.8, 128 permutations, normalised word 3-grams:
- traingate: the check itself (normalisation, shingle hashes, MinHash, band keys, clusters);
- rensa: the bare floor: the same normalised text cut into word 3-grams in Python, RMinHash.from_token_sets,
  RMinHashLSH (8 bands of 16) insert and query;
- datasketch: the same 3-grams, MinHash.bulk, MinHashLSH insert and query.
"Per core" divides by CPU seconds (process time, all threads), so a library that uses several threads
gains nothing from them here. Below the table: rensa's MinHash and LSH alone on traingate's own shingle
hashes (no text, no shingling, no pairs): the part of the work no shingler can save.

Usage: python benchmarks/dedup_speed.py [--docs N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa
from dedup_common import (
    HEADER,
    Pair,
    cluster_pairs,
    datasketch_pairs,
    fold,
    rensa_pairs,
    row,
    score,
    validator,
    word_shingles,
)
from machine import banner, load

from traingate.validators.common.normalize import normalize
from traingate.validators.common.options import FULL_NORMALISATION
from traingate.validators.common.shingles import shingle_sets

COPY_EVERY = 50
EDITS = (5, 15, 30, 60)


def generate(docs: int, seed: int = 0) -> tuple[list[str], list[Pair]]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocabulary = np.array(["".join(rng.choice(letters, rng.integers(2, 10))) for _ in range(50_000)])
    weights = 1.0 / (np.arange(len(vocabulary)) + 2.7)
    cumulative = np.cumsum(weights / weights.sum())
    texts: list[str] = []
    copies: list[Pair] = []
    originals = iter(rng.permutation([i for i in range(docs) if i % COPY_EVERY != COPY_EVERY - 1]))
    for i in range(docs):
        if i % COPY_EVERY == COPY_EVERY - 1:
            source = next(j for j in originals if j < i)
            words = texts[source].split()
            for at in rng.choice(len(words), EDITS[(i // COPY_EVERY) % len(EDITS)], replace=False):
                words[at] = "edit" + str(rng.integers(1 << 30))
            texts.append(" ".join(words))
            copies.append((int(source), i))
        else:
            ranks = np.searchsorted(cumulative, rng.random(int(rng.normal(500, 50))))
            texts.append(" ".join(vocabulary[np.minimum(ranks, len(vocabulary) - 1)]))
    return texts, copies


def truth(texts: list[str], copies: list[Pair]) -> set[Pair]:
    shingles = word_shingles([texts[k] for pair in copies for k in pair])
    out = set()
    for n, pair in enumerate(copies):
        a, b = set(shingles[2 * n]), set(shingles[2 * n + 1])
        if len(a & b) / len(a | b) >= 0.8:
            out.add(pair)
    return out


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def hashes_floor(array: pa.Array, batch_rows: int = 8192) -> tuple[float, float]:
    """rensa's digest matrix and LSH duplicate flags on traingate's shingle hashes, given (untimed)."""
    from rensa import RMinHash, RMinHashLSH

    batches = [shingle_sets(normalize(array.slice(at, batch_rows), FULL_NORMALISATION), "word", 3)
               for at in range(0, len(array), batch_rows)]
    start = clock()
    lsh = RMinHashLSH(0.8, 128, 8)
    for at, (hashes, offsets) in zip(range(0, len(array), batch_rows), batches):
        matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets.astype(np.uint64), 128, 1)
        lsh.insert_matrix_and_query_duplicate_flags(matrix, at)
    return since(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    args = parser.parse_args()
    banner()
    start = clock()
    texts, copies = generate(args.docs)
    positives = truth(texts, copies)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts):,} documents, {words:.0f} words on average, {len(copies):,} edited copies, "
          f"{len(positives):,} with Jaccard >= 0.8 (generated in {since(start)[0]:.0f} s)")
    array = pa.array(texts, pa.large_string())

    start = clock()
    near = validator("{type: near_duplicates}")
    state = fold(near, array)
    ours = cluster_pairs(near.clusters(state))
    ours_time = since(start)
    state_bytes = state.table.table().nbytes

    start = clock()
    shingles = word_shingles(texts)
    shingle_time = since(start)
    start = clock()
    floor = rensa_pairs(shingles, 0.8)
    floor_time = plus(since(start), shingle_time)
    del shingles
    start = clock()
    shingles = word_shingles(texts)  # again, so that each library pays its own shingling
    theirs = datasketch_pairs(shingles, 0.8)
    theirs_time = since(start)

    print(f"\n{HEADER} {'wall s':>7} {'CPU s':>7} {'docs/s/core':>11}")
    rate = {}
    for label, pairs, (wall, cpu) in [
            ("traingate near_duplicates", ours, ours_time),
            ("rensa RMinHash + RMinHashLSH (floor)", floor, floor_time),
            ("datasketch MinHash.bulk + MinHashLSH", theirs, theirs_time)]:
        rate[label] = len(texts) / cpu
        print(row(label, score(pairs, positives), f"{wall:>7.1f} {cpu:>7.1f} {rate[label]:>11,.0f}"))
    ours_rate, floor_rate, theirs_rate = rate.values()
    print(f"\ntraingate / rensa's floor: {floor_rate / ours_rate:.2f}x the CPU, {ours_time[0] / floor_time[0]:.2f}x the "
          f"wall (target <= 2)")
    print(f"datasketch / traingate: {ours_rate / theirs_rate:.1f}x the CPU (target >= 8), "
          f"{theirs_time[0] / ours_time[0]:.1f}x the wall")
    print(f"python 3-gram shingling shared by rensa and datasketch rows: {shingle_time[1]:.1f} CPU s")
    wall, cpu = hashes_floor(array)
    print(f"rensa digest matrix + LSH flags alone on traingate's shingle hashes: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({cpu / ours_time[1]:.0%} of traingate's CPU)")
    print(f"LSH state: {state_bytes / len(texts):.0f} bytes per document (band keys and row id); {load()}")


def plus(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return a[0] + b[0], a[1] + b[1]


if __name__ == "__main__":
    main()
