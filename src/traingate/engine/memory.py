"""Staying under `--max-memory`: this process's resident memory, now and at its peak, and what the checks
let go when it runs short (the checks that spill write what they hold to disk, the checks that sample
halve their share)."""

from __future__ import annotations

import gc
import os
import resource
from typing import Any

from traingate.engine.folded import Folded
from traingate.validators.common.base import Validator
from traingate.validators.common.capabilities import ListsFindings, ShedsRows, SpillsRows

MAX_SHEDS = 8  # a check keeps at least 1/256 of its rows before the run stops instead
# Over the limit, checks let memory go again only once resident memory grew by this share of the limit
# since the last time: memory the checks do not hold (the process, a chunk) is not written out chunk by chunk.
REACT_STEP = 0.05


def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc; 0 where it is not available)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def peak_rss_mib() -> float:
    """Peak resident memory of this process: VmHWM, which starts afresh at exec (getrusage's maxrss
    carries the parent's peak into a spawned child)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def let_go(validators: list[Validator[Any, Any]], out: Folded, where: str) -> bool:
    """Memory runs short: the checks that spill write what they hold to disk, the checks that sample halve
    their share (at most MAX_SHEDS times in a fold). False when no check could let anything go."""
    spilled = halved = False
    for i, validator in enumerate(validators):
        if out.errors[i] is not None:
            continue
        if isinstance(validator, ListsFindings) and validator.keeps_findings:
            out.states[i], written = validator.spill_findings(out.states[i])
            if written:
                out.memory_actions.append(f"{validator.check_id}: wrote {written} findings to disk after {where}")
                spilled = True
        if isinstance(validator, SpillsRows):
            out.states[i], written = validator.spill(out.states[i])
            if not written:
                continue
            out.memory_actions.append(f"{validator.check_id}: wrote {written} {validator.spills} to disk after {where}")
            spilled = True
        elif isinstance(validator, ShedsRows) and out.halvings < MAX_SHEDS:
            out.states[i] = validator.shed(out.states[i])
            out.memory_actions.append(f"{validator.check_id}: kept half of its rows' share by hash after {where}")
            halved = True
    out.halvings += halved
    gc.collect()
    return spilled or halved
