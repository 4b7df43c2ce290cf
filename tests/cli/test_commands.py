"""`main` builds only the command the arguments name (cli/app.py `build` and `named`): that app answers every
argument as the whole app does (help, usage errors, exit codes), and the whole app is the one every other
caller imports as `app`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from traingate.cli import app as cli
from traingate.cli.app import COMMANDS, build, named

runner = CliRunner()


@pytest.mark.parametrize(("args", "expected"), [
    (["lint", "c.yaml"], "lint"), (["--debug", "lint", "c.yaml"], "lint"), (["import-gx", "s.json"], "import-gx"),
    (["lint", "--help"], "lint"), (["validate"], "validate"),
    ([], None), (["--help"], None), (["--debug"], None), (["--debug", "--help"], None), (["lnt", "c.yaml"], None),
    (["--debug", "--debug", "lint"], None), (["--", "lint"], None), (["-h"], None), (["Lint"], None),
    (["import_gx"], None), (["c.yaml", "lint"], None),
])
def test_named_is_the_command_the_arguments_run_or_none(args: list[str], expected: str | None) -> None:
    assert named(args) == expected


def test_shell_completion_gets_the_whole_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_TRAINGATE_COMPLETE", "bash_complete")
    assert named(["lint", "c.yaml"]) is None


def _commands(app: typer.Typer) -> dict[str, Any]:
    commands: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return commands


def test_the_app_holds_every_command_in_order_and_build_one_only_that() -> None:
    assert list(_commands(cli.app)) == list(COMMANDS)
    assert cli.app is cli.app  # built once
    for name in COMMANDS:
        assert list(_commands(build(name))) == [name]
    with pytest.raises(AttributeError):
        cli.__getattr__("nothing")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_one_command_app_answers_as_the_whole_app(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its help, the command without arguments (a usage error, or the run of one that needs none), an unknown
    option and `--debug` in the wrong place: the same output and exit code from the app of that command alone
    as from the whole app."""
    monkeypatch.chdir(tmp_path)  # `ledger` without arguments looks for ./traingate-ledger.jsonl
    whole, alone = build(), build(name)
    for args in ([name, "--help"], [name], [name, "--no-such-option"], [name, "--debug"], ["--debug", name, "--help"]):
        expected = runner.invoke(whole, args, env={"COLUMNS": "100"})
        got = runner.invoke(alone, args, env={"COLUMNS": "100"})
        assert (got.exit_code, got.output) == (expected.exit_code, expected.output), args
        assert got.output.strip(), args
