"""traingate.validate(): the library call is the command's call. The example below runs a contract through
it and reads the same figures the command writes with --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import traingate
from tests.cli.test_cli import invoke
from tests.conftest import write_jsonl
from traingate import UsageError, mebibytes
from traingate.results import RunResult

CONTRACT = """\
contract: api
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_count: 0}
    - {type: max_chars, limit: 40, max_rate: 0.05, severity: warn}
  quantity:
    - {type: min_rows, min: 5}
  uniqueness:
    - {type: exact_duplicates, max_rate: 0.1}
"""
ROWS = [{"prompt": f"Question {i}?", "response": f"Answer {i}."} for i in range(8)] + [
    {"prompt": "Question 1?", "response": "Answer 1."},
    {"prompt": "Empty", "response": ""},
    {"prompt": "Long", "response": "An answer that runs well past the forty characters allowed."},
]


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    contract = tmp_path / "contract.yaml"
    contract.write_text(CONTRACT)
    return contract, write_jsonl(tmp_path / "data.jsonl", ROWS)


def figures(run: RunResult | dict[str, Any]) -> dict[str, Any]:
    """What a reader of the run acts on: the verdict and each check's status and values."""
    data = run.model_dump(mode="json") if isinstance(run, RunResult) else run
    keep = ("id", "status", "severity", "metric", "value", "rows", "findings", "rate", "message")
    return {"verdict": data["gate"]["verdict"], "exit_code": data["gate"]["exit_code"],
            "reasons": data["gate"]["reasons"], "rows": data["dataset"]["rows"],
            "checks": [{k: c[k] for k in keep} for c in data["checks"]]}


@pytest.mark.parametrize(("kwargs", "flags"), [({"workers": 1}, ["--workers", "1"]),
                                                ({"max_memory": "512MiB"}, ["--max-memory", "512MiB"])],
                         ids=["workers", "max_memory"])
def test_validate_returns_what_the_command_writes(inputs: tuple[Path, Path], tmp_path: Path,
                                                  kwargs: dict[str, Any], flags: list[str]) -> None:
    contract, data = inputs
    result = traingate.validate(contract, [data], **kwargs)
    assert result.gate.verdict == "failed" and result.gate.exit_code == 1
    statuses = {c.id: c.status for c in result.checks}
    assert statuses == {"format.empty_text": "failed", "format.max_chars": "failed", "quantity.min_rows": "passed",
                        "uniqueness.exact_duplicates": "passed"}
    code, _ = invoke("validate", str(contract), str(data), *flags, "--json", str(tmp_path / "run.json"))
    assert code == result.gate.exit_code
    assert figures(json.loads((tmp_path / "run.json").read_text())) == figures(result)


def test_fail_on_limit_exclude_and_the_contract_loaded_or_not(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    contract, data = inputs
    write_jsonl(tmp_path / "skip.jsonl", [{"prompt": "x", "response": ""}])
    loaded = traingate.load_contract(contract)
    by_path = traingate.validate(str(contract), [str(tmp_path / "*.jsonl")], exclude=["skip.*"])
    by_model = traingate.validate(loaded, str(data))  # one path is one input, not its characters
    assert figures(by_path) == figures(by_model)
    assert [s.path for s in by_path.dataset.skipped_files] == [str(tmp_path / "skip.jsonl")]
    assert traingate.validate(contract, [data], limit=8).gate.verdict == "passed"  # the first 8 rows are clean
    long = write_jsonl(tmp_path / "long.jsonl", ROWS[:8] + ROWS[-1:])  # only the warn check fails
    assert traingate.validate(loaded, [long]).gate.verdict == "warned"
    assert traingate.validate(loaded, [long], fail_on="warn").gate.verdict == "failed"
    assert loaded.gate.fail_on == "error"  # the caller's contract is not changed


def test_the_command_calls_the_library(inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    contract, data = inputs
    calls: list[dict[str, Any]] = []
    real = traingate.api.validate

    def spy(*args: Any, **kwargs: Any) -> RunResult:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(traingate.api, "validate", spy)
    code, _ = invoke("validate", str(contract), str(data), "--workers", "1", "--max-memory", "1GiB",
                     "--fail-on", "warn", "--exclude", "*.txt", "--cache", str(contract.parent / "cache"),
                     "--cache-max", "1GB", "--cache-verify")
    assert code == 1
    assert calls == [{"workers": 1, "engine": "local", "address": None, "max_memory": 1024.0, "limit": None,
                      "exclude": ["*.txt"], "fail_on": "warn", "show_progress": True, "evidence": None,
                      "rejects": None, "rejects_with_data": False, "clusters": None,
                      "cache": contract.parent / "cache", "cache_max": "1GB", "cache_verify": True}]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"engine": "spark"}, "engine='spark': use 'local' or 'ray'"),
    ({"max_memory": "lots"}, "max_memory='lots': give a size such as 8GiB or 512MiB"),
    ({"max_memory": 0}, "max_memory=0: give a size above zero"),
    ({"max_memory": "-1GiB"}, "give a size above zero"),
    ({"fail_on": "warning"}, "fail_on='warning': use 'error' or 'warn'"),
    ({"workers": 0}, "workers=0: give a number of worker processes, 1 or more"),
    ({"limit": 0}, "limit=0: give a number of rows"),
    ({"exclude": "*.txt"}, "give a list of glob patterns"),
])
def test_an_argument_that_cannot_be_used_is_a_usage_error(inputs: tuple[Path, Path], kwargs: dict[str, Any],
                                                           message: str) -> None:
    contract, data = inputs
    with pytest.raises(UsageError) as caught:
        traingate.validate(contract, [data], **kwargs)
    assert message in str(caught.value) and caught.value.exit_code == 2


def test_memory_sizes() -> None:
    assert mebibytes("8GiB") == 8192 and mebibytes("8 gb") == 8192 and mebibytes("2G") == 2048
    assert mebibytes("512MiB") == mebibytes("512") == mebibytes(512) == mebibytes(512.0) == 512
    for bad in ("lots", "", "8TiB", "512k", "nan", "inf", "0", True):
        with pytest.raises(ValueError, match="give a size"):
            mebibytes(bad)  # type: ignore[arg-type]


def test_the_readme_call() -> None:
    root = Path(__file__).resolve().parents[2]
    result = traingate.validate(str(root / "examples/sft/contract.yaml"), [str(root / "examples/sft/data.jsonl")])
    assert result.gate.verdict in ("passed", "warned") and result.checks
