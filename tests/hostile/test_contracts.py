"""Hostile contracts: a contract that never ends, an alias bomb, and regexes built to backtrack for ever.
Each run is a subprocess bounded by a timeout; a case passes only with its exit code, its message, no traceback
and its inputs unchanged."""

from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BOUND = 90  # seconds any one subprocess may take: a hang fails the test instead of stalling the suite
HEAD = "contract: t\nversion: 1.0.0\ndataset:\n  kind: sft\n"


MEMORY = 4 << 30  # address space any one subprocess may take: reading /dev/zero whole fails the test, not the machine


def _bounded_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "traingate", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=BOUND, preexec_fn=_bounded_memory)


def digest(*paths: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_clean_exit(proc: subprocess.CompletedProcess[str], code: int, message: str) -> None:
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_dev_zero_as_the_contract_fails_fast(tmp_path: Path, command: str) -> None:
    data = write(tmp_path, "d.jsonl", '{"prompt": "p", "response": "r"}\n')
    args = ["/dev/zero", data] if command == "validate" else ["/dev/zero"]
    proc = cli(command, *args, cwd=tmp_path)
    assert_clean_exit(proc, 3, "/dev/zero:1:1: the contract is larger than 1 MiB")


def test_huge_contract_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    contract = write(tmp_path, "c.yaml", HEAD + "checks:\n  quantity:\n    - {type: min_rows, min: 1}\n" + "#" * (8 << 20))
    before = digest(contract)
    proc = cli("lint", contract, cwd=tmp_path)
    assert_clean_exit(proc, 3, "c.yaml:1:1: the contract is larger than 1 MiB")
    assert digest(contract) == before


def test_alias_bomb_is_refused_at_the_alias(tmp_path: Path) -> None:
    lines = [HEAD.rstrip("\n"), "x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]" for i in range(1, 12)]  # 10**12 nodes expanded
    contract = write(tmp_path, "c.yaml", "\n".join(lines) + "\n")
    proc = cli("lint", contract, cwd=tmp_path)
    # aliases of x1 add 10 * 11 nodes, of x2 10 * 111 (1,220 so far), each of x3 1,111: its 8th passes 10,000
    assert_clean_exit(proc, 3, "c.yaml:8:45: YAML aliases expand the contract past 10,000 nodes at alias *x2")


def test_lint_names_the_regex_re2_cannot_take_with_its_location_and_fix(tmp_path: Path) -> None:
    contract = write(tmp_path, "c.yaml", HEAD + "checks:\n  compliance:\n    - type: blocklist\n"
                                                "      patterns: ['(\\w+)\\s\\1']\n")
    proc = cli("lint", contract, cwd=tmp_path)
    assert_clean_exit(proc, 3, "c.yaml:8:18: checks.compliance.0.patterns.0: RE2 cannot take the regex")
    assert "RE2 has no backreferences" in proc.stdout + proc.stderr


# A value of 41 characters on which a backtracking engine tries 2**41 ways before it fails.
EVIL = "a" * 41 + "!"
HANGS = {
    "response_format": ("checks:\n  alignment:\n    - type: response_format\n      format: regex\n"
                        "      pattern: '{p}'\n", "(a+)+$", "a+!?", 1),
    "secrets": ("checks:\n  compliance:\n    - type: secrets\n      extra_patterns: {{mine: '{p}'}}\n",
                "(a+)+$", "zzz", 0),  # no value ends in an a: nothing found, and found at once
    "gx_match_regex": ("expectations:\n  - expect_column_values_to_match_regex: {{column: response, regex: '{p}'}}\n",
                       "(a+)+$", "a+", 1),
    "blocklist_excerpt": ("checks:\n  compliance:\n    - type: blocklist\n      patterns: ['{p}']\n",
                          "(a+)+b|!", "!", 1),
    "pii_allow_regex": ("checks:\n  compliance:\n    - type: pii\n      recognizers: patterns\n"
                        "      entities: [EMAIL_ADDRESS]\n      allow: [{{regex: '{p}'}}]\n", "(a+)+$", "zzz", 1),
}
# warm.yaml, c.yaml, data, out.json: the hostile run timed after a benign one (which imports and warms every
# engine) and saved to out.json; then the CLI validates the hostile contract in the same, warmed process (its
# exit code, output and traceback are the process's own)
TIMED = textwrap.dedent("""\
    import json, sys, time
    from pathlib import Path
    from traingate.cli.app import main
    from traingate.contracts import load_contract
    from traingate.engine.runner import RunOptions, validate
    options = RunOptions(workers=1)
    validate(load_contract(sys.argv[1]), [sys.argv[3]], options=options)  # imports and warms every engine
    start = time.perf_counter()
    result = validate(load_contract(sys.argv[2]), [sys.argv[3]], options=options)
    seconds = time.perf_counter() - start
    Path(sys.argv[4]).write_text(json.dumps({"seconds": seconds, "status": [c.status for c in result.checks]}))
    sys.argv = ["traingate", "validate", sys.argv[2], sys.argv[3], "--workers", "1"]
    main()
""")


@pytest.mark.slow  # a process a case, warming every engine
@pytest.mark.parametrize("case", list(HANGS))
def test_backtracking_regex_ends_in_under_a_second(tmp_path: Path, case: str) -> None:
    """`(a+)+$` on a 41-character value hung each of these checks; a check's regex now ends in well under a second."""
    template, evil, benign, code = HANGS[case]
    data = write(tmp_path, "d.jsonl", json.dumps({"prompt": "p", "response": EVIL}) + "\n"
                 + json.dumps({"prompt": "q", "response": f"mail {'a' * 41}@mail.org now"}) + "\n")
    hostile = write(tmp_path, "c.yaml", HEAD + template.format(p=evil))
    warm = write(tmp_path, "warm.yaml", HEAD + template.format(p=benign))
    before = digest(data, hostile)
    proc = subprocess.run([sys.executable, "-c", TIMED, warm, hostile, data, tmp_path / "timed.json"],
                          capture_output=True, text=True, timeout=BOUND, cwd=tmp_path, preexec_fn=_bounded_memory)
    assert (tmp_path / "timed.json").is_file(), proc.stderr  # the timed run ended
    measured = json.loads((tmp_path / "timed.json").read_text())
    assert measured["seconds"] < 1.0, measured
    assert_clean_exit(proc, code, "verdict:")
    assert digest(data, hostile) == before


def test_gx_regex_past_its_time_bound_errs_the_check(tmp_path: Path) -> None:
    """GX regexes keep Python `re` semantics under a time bound per value: a runaway value errs the check (exit 3)."""
    data = write(tmp_path, "d.jsonl", json.dumps({"prompt": "p", "response": "a" * 60 + "!"}) + "\n")
    contract = write(tmp_path, "c.yaml", HEAD + "expectations:\n  - expect_column_values_to_match_regex: "
                                                "{column: response, regex: '(a|aa)+$'}\n")
    proc = cli("validate", contract, data, "--workers", "1", "--json", tmp_path / "r.json", cwd=tmp_path)
    assert_clean_exit(proc, 3, "verdict: ERRORED")
    checks = json.loads((tmp_path / "r.json").read_text())["checks"]
    assert checks[0]["status"] == "errored" and "ran past its time bound" in checks[0]["error"]
