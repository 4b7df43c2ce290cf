"""The Ray engine's shuffle of LSH band keys (ray_engine.py): the keys each task took out of its near-duplicate
and split-leakage states, one row per check, band, key and row id, grouped by check and key partition, paired
in each partition by the check's own `bucket_pairs`; only the pairs come back to the driver. No `ray` import
here: the functions run in Ray Data's tasks on the datasets the engine hands them."""

from __future__ import annotations

import pickle
from collections import defaultdict
from typing import Any

import numpy as np

from traingate.validators.common.capabilities import PairsOf

PARTITIONS = 32
Pairs = dict[int, dict[int, np.ndarray]]  # check index -> bucket cap -> candidate pairs


def _explode(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per (check, band, key, row id), with the key's partition."""
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for blob in batch["keys"]:
        for check, keys, ids, tags in pickle.loads(blob):
            if not len(ids):
                continue
            rows, bands = keys.shape
            flat = keys.reshape(-1).astype(np.uint64)
            parts["check"].append(np.full(rows * bands, check, np.int64))
            parts["band"].append(np.tile(np.arange(bands, dtype=np.int64), rows))
            parts["key"].append(flat)
            parts["id"].append(np.repeat(ids.astype(np.uint64), bands))
            parts["tag"].append(np.repeat(tags.astype(np.int64), bands))
            parts["part"].append((flat % np.uint64(PARTITIONS)).astype(np.int64))
    names = ("check", "band", "key", "id", "tag", "part")
    return {n: _joined(parts[n], np.uint64 if n in ("key", "id") else np.int64) for n in names}


def _pairs_in_partition(group: dict[str, np.ndarray], caps: dict[int, tuple[PairsOf, list[int]]]
                        ) -> dict[str, np.ndarray]:
    check = int(group["check"][0])
    pairs_of, check_caps = caps[check]
    out: dict[str, list[np.ndarray]] = defaultdict(list)
    for band in np.unique(group["band"]):
        chosen = group["band"] == band
        for cap in check_caps:
            pairs = pairs_of(group["key"][chosen][:, None], group["id"][chosen], group["tag"][chosen], cap)
            out["check"].append(np.full(len(pairs), check, np.int64))
            out["cap"].append(np.full(len(pairs), cap, np.int64))
            out["a"].append(pairs[:, 0].astype(np.uint64))
            out["b"].append(pairs[:, 1].astype(np.uint64))
    return {n: _joined(out[n], np.int64 if n in ("check", "cap") else np.uint64) for n in ("check", "cap", "a", "b")}


def _joined(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype)


def shuffle(folded: Any, caps: dict[int, tuple[PairsOf, list[int]]]) -> Pairs:
    triples = folded.select_columns(["keys"]).map_batches(_explode, batch_format="numpy")
    pairs = triples.groupby(["check", "part"]).map_groups(_pairs_in_partition, batch_format="numpy",
                                                          fn_kwargs={"caps": caps})
    found: dict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
    for batch in pairs.iter_batches(batch_format="numpy"):
        for check, cap in {(int(c), int(k)) for c, k in zip(batch["check"], batch["cap"])}:
            chosen = (batch["check"] == check) & (batch["cap"] == cap)
            found[(check, cap)].append(np.stack([batch["a"][chosen], batch["b"][chosen]], axis=1))
    result: Pairs = defaultdict(dict)
    for (check, cap), chunks in found.items():
        result[check][cap] = np.unique(np.concatenate(chunks), axis=0)
    return dict(result)
