"""The second condition of `semantic_duplicates` for long rows: a mean of token vectors tells the subject of a
long text, not its wording, so two different answers on one subject score as high a cosine as a copy does
(alpaca_eval GPT-4 responses: up to 0.957 between two unrelated ones, while near-copies planted among them
start at 0.88). A pair in which either row has LONG_TOKENS tokens or more is a duplicate only if the rows also share
MIN_SHARED of their distinct tokens (Jaccard of token sets, estimated from their sketches: data/token_sketch.py).
The cosine threshold was chosen on MRPC sentences, all shorter than LONG_TOKENS (at most 52 tokens)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from traingate.data.token_sketch import shared

LONG_TOKENS = 64  # tokens from which a row is long
MIN_SHARED = 0.5  # the share of distinct tokens two rows hold in common, at least, when either is long
PAIRS_PER_STEP = 1 << 15  # pairs whose sketches are compared at once (32,768 x 64 x 2 bytes each side)

Agree = Callable[["np.ndarray", "np.ndarray"], "np.ndarray"]  # strings: numpy is not executed at import


def shared_words(sketches: np.ndarray, tokens: np.ndarray) -> Agree:
    """For the pairs (left[k], right[k]) of row positions, whether each holds as a duplicate: both rows
    short, or their token sets' estimated Jaccard at least MIN_SHARED."""
    long = tokens >= LONG_TOKENS

    def agree(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        ok: np.ndarray = ~(long[left] | long[right])
        need = np.flatnonzero(~ok)
        for start in range(0, len(need), PAIRS_PER_STEP):
            part = need[start: start + PAIRS_PER_STEP]
            ok[part] = shared(sketches[left[part]], sketches[right[part]]) >= MIN_SHARED
        return ok

    return agree
