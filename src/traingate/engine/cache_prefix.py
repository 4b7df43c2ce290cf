"""The merged state of a run's leading files, kept as one entry per check and one for the shared part (cache.py
keeps each file's own), keyed by those files (each one's sha256, index, path, split, format, compression) and
the part's key. A run whose leading files are those, each of them cached whole, loads these entries in place of
theirs and merges only the files after them; exact duplicates keeps its rows there summarised
(validators/uniqueness/summary.py), so that the new rows' keys are looked up rather than every row grouped
again.

A run writes the merged state of all its files when the merged state it loaded covers fewer than PREFIX_SHARE of
them: a dataset that grows a file at a time is merged anew each time it has grown by a third, and the files
merged one by one stay under a quarter of all. Neither used nor written by a run that hands its states on
(--evidence, --rejects, --clusters: exact duplicates' summary keeps the first rows of each group only); not
written under --max-memory (a state may be on disk) or when a file's fold is not cached whole; a check's not
written when it failed to fold or its result came from the cache (its state was not loaded), so that editing
one check writes that check's. A run uses a merged state when the shared part's entry and that of every check
it must finish are there for the same leading files. An entry that must not be trusted is ignored with a
warning, and the files' own entries are merged instead."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from traingate.engine.cache import RunCache
from traingate.engine.cache_keys import digest, placed
from traingate.engine.cache_ledger import SHARED
from traingate.engine.folded import Folded

PREFIX_SHARE = 0.75


@dataclass
class Prefix:
    files: int  # the leading files it holds
    folded: Folded
    link: str  # their digest, in its entries' keys


def _links(cache: RunCache) -> list[str]:
    """A digest of each run of leading files: [i] that of the files 0 to i."""
    out, chained = [], hashlib.sha256(b"leading files")
    for index, (source, sha) in enumerate(zip(cache.files, cache.hashes)):
        chained.update(json.dumps(placed(source, index, sha.result())).encode() + b"\0")
        out.append(chained.copy().hexdigest())
    return out


def _key(link: str, part: str, key: str) -> str:
    """The key of a part ("shared" or "check", with that part's key) of the merged state of these files."""
    return digest("prefix", link, f"{part}:{key}")


def load_prefix(cache: RunCache, whole: int) -> Prefix | None:
    """The merged state of the most leading files the cache holds one for, among the first `whole` (each cached
    whole and not read this run); None when there is none, or one of its entries must not be trusted."""
    if cache.hands_on or whole < 2:
        return None
    links = _links(cache)
    needed = [c for c in range(len(cache.validators)) if c not in cache.finished]
    for count in range(whole, 1, -1):
        link = links[count - 1]
        keys = {c: _key(link, "check", cache.checks[c]) for c in needed}
        if cache.store.has(_key(link, "shared", cache.shared)) and all(cache.store.has(k) for k in keys.values()):
            return _loaded(cache, count, link, keys)
    return None


def _loaded(cache: RunCache, count: int, link: str, keys: dict[int, str]) -> Prefix | None:
    what = f"the merged state of the first {count} files"
    shared = cache.entry(_key(link, "shared", cache.shared), None, f"{what} · shared")
    if not isinstance(shared, dict):
        return None
    folded = Folded.empty(cache.validators)
    for name in SHARED:
        setattr(folded, name, shared[name])
    for check, key in keys.items():
        state = cache.entry(key, None, f"{what} · {cache.validators[check].check_id}")
        if state is None:
            return None
        folded.states[check] = state
    return Prefix(count, folded, link)


def keep_prefix(cache: RunCache, folded: Folded, used: Prefix | None, complete: bool) -> list[Any] | None:
    """The merged state of all the run's files written, when the one it `used` covers too few of them: the
    shared part, and each check whose state the run holds whole (not one whose finished result came from the
    cache, whose state was not loaded; not one that failed to fold). Each check's entry of the merged state it
    used then goes, once its new one is written (that holds its files and more); the shared part's stays, for
    the other checks another contract may keep beside it (the bound --cache-max removes it once unused).
    Returns the states as written (a check's prefix form is a state of it, which finishes as the state it
    was made from: the run finishes from it rather than from the rows again), or None when none was written.
    `complete`: every file's fold is cached whole, and the run is not under --max-memory."""
    count = len(cache.files)
    if cache.hands_on or not complete or count < 2 or folded.stopped or folded.halvings:
        return None
    if used is not None and used.files >= PREFIX_SHARE * count:
        return None
    link, label = _links(cache)[count - 1], f"run · first {count} files"
    states, written, before = list(folded.states), [], cache.written
    for check, validator in enumerate(cache.validators):
        if check in cache.finished or folded.errors[check] is not None:
            continue
        form = getattr(validator, "prefix_form", None)  # a form that is quicker to finish with more files
        try:
            kept = form(states[check]) if callable(form) else states[check]
        except Exception as exc:  # a check from another distribution: its state finishes as it is, unkept
            cache.warnings.append(f"cache: {label} · {validator.check_id} · merged state not written: {exc!r}")
            continue
        states[check] = kept
        cache.keep_entry(_key(link, "check", cache.checks[check]), kept, f"{label} · {validator.check_id} · merged state")
        written.append(check)
    cache.keep_entry(_key(link, "shared", cache.shared), {name: getattr(folded, name) for name in SHARED},
                     f"{label} · shared · merged state")
    if used is not None and cache.written - before == len(written) + 1:  # all written: the old entries go
        for check in written:
            cache.store.discard(_key(used.link, "check", cache.checks[check]))
    return states
