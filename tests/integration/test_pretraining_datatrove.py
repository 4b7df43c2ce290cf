"""`pretraining_quality` against datatrove's own filters (GopherRepetitionFilter, GopherQualityFilter,
C4QualityFilter, FineWebQualityFilter) over the longer texts of ../shared/datasets: each document's pass or
fail must be the same for at least 99% of documents per rule set, and a failing document's first rule the
reason datatrove gives. The tests take every SAMPLE_EVERY-th document (about 2,750 of 11,000, a minute less of
the suite); benchmarks/pretraining_agreement.py compares the whole corpus. Skipped without ../shared or without
datatrove (a dev dependency only)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_jsonl
from traingate.contracts import parse_contract
from traingate.engine.runner import validate
from traingate.validators.relevance.pretraining import RULE_SETS, PretrainingQualityCheck, judge

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SAMPLE_EVERY = 4
MIN_CHARS = 200  # the longer texts: a pretraining corpus is documents, not one-line answers
# (file under ../shared/datasets, the field holding a document): the responses and outputs of instruction
# sets, assistant transcripts, and forum messages; English, code, and Chinese.
SOURCES = [
    ("alpaca_eval/gpt4_1106_preview_model_outputs.json", "output"),
    ("alpaca_eval/text_davinci_003_model_outputs.json", "output"),
    ("alpaca_eval/alpaca-7b_model_outputs.json", "output"),
    ("gpteacher/roleplay-simple-deduped-roleplay-instruct.json.gz", "response"),
    ("gpteacher/toolformer-dedupe-only-dataset.json.gz", "response"),
    ("gpteacher/codegen-instruct.json.gz", "response"),
    ("code_alpaca/code_alpaca_2k.json", "output"),
    ("lima_and_oasst_zh/lima.json.gz", "output"),
    ("lima_and_oasst_zh/oaast_sft_zh.json", "output"),
    ("llamafactory_demos/alpaca_en_demo.json", "output"),
    ("hh_rlhf_harmless_base_test/test.jsonl.gz", "chosen"),
    ("oasst_en100_trees/en_100_message.jsonl", "text"),
]


def _records(path: Path) -> list[dict[str, Any]]:
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        if ".jsonl" in path.name:
            return [json.loads(line) for line in handle if line.strip()]
        loaded: list[dict[str, Any]] = json.load(handle)
        return loaded


def corpus(shared: Path) -> list[tuple[str, str]]:
    """(source file, document): each distinct text of at least MIN_CHARS characters, in file order."""
    seen: set[str] = set()
    out = []
    for name, field in SOURCES:
        for record in _records(shared / name):
            text = record.get(field)
            if isinstance(text, str) and len(text) >= MIN_CHARS and text not in seen:
                seen.add(text)
                out.append((name, text))
    return out


def datatrove_filters() -> dict[str, Any]:
    from datatrove.pipeline import filters

    return {"gopher_repetition": filters.GopherRepetitionFilter(), "gopher_quality": filters.GopherQualityFilter(),
            "c4": filters.C4QualityFilter(), "fineweb": filters.FineWebQualityFilter()}


def datatrove_verdicts(texts: list[str]) -> Iterator[dict[str, str | None]]:
    """Per document, per rule set: None when datatrove keeps it, else its reason (or 'error: ...')."""
    from datatrove.data import Document

    filters = datatrove_filters()
    for i, text in enumerate(texts):
        verdict: dict[str, str | None] = {}
        for name, f in filters.items():
            try:
                kept = f.filter(Document(text=text, id=str(i)))
            except Exception as exc:  # datatrove divides by zero on some texts: counted as its own cause
                verdict[name] = f"error: {type(exc).__name__}"
                continue
            verdict[name] = None if kept is True else (kept[1] if isinstance(kept, tuple) else "dropped")
        yield verdict


# datatrove's reason for each of traingate's first rules (the n-gram rules keep datatrove's names).
DATATROVE_REASON = {
    "gopher_quality.short_doc": "gopher_short_doc", "gopher_quality.long_doc": "gopher_long_doc",
    "gopher_quality.short_words": "gopher_below_avg_threshold",
    "gopher_quality.long_words": "gopher_above_avg_threshold", "gopher_quality.hashes": "gopher_too_many_hashes",
    "gopher_quality.ellipses": "gopher_too_many_ellipsis", "gopher_quality.bullet_lines": "gopher_too_many_bullets",
    "gopher_quality.ellipsis_lines": "gopher_too_many_end_ellipsis",
    "gopher_quality.alpha_words": "gopher_below_alpha_threshold",
    "gopher_quality.stop_words": "gopher_enough_stop_words",
}


def datatrove_reason(reason: str) -> str:
    return DATATROVE_REASON.get(reason, reason.partition(".")[2])


def compare(texts: list[str], theirs: list[dict[str, str | None]]) -> dict[str, Counter[str]]:
    """Per rule set, documents by outcome: 'same reason', 'same verdict, other reason' (both drop it, for a
    different first rule), or the disagreement 'traingate X / datatrove Y' (None: kept)."""
    config = PretrainingQualityCheck(type="pretraining_quality")
    tally: dict[str, Counter[str]] = {name: Counter() for name in RULE_SETS}
    for text, verdict in zip(texts, theirs):
        ours = judge(text, config)
        for name in RULE_SETS:
            mine = datatrove_reason(ours[name][0].reason) if ours[name] else None
            if mine == verdict[name]:
                tally[name]["same reason"] += 1
            elif mine is not None and verdict[name] is not None:
                tally[name]["same verdict, other reason"] += 1
            else:
                tally[name][f"traingate {mine} / datatrove {verdict[name]}"] += 1
    return tally


def agreement(counts: Counter[str]) -> float:
    """The share of documents whose pass or fail is the same on both sides."""
    return (counts["same reason"] + counts["same verdict, other reason"]) / sum(counts.values())


def sampled(shared: Path) -> list[tuple[str, str]]:
    """Every SAMPLE_EVERY-th document of the corpus: each source file keeps its share."""
    return corpus(shared)[::SAMPLE_EVERY]


@lru_cache(maxsize=1)
def verdicts_of_the_sample(shared: Path) -> list[dict[str, str | None]]:
    """datatrove's verdicts over the sampled documents, computed once for the tests below."""
    return list(datatrove_verdicts([text for _, text in sampled(shared)]))


