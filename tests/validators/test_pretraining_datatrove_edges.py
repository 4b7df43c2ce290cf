"""Hand-built edge documents put to datatrove's four filters and to traingate's rules: the same verdict and
the same first reason for every one, with default and with changed thresholds. Skipped without datatrove
(a dev dependency only). Left out: a text holding the string IS_ALPHA, which datatrove's spaCy tokenizes
wrongly once a memory zone has met it (test_pretraining_check.py pins that traingate does not)."""

from __future__ import annotations

from typing import Any

import pytest

from traingate.validators.relevance.pretraining import RULE_SETS, PretrainingQualityCheck, judge

pytest.importorskip("spacy")
dt = pytest.importorskip("datatrove.pipeline.filters")

SENTENCE = "the sound of rain and wind came with storm tonight."
PROSE = " ".join([SENTENCE] * 5)
EDGES = [
    "", " ", "\n", "\n\n\n", "hello", "Hello.", "ab cd", PROSE, PROSE.rsplit(" ", 1)[0],
    "\n".join([SENTENCE] * 5), "\r\n".join([SENTENCE] * 5), "\r".join([SENTENCE] * 5),
    "\u2028".join([SENTENCE] * 5), "\x0b".join([SENTENCE] * 6), "\x1c".join([SENTENCE] * 6),
    "!!! ??? ...", "... … ...\n…\n...", "#tag " * 30, "- item one here\n" * 12, "• bullet point.\n" * 20,
    "\n".join(["- item the and here"] * 9 + ["plain line of the text."]),
    "first line…\nsecond line...\nthird\nfourth\nfifth\nsixth",
    "布洛芬是一种非类固醇消炎药，用于治疗疼痛和发烧。" * 5, "布洛芬。\n" * 30,
    " ".join(["café naïve résumé über straße"] * 10) + " the and",
    PROSE + "\nlorem ipsum dolor sit amet.", PROSE + "\nLorem Ipsum dolor sit amet", "the {x} braces are here.\n" + PROSE,
    PROSE + "\nthe javascript {x} line is here.", "\n".join([SENTENCE + "[1]"] * 5),
    "\n".join([SENTENCE + " [citation needed]"] * 5), "x" * 1001 + " the and of.\n" + PROSE,
    "same words\n\nsame words", "same words\r\n\r\nsame words", "one two three four five one two three four five six",
    "\n".join(f"Point {i} is made here very clearly indeed." for i in range(5)) + "\n" * 12,
    "\n".join([f"{i:02d}" + "z" * 27 + "." for i in range(10)]),
    "Don't stop, e.g. now! Mr. Smith went to Washington D.C. on Jan. 5th; he said \"no.\" " * 8,
    "😀 emoji text 🎉 with the and of words everywhere. " * 12, "\u200b zero\u200bwidth the and " * 20,
    "\t\ttabbed the and of text here.\n" * 10, "A" * 5000, ("word " * 20 + "\n") * 30 + "the end.",
    "def f(x):\n    return {'a': x}\n" * 10, "<html><body>the page of it and more</body></html>\n" * 8,
]
CHANGED: dict[str, dict[str, Any]] = {
    "gopher_repetition": {"dup_line_frac": 0.1, "top_n_grams": [[2, 0.5]], "dup_n_grams": [[3, 0.3]]},
    "gopher_quality": {"min_doc_words": 5, "max_doc_words": 80, "min_stop_words": 1, "stop_words": ["the", "rain"],
                       "max_non_alpha_words_ratio": 0.5},
    "c4": {"min_num_sentences": 2, "min_words_per_line": 1, "filter_curly_bracket": False, "split_paragraph": False},
    "fineweb": {"line_punct_thr": 0.5, "line_punct_exclude_zero": True, "short_line_length": 10,
                "char_duplicates_ratio": 0.2, "new_line_ratio": 0.5, "stop_chars": [".", "!"]},
}
CLASSES = {"gopher_repetition": "GopherRepetitionFilter", "gopher_quality": "GopherQualityFilter",
           "c4": "C4QualityFilter", "fineweb": "FineWebQualityFilter"}
REASON = {"short_doc": "gopher_short_doc", "long_doc": "gopher_long_doc", "short_words": "gopher_below_avg_threshold",
          "long_words": "gopher_above_avg_threshold", "hashes": "gopher_too_many_hashes",
          "ellipses": "gopher_too_many_ellipsis", "bullet_lines": "gopher_too_many_bullets",
          "ellipsis_lines": "gopher_too_many_end_ellipsis", "alpha_words": "gopher_below_alpha_threshold",
          "stop_words": "gopher_enough_stop_words"}


def _datatrove(rule_set: str, options: dict[str, Any], text: str) -> str | None:
    from datatrove.data import Document

    arguments = {k: tuple(map(tuple, v)) if k.endswith("n_grams") else tuple(v) if k == "stop_chars" else v
                 for k, v in options.items()}
    kept = getattr(dt, CLASSES[rule_set])(**arguments).filter(Document(text=text, id="0"))
    return None if kept is True else str(kept[1])


def _traingate(rule_set: str, options: dict[str, Any], text: str) -> str | None:
    config = PretrainingQualityCheck(type="pretraining_quality", rules=[rule_set], **{rule_set: options})
    found = judge(text, config)[rule_set]
    rule = found[0].reason.partition(".")[2] if found else None
    return REASON.get(rule, rule) if rule else None


@pytest.mark.parametrize("rule_set", RULE_SETS)
@pytest.mark.parametrize("changed", [False, True], ids=["defaults", "changed"])
def test_every_edge_document_gets_datatrove_s_verdict_and_reason(rule_set: str, changed: bool) -> None:
    options = CHANGED[rule_set] if changed else {}
    ours = [_traingate(rule_set, options, text) for text in EDGES]
    theirs = [_datatrove(rule_set, options, text) for text in EDGES]
    assert ours == theirs
    assert any(ours) and not all(ours), "the documents both pass and fail each rule set"
