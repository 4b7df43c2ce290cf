"""Fuzzing `validate` and `lint`: random bytes as data files and contracts, random JSON values as rows, random YAML
as contracts. Each case runs in-process through the CLI and must end within a bound with an exit code of 0-3, no
traceback and no unexpected error (the "run with --debug" message the CLI gives a bug it did not foresee).
The default examples are few and derandomized, so CI is reproducible; `pytest -m slow` runs many more."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from traingate.cli.app import app

BOUND = 20  # seconds one case may take before it counts as a hang (a hang raises, it does not stall the suite)
FAST = settings(max_examples=25, derandomize=True, deadline=timedelta(seconds=8), database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=300, derandomize=False, deadline=timedelta(seconds=8), database=None,
                suppress_health_check=[HealthCheck.too_slow])

CONTRACT: dict[str, Any] = {
    "contract": "fuzz", "version": "1.0.0", "dataset": {"kind": "sft"},
    "checks": {
        "quantity": [{"type": "min_rows", "min": 1}],
        "format": [{"type": "empty_text"}, {"type": "max_chars", "limit": 50}, {"type": "encoding"},
                   {"type": "whitespace", "severity": "warn"}],
        "uniqueness": [{"type": "exact_duplicates"}],
        "coverage": [{"type": "diversity", "feature": "prompt", "severity": "info"}],
    },
}
ROWS = '{"prompt": "a question", "response": "an answer"}\n{"prompt": "another", "response": "reply"}\n'
SUFFIXES = (".jsonl", ".csv", ".json", ".parquet")
UNEXPECTED = "run with --debug for the traceback"


class Hung(BaseException):
    """A case ran past BOUND. Not an Exception, so the CLI's own error handling cannot turn it into an exit code."""


def _hung(signum: int, frame: FrameType | None) -> None:
    raise Hung(f"a case ran past {BOUND} s")


@contextmanager
def bounded() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(BOUND)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def invoke(*args: str | Path) -> tuple[int, str]:
    with bounded():
        result = CliRunner().invoke(app, [str(a) for a in args])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (result.exception, output)
    assert result.exit_code in (0, 1, 2, 3), (result.exit_code, output)
    assert "Traceback" not in output, output
    assert UNEXPECTED not in output, output
    return result.exit_code, output


@contextmanager
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="traingate-fuzz-") as name:
        yield Path(name)


def write_contract(where: Path, text: str | bytes | None = None) -> Path:
    path = where / "contract.yaml"
    payload = yaml.safe_dump(CONTRACT, sort_keys=False) if text is None else text
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    else:
        path.write_text(payload, encoding="utf-8")
    return path


def validate_data(where: Path, data: Path) -> tuple[int, str]:
    """Run the fixed contract over `data`, writing the JSON result and the JUnit XML; the data is left as it was."""
    before = data.read_bytes()
    code, output = invoke("validate", write_contract(where), data, "--json", where / "run.json", "--junit",
                          where / "run.xml")
    assert data.read_bytes() == before
    if code in (0, 1):  # a verdict was reached: the JSON result holds it
        assert json.loads((where / "run.json").read_text(encoding="utf-8"))["gate"]["exit_code"] == code
    return code, output


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import what a run imports once, so the first example's deadline does not pay for it."""
    with folder() as where:
        data = where / "d.jsonl"
        data.write_text(ROWS, encoding="utf-8")
        assert validate_data(where, data)[0] == 0


# JSON values: scalars, nested lists and objects; rows are either any of them or sft-shaped objects whose fields are.
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=12)
sft_rows = st.fixed_dictionaries({"prompt": values, "response": values}, optional={"id": values})
rows = st.lists(sft_rows | values, min_size=0, max_size=6)


def fuzz_bytes(where: Path, suffix: str, payload: bytes) -> None:
    data = where / f"data{suffix}"
    data.write_bytes(payload)
    validate_data(where, data)


def fuzz_jsonl(where: Path, items: list[Any]) -> None:
    data = where / "data.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    validate_data(where, data)


def fuzz_json_array(where: Path, items: list[Any]) -> None:
    data = where / "data.json"
    data.write_text(json.dumps(items), encoding="utf-8")
    validate_data(where, data)


def fuzz_contract(where: Path, text: str | bytes) -> None:
    contract = write_contract(where, text)
    data = where / "d.jsonl"
    data.write_text(ROWS, encoding="utf-8")
    before = contract.read_bytes()
    invoke("lint", contract)
    invoke("validate", contract, data)
    assert contract.read_bytes() == before


# Random YAML: nested dicts, lists and scalars dumped with yaml; and the fixed contract with one subtree replaced.
yaml_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                        max_size=4), max_leaves=16)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        found += [p for key, child in node.items() for p in _paths(child, (*prefix, key))]
    elif isinstance(node, list):
        found += [p for i, child in enumerate(node) for p in _paths(child, (*prefix, i))]
    return found


@st.composite
def mutated_contracts(draw: st.DrawFn) -> str:
    """The fixed contract with one node (a key's value, a list item, the whole) replaced by a random YAML value."""
    tree = json.loads(json.dumps(CONTRACT))
    where = draw(st.sampled_from(_paths(tree)))
    new = draw(yaml_values)
    if not where:
        return yaml.safe_dump(new)
    parent = tree
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = new
    return yaml.safe_dump(tree, sort_keys=False)


random_yaml = yaml_values.map(yaml.safe_dump) | mutated_contracts()