def test_pass_or_fail_agrees_with_datatrove_on_99_percent_per_rule_set(shared: Path) -> None:
    pytest.importorskip("datatrove")
    texts = [text for _, text in sampled(shared)]
    assert len(texts) >= 2500
    tally = compare(texts, verdicts_of_the_sample(shared))
    for name, counts in tally.items():
        assert agreement(counts) >= 0.99, (name, counts.most_common(6))
        assert counts["same reason"] / len(texts) >= 0.99, (name, counts.most_common(6))


def test_the_check_counts_the_rows_datatrove_drops(shared: Path, tmp_path: Path) -> None:
    """The check in a run (one pass, four rule sets) counts per rule set the documents datatrove drops."""
    pytest.importorskip("datatrove")
    docs = sampled(shared)[:800]
    write_jsonl(tmp_path / "docs.jsonl", [{"text": text} for _, text in docs])
    contract = parse_contract("contract: c\nversion: 1.0.0\ndataset:\n  kind: pretraining\nchecks:\n  relevance:\n"
                              "    - type: pretraining_quality\n", str(tmp_path / "c.yaml"))
    (check,) = validate(contract, [str(tmp_path / "docs.jsonl")]).checks
    dropped = Counter(name for verdict in verdicts_of_the_sample(shared)[:len(docs)]
                      for name, reason in verdict.items() if reason is not None)
    assert check.details["rule_sets"] == {name: dropped[name] for name in RULE_SETS}
    config = PretrainingQualityCheck(type="pretraining_quality")
    assert check.findings == sum(1 for _, text in docs if any(judge(text, config).values()))


def test_the_punctuation_sets_are_datatrove_s() -> None:
    text = pytest.importorskip("datatrove.utils.text")
    from traingate.validators.relevance import pretraining_words as ours

    assert ours.PUNCTUATION == text.PUNCTUATION
    assert ours.TERMINAL_PUNCTUATION == text.TERMINAL_PUNCTUATION and ours.PUNCTUATION_SET == text.PUNCTUATION_SET
