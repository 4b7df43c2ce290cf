"""The CI files we ship run the commands a test here runs too: each `traingate ...` line of the GitHub
Actions example, and the pre-commit hook's entry on every bundled contract."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from tests.cli.test_cli import invoke
from tests.conftest import ROOT


def test_github_actions_example_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "ci" / "github-actions.yml").read_text())
    commands = [step["run"] for step in workflow["jobs"]["gate"]["steps"] if step.get("run", "").startswith("traingate")]
    assert len(commands) == 2
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        argv = shlex.split(re.sub(r"\s*>>.*$", "", command))[1:]  # the shell appends stdout to the summary file
        code, output = invoke(*argv)
        assert code == 0, output
    assert Path("run.json").exists() and Path("report.html").exists()
    assert output.startswith("## traingate: PASSED WITH WARNINGS — helpful-chat-sft")  # the example's warn-level finding


def test_pre_commit_hook_lints_every_bundled_contract() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    contracts = [p for p in (ROOT / "examples").rglob("*.y*ml") if re.search(hook["files"], p.relative_to(ROOT).as_posix())]
    assert len(contracts) == 5  # one per dataset kind; the CI example does not match
    code, output = invoke(*shlex.split(hook["entry"])[1:], *map(str, contracts))  # pre-commit passes them all
    assert code == 0 and output.count("contract ") >= 5, output
