"""When a contract looks for personal data or secrets, no report may show any: every excerpt of every
check (samples, duplicate clusters, contamination rows, unreadable records) is masked before reporting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traingate.results.model import CheckResult, Fault

Setter = Callable[[str], None]
Masker = Callable[[list[str]], list[str | None]]  # each text masked, or None when it holds nothing


def mask_excerpts(results: list[CheckResult], faults: list[Fault], masker: Masker) -> int:
    """Mask every excerpt; returns how many changed. A masked excerpt loses its highlight span, which
    pointed into the unmasked text."""
    places: list[tuple[str, Setter]] = []
    for check in results:
        for sample in check.samples:
            places.append((sample.excerpt, _sample_setter(sample)))
        _collect(check.details, places)
    for fault in faults:
        places.append((fault.excerpt, _attr_setter(fault, "excerpt")))
    masked = masker([text for text, _ in places])
    for (_, setter), text in zip(places, masked):
        if text is not None:
            setter(text)
    return sum(1 for text in masked if text is not None)


def _collect(node: Any, places: list[tuple[str, Setter]]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("excerpt"), str):
            places.append((node["excerpt"], _dict_setter(node)))
        for key, value in node.items():
            if key != "evidence":  # offsets only, never text
                _collect(value, places)
    elif isinstance(node, list):
        for value in node:
            _collect(value, places)


def _sample_setter(sample: Any) -> Setter:
    def put(text: str) -> None:
        sample.excerpt, sample.span = text, None
    return put


def _attr_setter(owner: Any, name: str) -> Setter:
    return lambda text: setattr(owner, name, text)


def _dict_setter(node: dict[str, Any]) -> Setter:
    def put(text: str) -> None:
        node["excerpt"] = text
        if "span" in node:
            node["span"] = None
    return put
