"""Documents per second per core of `near_duplicates`, beside datasketch's MinHashLSH in the same run.

Generates DOCS documents of ~500 words (a Zipf-Mandelbrot draw over 50,000 made-up words); every 50th
is an edited copy of an earlier one (5, 15, 30 or 60 words replaced: exact Jaccard of word 3-grams
about 0.94, 0.83, 0.69, 0.47). Truth: the copies whose exact Jaccard reaches 0.8. Both run at threshold
0.8, 128 permutations, normalised word 3-grams; "per core" divides by CPU seconds (process time, all
threads), so a library that uses several threads gains nothing from them here.

Usage: python benchmarks/dedup_speed.py [--docs N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa
from dedup_common import HEADER, Pair, cluster_pairs, datasketch_pairs, fold, row, score, validator, word_shingles

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200_000)
    args = parser.parse_args()
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
    state_bytes = sum(k.nbytes for k in state.keys) + sum(i.nbytes for i in state.ids)

    start = clock()
    shingles = word_shingles(texts)
    shingle_time = since(start)
    start = clock()
    theirs = datasketch_pairs(shingles, 0.8)
    theirs_time = since(start)

    print(f"\n{HEADER} {'wall s':>7} {'CPU s':>7} {'docs/s/core':>11}")
    rate = {}
    for label, pairs, (wall, cpu) in [
            ("traingate near_duplicates (text to clusters)", ours, ours_time),
            ("datasketch MinHash.bulk + MinHashLSH", theirs, theirs_time),
            ("datasketch with Python shingling", theirs, (theirs_time[0] + shingle_time[0], theirs_time[1] + shingle_time[1]))]:
        rate[label] = len(texts) / cpu
        print(row(label, score(pairs, positives), f"{wall:>7.1f} {cpu:>7.1f} {rate[label]:>11,.0f}"))
    first, second, third = rate.values()
    print(f"\nspeed-up per core: {first / second:.1f}x datasketch's MinHash+LSH alone, {first / third:.1f}x with its shingling")
    print(f"LSH state: {state_bytes / len(texts):.0f} bytes per document (band keys and row id)")


if __name__ == "__main__":
    main()
