"""When a contract looks for personal data or secrets, no output may show any. Every text of the run that
data can reach goes through the check's masker: excerpts (samples, duplicate and conflict clusters,
contamination and leakage rows, unreadable records, GX observed values), every string and dictionary key
in a check's details (feature values, annotators, labels, role names), messages, gate reasons and file
names. An excerpt cut at a limit is marked with CUT at the cut (`window`); masking drops the word a cut
split, with the digit groups beside it, since a recognizer cannot tell what a piece of an e-mail, a key or a
phone number was. Without a `pii` or `secrets` check nothing is masked: that is the contract's choice.
An excerpt's cuts are in excerpts.py; where each text of a run is and how its masked form goes back, in
masking_places.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from traingate.data.excerpts import CUT, window
from traingate.data.masking_places import Masker, Places, list_setter

if TYPE_CHECKING:  # annotations only: the run's models load with a run, not with the checks that import this
    from traingate.results.model import CheckResult, Fault, RunResult

__all__ = ["CUT", "mask_run", "window"]  # CUT and window: re-exported for validators


def mask_run(run: RunResult, masker: Masker) -> int:
    """Mask every text of the run that data can reach; returns how many places changed."""
    places = Places()
    for check in run.checks:
        _check_places(check, places)
    ds = run.dataset
    for info in ds.files:
        places.path(info, "path")
        places.path(info, "absolute_path")
    for skipped in ds.skipped_files:
        places.path(skipped, "path")
        places.attr(skipped, "reason")
    _fault_places(ds.faults, places)
    places.attr(ds, "stopped_early")
    places.naming_files(ds.errored_shards)
    places.naming_files(run.gate.reasons)
    labelled = [sketch for sketch in run.sketches if sketch.kind == "categorical"]
    for sketch in labelled:  # a feature's labels are the data's own values (a column, a chat role, ...)
        for k, label in enumerate(sketch.values):
            places.add(str(label), list_setter(sketch.values, k))
    changed = places.apply(masker)
    for sketch in labelled:
        _merge_labels(sketch)
    return changed


def _merge_labels(sketch: Any) -> None:
    """Labels masked alike (two e-mail addresses, one placeholder) counted as one, most frequent first."""
    merged: dict[str, int] = {}
    for label, count in zip(sketch.values, sketch.counts):
        merged[str(label)] = merged.get(str(label), 0) + count
    if len(merged) < len(sketch.values):
        ordered = sorted(merged.items(), key=lambda item: (-item[1], item[0]))
        sketch.values, sketch.counts = [label for label, _ in ordered], [count for _, count in ordered]


def _check_places(check: CheckResult, places: Places) -> None:
    places.attr(check, "message")
    places.attr(check, "error")
    for sample in check.samples:
        places.sample(sample)
    if check.first_failure is not None:
        places.path(check.first_failure, "file")
    places.tree(check.details)


def _fault_places(faults: list[Fault], places: Places) -> None:
    for fault in faults:
        places.attr(fault, "excerpt", excerpt=True)
        places.path(fault, "file")
        places.attr(fault, "message")
