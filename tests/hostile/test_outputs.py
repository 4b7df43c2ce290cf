"""Hostile cases for outputs and exit codes: an output never destroys an input, a write failure or a failing
presenter is a clean exit 3 that loses nothing else, one data value (a control character, a lone surrogate,
HTML, a newline in a file name) never crashes a run nor reaches a terminal, an XML parser, a GitHub runner or
a dataset card raw, and exit 1 only ever means a failed gate."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from traingate.cli.app import app

CONTRACT = """\
contract: hostile
version: 1.0.0
dataset:
  kind: pretraining
checks:
  format:
    - {type: max_chars, limit: 10, max_count: 0}
  quantity:
    - {type: min_rows, min: 1}
  coverage:
    - {type: distribution, feature: topic, required: [sea]}
"""
ROWS = [{"text": "short", "topic": "sea"}, {"text": "a text well past ten characters", "topic": "land"}]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def workspace(tmp_path: Path, rows: list[dict[str, str]] = ROWS, name: str = "data.jsonl",
              tail: bytes = b"") -> tuple[Path, Path]:
    contract, data = tmp_path / "c.yaml", tmp_path / name
    tmp_path.mkdir(exist_ok=True)
    contract.write_text(CONTRACT)
    data.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in rows) + tail)
    return contract, data


def digest(*paths: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.fixture
def never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused command must stop before the data is read: reading fails the test."""
    from traingate.engine import runner

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the data was read")

    monkeypatch.setattr(runner, "validate", refuse)


@pytest.mark.parametrize("option", ["--report", "--json", "--junit", "--evidence"])
@pytest.mark.parametrize("target", ["data", "contract", "symlink", "hardlink", "inside", "directory"])
def test_an_output_onto_an_input_is_a_usage_error_before_anything_is_read(
        tmp_path: Path, option: str, target: str, never_read: None) -> None:
    contract, data = workspace(tmp_path / "w" if target == "inside" else tmp_path)
    given = str(data.parent if target == "inside" else data)
    out = {"data": data, "contract": contract, "symlink": tmp_path / "link.json", "hardlink": tmp_path / "hard.json",
           "inside": data.parent / "report.out", "directory": tmp_path}[target]
    if target == "symlink":
        out.symlink_to(data)
    if target == "hardlink":
        os.link(data, out)
    before = digest(contract, data)
    code, _, stderr = invoke("validate", str(contract), given, option, str(out))
    assert code == 2, stderr
    line = one_line(stderr)
    assert option in line and ("directory" in line if target in ("inside", "directory") else "input" in line)
    assert digest(contract, data) == before and not (target == "inside" and out.exists())


def test_every_command_refuses_an_output_onto_its_input(tmp_path: Path) -> None:
    contract, data = workspace(tmp_path)
    saved = tmp_path / "run.json"
    assert invoke("validate", str(contract), str(data), "--json", str(saved))[0] == 1
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"name": "s", "expectations": []}))
    inputs = (contract, data, saved, suite)
    before = digest(*inputs)
    cases = [("init", str(data), "-o", str(data)), ("export", str(contract), "-o", str(contract)),
             ("card", str(saved), "-o", str(saved)), ("report", str(saved), "--html", str(saved)),
             ("report", str(saved), "--markdown", str(saved)), ("import-gx", str(suite), "-o", str(suite)),
             ("promote", str(saved), "--approver", "a", "--override", "x", "--ledger", str(saved)),
             ("promote", str(saved), "--approver", "a", "--override", "x", "--ledger", str(data)),
             ("promote", str(saved), "--approver", "a", "--override", "x", "--ledger", str(tmp_path)),
             ("schema", "-o", str(tmp_path)), ("card", str(saved), "-o", str(tmp_path))]
    for args in cases:
        code, _, stderr = invoke(*args)
        assert code == 2 and ("input" in one_line(stderr) or "directory" in stderr), (args, stderr)
    assert digest(*inputs) == before


