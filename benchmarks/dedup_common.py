"""Shared by the dedup benchmarks: fold texts through a traingate uniqueness validator, do the same job
with datasketch's MinHashLSH and with rensa's RMinHashLSH on the same shingles, and score predicted pairs
against labelled ones."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from traingate.contracts import parse_contract
from traingate.data.batch import BatchContext
from traingate.data.tokenizers import get_tokenizer
from traingate.validators.common.lsh import components
from traingate.validators.common.normalize import normalize
from traingate.validators.common.options import FULL_NORMALISATION
from traingate.validators.common.registry import build

Pair = tuple[int, int]


def validator(check_yaml: str) -> Any:
    """The validator of one uniqueness check over a pretraining `text` column, e.g. '{type: near_duplicates}'."""
    contract = parse_contract(f"contract: bench\nversion: 1.0.0\ndataset: {{kind: pretraining}}\n"
                              f"checks:\n  uniqueness:\n    - {check_yaml}\n")
    (check,) = contract.all_checks()
    return build(check, contract.dataset, "bench")


def fold(v: Any, texts: Sequence[str] | pa.Array, batch_rows: int = 8192) -> Any:
    """Feed texts (Python strings or an Arrow string array) as batches (row id = position); return the state."""
    array = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.string())
    state = v.create_state()
    tokenizer = get_tokenizer("whitespace")
    for start in range(0, len(texts), batch_rows):
        table = pa.table({"text": array.slice(start, batch_rows)})
        batch = BatchContext(table, v.spec, tokenizer, file="bench", file_index=0,
                             lines=np.arange(start, start + table.num_rows), unit="row", split="", row_offset=start)
        state = v.add_batch(state, batch)
    return state


def traingate_pairs(check_yaml: str, texts: Sequence[str]) -> set[Pair]:
    v = validator(check_yaml)
    return cluster_pairs(v.clusters(fold(v, texts)))


def cluster_pairs(groups: Iterable[np.ndarray]) -> set[Pair]:
    """Every pair of rows that stand in one cluster: what a clustering check claims."""
    return {(int(a), int(b)) for g in groups for a, b in itertools.combinations(sorted(g.tolist()), 2)}


def word_shingles(texts: Sequence[str], size: int = 3) -> list[list[bytes]]:
    """traingate's full normalisation, then word n-grams (one n-gram of all words when shorter)."""
    normalised = normalize(pa.array(list(texts), pa.string()), FULL_NORMALISATION).to_pylist()
    out = []
    for text in normalised:
        words = text.split()
        grams = [" ".join(words[i: i + size]) for i in range(len(words) - size + 1)] or ([" ".join(words)] if words else [])
        out.append([g.encode() for g in grams])
    return out


def datasketch_pairs(shingles: Sequence[list[bytes]], threshold: float, num_perm: int = 128) -> set[Pair]:
    """datasketch's documented use: MinHash per document, MinHashLSH insert, query every document;
    pairs clustered by the same connected components traingate uses."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes = MinHash.bulk(shingles, num_perm=num_perm)
    with lsh.insertion_session() as session:
        for i, (m, s) in enumerate(zip(hashes, shingles)):
            if s:
                session.insert(i, m)
    found = [(i, j) for i, (m, s) in enumerate(zip(hashes, shingles)) if s for j in lsh.query(m) if j != i]
    pairs = np.array(found, dtype=np.uint64).reshape(-1, 2)
    return cluster_pairs(components(pairs))


def rensa_pairs(shingles: Sequence[list[bytes]], threshold: float, num_perm: int = 128, bands: int = 8) -> set[Pair]:
    """rensa's documented batch use: RMinHash per document from its tokens, RMinHashLSH insert, query every
    document (`bands` must divide `num_perm`: 8 bands of 16, as rensa's own benchmark at 0.8); pairs
    clustered by the same connected components traingate uses."""
    from rensa import RMinHash, RMinHashLSH

    kept = [i for i, s in enumerate(shingles) if s]
    hashes = RMinHash.from_token_sets([shingles[i] for i in kept], num_perm, 1)
    lsh = RMinHashLSH(threshold, num_perm, bands)
    lsh.insert_pairs(list(zip(kept, hashes)))
    found = [(i, j) for i, near in zip(kept, lsh.query_all(hashes)) for j in near if j != i]
    pairs = np.array(found, dtype=np.uint64).reshape(-1, 2)
    return cluster_pairs(components(pairs))


@dataclass
class Score:
    tp: int
    fp: int
    fn: int

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(predicted: set[Pair], positives: set[Pair], negatives: set[Pair] | None = None) -> Score:
    """With `negatives`, only labelled pairs count (a labelled set); without, every other pair is negative."""
    judged = predicted if negatives is None else predicted & (positives | negatives)
    tp = len(judged & positives)
    return Score(tp, len(judged) - tp, len(positives) - tp)


def row(label: str, s: Score, extra: str = "") -> str:
    return f"{label:<46} {s.tp:>6} {s.fp:>6} {s.fn:>6} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {extra}"


HEADER = f"{'method':<46} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} {'recall':>7} {'F1':>6}"