@FAST
@given(suffix=st.sampled_from(SUFFIXES), payload=st.binary(max_size=512))
def test_random_bytes_as_data_end_with_an_exit_code(suffix: str, payload: bytes) -> None:
    with folder() as where:
        fuzz_bytes(where, suffix, payload)


@FAST
@given(items=rows)
@example(items=[None])  # a block that began with a `null` line crashed pyarrow's JSON reader (SIGSEGV)
@example(items=[{"prompt": "p", "response": "r"}, None])  # a later `null` line read as a row of nulls
@example(items=[{"prompt": None, "response": [None, None]}])  # pyarrow built an invalid list array: a crash
@example(items=[{"prompt": [{}], "response": None}, {"prompt": [[]], "response": None}])  # pyarrow took [] alone as a struct
def test_random_json_values_as_jsonl_lines_end_with_an_exit_code(items: list[Any]) -> None:
    with folder() as where:
        fuzz_jsonl(where, items)


@FAST
@given(items=rows)
def test_random_json_values_as_a_json_array_end_with_an_exit_code(items: list[Any]) -> None:
    with folder() as where:
        fuzz_json_array(where, items)


@FAST
@given(text=random_yaml)
def test_random_yaml_as_the_contract_ends_with_an_exit_code(text: str) -> None:
    with folder() as where:
        fuzz_contract(where, text)


@FAST
@given(payload=st.binary(max_size=512))
@example(payload=b"\x00")  # a character YAML does not allow was an unexpected ReaderError, not a contract error
@example(payload=b"contract: t\n  bad: \x07")
def test_random_bytes_as_the_contract_end_with_an_exit_code(payload: bytes) -> None:
    with folder() as where:
        fuzz_contract(where, payload)


@pytest.mark.slow
@pytest.mark.exhaustive
@SLOW
@given(suffix=st.sampled_from(SUFFIXES), payload=st.binary(max_size=4096))
def test_slow_random_bytes_as_data(suffix: str, payload: bytes) -> None:
    with folder() as where:
        fuzz_bytes(where, suffix, payload)


@pytest.mark.slow
@pytest.mark.exhaustive
@SLOW
@given(items=rows, as_array=st.booleans())
def test_slow_random_json_values_as_data(items: list[Any], as_array: bool) -> None:
    with folder() as where:
        (fuzz_json_array if as_array else fuzz_jsonl)(where, items)


@pytest.mark.slow
@pytest.mark.exhaustive
@SLOW
@given(text=random_yaml | st.binary(max_size=2048))
def test_slow_random_contracts(text: str | bytes) -> None:
    with folder() as where:
        fuzz_contract(where, text)


@pytest.mark.parametrize(("payload", "where", "character"), [(b"\x00", "1:1", "#x0000"),
                                                             (b"contract: t\n  bad: \x07\n", "2:8", "#x0007")])
def test_a_character_yaml_forbids_is_a_contract_error_at_its_place(payload: bytes, where: str, character: str) -> None:
    with folder() as here:
        contract = write_contract(here, payload)
        for command in ("lint", "validate"):
            code, output = invoke(command, contract, *(["--json", here / "run.json"] if command == "validate" else []))
            assert code == 3
            assert f"contract.yaml:{where}: YAML does not allow the character {character}" in output
        assert not (here / "run.json").exists()


@pytest.mark.parametrize("lines", [["null"], ["", " null", ROWS.splitlines()[0]], [*ROWS.splitlines(), "null"]])
def test_a_null_line_is_an_unreadable_record_not_a_crash_or_a_row(lines: list[str]) -> None:
    """pyarrow's JSON reader crashes the process (SIGSEGV) on a block whose first record is `null`, and reads a later
    `null` line as a row of nulls; either way it is one `not_an_object` record at its line, as `1` or `[]` is.
    In a subprocess, so that a crash fails the test instead of ending the test run."""
    with folder() as where:
        data = where / "data.jsonl"
        data.write_text("\n".join(lines) + "\n", encoding="utf-8")
        contract = write_contract(where)
        proc = subprocess.run([sys.executable, "-m", "traingate", "validate", str(contract), str(data), "--json",
                               str(where / "run.json")], capture_output=True, text=True, timeout=60)
        assert proc.returncode in (1, 3), proc.stdout + proc.stderr
        run = json.loads((where / "run.json").read_text(encoding="utf-8"))
        null_line = lines.index(next(line for line in lines if line.strip() == "null")) + 1
        faults = [(f["line"], f["kind"]) for f in run["dataset"]["faults"]]
        assert faults == [(null_line, "not_an_object")]
        assert run["dataset"]["rows"] == sum(1 for line in lines if line.strip().startswith("{"))


@pytest.mark.parametrize("response", [[None, None], [None, None, None]])
def test_a_list_of_nulls_is_read_as_it_stands(response: Any) -> None:
    """pyarrow's JSON reader builds an invalid array from a list of two or more nulls (its offsets pass its
    values), which crashed the run; the rows are read as the lines hold them: a response with no text in it,
    which empty_text finds, and nothing else."""
    with folder() as where:
        data = where / "data.jsonl"
        data.write_text("".join(json.dumps({"prompt": f"question {i}", "response": response}) + "\n" for i in range(2)),
                        encoding="utf-8")
        code, output = validate_data(where, data)
        run = json.loads((where / "run.json").read_text(encoding="utf-8"))
        assert code == 1, output
        assert run["dataset"]["rows"] == 2 and run["dataset"]["faults"] == []
        failed = {f"{c['group']}.{c['type']}": c["findings"] for c in run["checks"] if c["status"] == "failed"}
        assert failed == {"format.empty_text": 2}
