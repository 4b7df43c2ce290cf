"""The second pass of `filter`: each input file's kept rows written out, files side by side on threads (the
copying is reading, numpy and writing, which release the GIL), or joined into one JSON lines file in file
order. The rejected rows come as sorted row ids (file index << LINE_BITS | line)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from traingate.data.lookup import LINE_BITS
from traingate.data.sources import SourceFile
from traingate.data.writers import Plan, write_file, write_lines
from traingate.data.writers.output import opened


def by_file(ids: np.ndarray, files: int) -> list[np.ndarray]:
    """The rejected line (item, row) numbers of each file, sorted, from sorted row ids."""
    index = (ids >> np.uint64(LINE_BITS)).astype(np.int64)
    lines = (ids & np.uint64((1 << LINE_BITS) - 1)).astype(np.int64)
    bounds = np.searchsorted(index, np.arange(files + 1))
    return [lines[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def write_kept(files: list[SourceFile], rejected: np.ndarray, plan: Plan, threads: int = 1) -> list[int]:
    """Write every file's kept rows as `plan` says; how many rows each file kept."""
    lines = by_file(rejected, len(files))
    if plan.joined is not None:
        with opened(plan.joined.path, plan.joined.compression) as out:
            return [write_lines(source, lines[k], out, joined=True) for k, source in enumerate(files)]
    if threads <= 1 or len(files) == 1:
        return [write_file(source, lines[k], target) for k, (source, target) in enumerate(zip(files, plan.targets))]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(write_file, files, lines, plan.targets))