@pytest.mark.parametrize("where", ["missing folder", "read-only file", "full disk"])
def test_a_write_failure_is_exit_3_in_one_line_and_loses_the_other_outputs_nothing(tmp_path: Path, where: str) -> None:
    contract, data = workspace(tmp_path)
    target = {"missing folder": tmp_path / "nowhere" / "run.json", "read-only file": tmp_path / "locked.json",
              "full disk": Path("/dev/full")}[where]
    if where == "read-only file":
        target.write_text("kept")
        target.chmod(0o444)
    code, stdout, stderr = invoke("validate", str(contract), str(data), "--json", str(target),
                                  "--junit", str(tmp_path / "r.xml"))
    assert code == 3 and "--json" in one_line(stderr) and "cannot write" in stderr
    assert "verdict: FAILED" in stdout and ET.parse(tmp_path / "r.xml").getroot().tag == "testsuite"
    assert where != "read-only file" or target.read_text() == "kept"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failing_presenter_loses_nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.reports import vega

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the chart renderer gave up")

    monkeypatch.setattr(vega, "svg", broken)
    contract, data = workspace(tmp_path)
    code, stdout, stderr = invoke("validate", str(contract), str(data), "--report", str(tmp_path / "r.html"),
                                  "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    assert code == 3 and "HTML report (--report) failed" in one_line(stderr) and "gave up" in stderr
    assert json.loads((tmp_path / "r.json").read_text())["gate"]["verdict"] == "failed"
    assert ET.parse(tmp_path / "r.xml").getroot().get("failures") == "1" and "verdict: FAILED" in stdout
    assert not (tmp_path / "r.html").exists()


# every C0 control, DEL, a C1 control, the noncharacters XML forbids, a bidi override (lone surrogates come in
# through a file name below: a JSON row holding one is an unreadable record)
HOSTILE = "".join(map(chr, range(32))) + "\x7f\x9b\ufffe\uffff\u202e"


def test_a_control_character_in_a_charted_value_does_not_abort_the_run(tmp_path: Path) -> None:
    """An ESC in a charted value made vl-convert abort the process (exit 134) before any output was written;
    run in a subprocess, bounded, since an abort would take pytest with it."""
    contract, data = workspace(tmp_path, [{"text": "short", "topic": "sea"}, {"text": "x", "topic": HOSTILE}])
    run = subprocess.run([sys.executable, "-m", "traingate", "validate", str(contract), str(data), "--report",
                          str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json")],
                         capture_output=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "\\x1b" in html and "\x1b" not in html and json.loads((tmp_path / "r.json").read_text())


def test_junit_json_and_html_survive_every_character_xml_forbids(tmp_path: Path) -> None:
    name = os.fsdecode(b"d\xff\x1b.jsonl")  # a file name that is not UTF-8 reaches Python as a lone surrogate
    contract, data = workspace(tmp_path, [{"text": f"long text {HOSTILE}", "topic": "sea"}], name,
                               tail=b'{"text": "\x01\x1b[2J broken\n')
    outputs = [tmp_path / n for n in ("r.xml", "r.json", "r.html")]
    code, _, stderr = invoke("validate", str(contract), str(data), "--junit", str(outputs[0]), "--json",
                             str(outputs[1]), "--report", str(outputs[2]))
    assert code == 1, stderr
    suite = ET.fromstring(outputs[0].read_bytes())  # XML 1.0, parsed back
    text = " ".join(node.text or "" for node in suite.iter())
    assert all(f"\\x{code:02x}" in text for code in (*range(9), 11, 12, *range(14, 32)))
    assert "\\ufffe" in text and "\\uffff" in text and "\\udcff" in text
    assert json.loads(outputs[1].read_text(encoding="utf-8"))["dataset"]["bad_records"] == 1
    assert "\\udcff" in outputs[2].read_text(encoding="utf-8")


def test_terminal_output_carries_no_escape_sequence_from_the_data(tmp_path: Path) -> None:
    contract, data = workspace(tmp_path, name="\x1b[2J\x1b]0;owned\x07.jsonl", tail=b"{broken\n")
    code, stdout, stderr = invoke("validate", str(contract), str(data))
    assert code == 1 and "unreadable record" in stdout
    assert "\x1b" not in stdout + stderr and "\x07" not in stdout and "\\x1b[2J" in stdout


def test_github_format_starts_no_workflow_command_from_a_file_name(tmp_path: Path) -> None:
    """Read stdout as the Actions runner does: a line that starts with :: is a command, except between
    ::stop-commands::TOKEN and ::TOKEN::. Only traingate's own annotations may be commands."""
    contract, data = workspace(tmp_path, name="a\n::error::pwned\n.jsonl", tail=b"{broken\n")
    code, stdout, _ = invoke("validate", str(contract), str(data), "--format", "github")
    assert code == 1
    commands, stopped = [], None
    for line in stdout.splitlines():
        text = line.strip()
        if stopped is not None:
            stopped = None if text == f"::{stopped}::" else stopped
        elif text.startswith("::stop-commands::"):
            stopped = text.removeprefix("::stop-commands::")
        elif text.startswith("::"):
            commands.append(text)
    assert stopped is None and len(commands) == 2, stdout
    assert all(re.match(r"::(error|warning|notice) [^\n]*title=[^:,]+::", c) for c in commands)
    assert not any(c.startswith("::error::pwned") for c in commands) and "a%0A%3A%3Aerror%3A%3Apwned%0A" in commands[0]


def test_html_in_a_file_name_reaches_the_card_escaped(tmp_path: Path) -> None:
    contract, data = workspace(tmp_path, name="<img src=x onerror=alert(1)>&.jsonl")
    invoke("validate", str(contract), str(data), "--json", str(tmp_path / "r.json"))
    code, stdout, _ = invoke("card", str(tmp_path / "r.json"))
    assert code == 0 and "&lt;img src=x onerror=alert(1)&gt;&amp;.jsonl" in stdout and "<img" not in stdout
    code, stdout, _ = invoke("report", str(tmp_path / "r.json"), "--markdown", "-")
    assert code == 0 and "<img" not in stdout


def test_faults_are_exit_2_or_3_in_one_line_never_exit_1(tmp_path: Path) -> None:
    contract, data = workspace(tmp_path)
    saved, ledger = tmp_path / "run.json", tmp_path / "ledger.jsonl"
    invoke("validate", str(contract), str(data), "--json", str(saved))
    assert invoke("promote", str(saved), "--approver", "a", "--override", "known", "--ledger", str(ledger))[0] == 0
    ledger.write_text(ledger.read_text() + '{"time": "2024-01-01", "appro\n')  # a line cut short
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xff not json")
    kept = ledger.read_bytes()
    cases = [(("promote", str(saved), "--approver", "a", "--override", "x", "--ledger", str(ledger)), 3, ":2:"),
             (("ledger", str(tmp_path / "none.jsonl")), 3, "no ledger"),
             (("report", str(garbage)), 3, "not a traingate run"), (("report", str(tmp_path)), 3, "not a traingate run"),
             (("diff", str(saved), str(tmp_path / "missing.json")), 3, "not a traingate run"),
             (("card", str(garbage)), 3, "not a traingate run"),
             (("export", str(tmp_path / "missing.yaml")), 3, "cannot read contract"),
             (("import-gx", str(garbage)), 3, "not a Great Expectations suite"),
             (("init", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "new.yaml")), 3, "missing.jsonl"),
             (("validate", str(contract), str(data), "--format", "gitlab"), 2, "")]
    for args, expected, words in cases:
        code, _, stderr = invoke(*args)
        assert code == expected and words in stderr and "Traceback" not in stderr, (args, code, stderr)
        assert expected == 2 or one_line(stderr)
    assert ledger.read_bytes() == kept


def test_an_unexpected_error_is_exit_3_and_debug_shows_its_traceback(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.engine import runner

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "validate", crash)
    contract, data = workspace(tmp_path)
    code, _, stderr = invoke("validate", str(contract), str(data))
    assert code == 3 and "RuntimeError: boom" in one_line(stderr) and "--debug" in stderr
    code, _, stderr = invoke("--debug", "validate", str(contract), str(data))
    assert code == 3 and "Traceback" in stderr and "RuntimeError: boom" in stderr

    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "validate", interrupt)
    assert invoke("validate", str(contract), str(data))[0] == 130


def test_a_closed_output_pipe_is_exit_3_not_a_failed_gate(tmp_path: Path) -> None:
    """`traingate validate ... | head`: rich ends a closed pipe with exit 1, which reads as a failed gate."""
    contract, data = workspace(tmp_path)
    run = subprocess.Popen([sys.executable, "-m", "traingate", "validate", str(contract), str(data)], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert run.stdout is not None
    run.stdout.close()  # long before the run prints: it takes a second to import
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 3 and b"terminal summary failed" in stderr and b"Traceback" not in stderr
