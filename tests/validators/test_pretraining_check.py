"""The pretraining_quality check in a run: its options, its findings (a reason per rule, the measured value,
its unit and the limit in each sample), rows per rule set, null and missing text, another kind's field, and
the extra it needs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import contract_text
from traingate import MissingDependencyError
from traingate.contracts import parse_contract
from traingate.errors import ContractError
from traingate.results import RunResult

pytest.importorskip("spacy")

GOOD = ("Rain came to the valley late in the autumn of that year. Farmers had waited for weeks, watching the sky and "
        "counting the days until the wells ran dry.\nWhen the storm finally arrived, it brought wind strong enough to "
        "bend the old oaks by the river. Children stayed inside and listened to the thunder roll across the hills.\n"
        "By morning the fields were soaked, the streams were full, and the whole village walked out to see the "
        "damage and the blessing together.")
SHORT = "Too short to be a document."
REPEATED = "\n".join(["Buy cheap watches now, the best deals and offers with free shipping."] * 6)


def check_of(run: Callable[..., RunResult], rows: list[Any], options: str = "", kind: str = "pretraining") -> Any:
    result = run(contract_text(kind, "  relevance:\n    - type: pretraining_quality\n" + options), rows)
    (check,) = result.checks
    return check


def test_a_good_document_passes_and_bad_ones_are_found_per_rule(run: Callable[..., RunResult]) -> None:
    check = check_of(run, [{"text": GOOD}, {"text": SHORT}, {"text": REPEATED}])
    assert check.status == "failed" and check.rows == 3 and check.findings == 2
    assert check.details["rule_sets"] == {"gopher_repetition": 2, "gopher_quality": 1, "c4": 1, "fineweb": 2}
    assert check.details["by_reason"]["gopher_quality.short_doc"] == 1
    assert check.details["by_reason"]["gopher_repetition.dup_line_frac"] == 1  # 5 of 6 lines repeat the first
    sample = next(s for s in check.samples if s.reason == "gopher_repetition.dup_line_frac")
    assert sample.value == 5 / 6 and sample.measure == "ratio" and sample.line == 3 and sample.field == "text"
    assert sample.excerpt.startswith("needs at most 0.3 (dup_line_frac): Buy cheap watches")
    short = next(s for s in check.samples if s.reason == "gopher_quality.short_doc")
    assert short.value == 6 and short.measure == "words" and "at least 50 (min_doc_words)" in short.excerpt


def test_rule_sets_and_thresholds_are_chosen_in_the_contract(run: Callable[..., RunResult]) -> None:
    options = "      rules: [gopher_quality]\n      gopher_quality: {min_doc_words: 5, min_stop_words: 1}\n"
    check = check_of(run, [{"text": SHORT}, {"text": REPEATED}], options)
    assert check.details["rule_sets"] == {"gopher_quality": 0} and check.status == "passed"
    stricter = check_of(run, [{"text": GOOD}], "      rules: [c4]\n      c4: {min_num_sentences: 7}\n")
    assert stricter.details["by_reason"] == {"c4.too_few_sentences": 1}
    assert stricter.samples[0].value == 5 and "at least 7 (min_num_sentences)" in stricter.samples[0].excerpt


def test_null_and_missing_text_are_empty_documents(run: Callable[..., RunResult]) -> None:
    check = check_of(run, [{"text": None}, {"text": ""}, {"id": 3}], "      rules: [fineweb]\n")
    assert check.details["by_reason"] == {"fineweb.empty": 3}


def test_another_kind_names_its_field(run: Callable[..., RunResult]) -> None:
    rows = [{"prompt": "Write about rain.", "response": GOOD}, {"prompt": GOOD, "response": SHORT}]
    check = check_of(run, rows, "      field: response\n      rules: [gopher_quality]\n", kind="sft")
    assert check.findings == 1 and check.samples[0].line == 2 and check.samples[0].field == "response"


def test_unknown_options_and_rule_sets_are_contract_errors() -> None:
    for options in ("      gopher_quality: {min_words: 3}\n", "      rules: [gopher]\n", "      rules: []\n"):
        with pytest.raises(ContractError):
            parse_contract(contract_text("pretraining", "  relevance:\n    - type: pretraining_quality\n" + options),
                           "c.yaml")


def test_is_alpha_is_a_word_however_often_it_is_met() -> None:
    """spaCy mistakes the string IS_ALPHA for an attribute once a memory zone has met it first (wrong tokens,
    then an error): the tokenizer knows it before any zone."""
    from traingate.validators.relevance.pretraining_words import sentences, strings_freed, words

    text = "IS_ALPHA IS_ALPHA the cat. The dog."
    for _ in range(3):
        with strings_freed():
            assert words(text) == ["IS_ALPHA", "IS_ALPHA", "the", "cat", ".", "The", "dog", "."]
            assert sentences(text) == ["IS_ALPHA IS_ALPHA the cat.", " The dog."]


def test_without_spacy_the_run_stops_naming_the_extra(run: Callable[..., RunResult],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(MissingDependencyError) as caught:
        check_of(run, [{"text": GOOD}])
    assert caught.value.extra == "pretraining" and "pip install 'traingate[pretraining]'" in str(caught.value)


@pytest.mark.slow
def test_runs_beside_the_pii_check_in_a_fresh_process(tmp_path: Any) -> None:
    """The checks run on several threads: the pii check loading Presidio (which imports spaCy) while this one
    first imports spaCy left a half-imported module, and both checks errored. The pipeline is built when the
    check is, before any thread starts."""
    import json
    import subprocess

    pytest.importorskip("presidio_analyzer")
    (tmp_path / "data.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in (GOOD, SHORT, REPEATED)))
    (tmp_path / "c.yaml").write_text(contract_text("pretraining", "  relevance:\n    - type: pretraining_quality\n"
                                                   "  compliance:\n    - type: pii\n      recognizers: patterns\n"))
    done = subprocess.run([sys.executable, "-m", "traingate", "validate", "c.yaml", "data.jsonl", "--json", "r.json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    checks = json.loads((tmp_path / "r.json").read_text())["checks"]
    assert {c["id"]: c["status"] for c in checks} == {"relevance.pretraining_quality": "failed",
                                                            "compliance.pii": "passed"}, done.stdout
