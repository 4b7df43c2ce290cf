"""Every view shows a drift check's table from its result, and `traingate diff` shows the drift of every
feature two runs sketched."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.validators.test_drift import contract, rows, write
from traingate.cli.app import app
from traingate.engine.runner import validate
from traingate.reports.diff import diff_runs
from traingate.reports.html import render_html
from traingate.reports.markdown import render_markdown
from traingate.reports.terminal import render_terminal
from traingate.results.model import RunResult


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RunResult, Path]:
    folder = tmp_path_factory.mktemp("runs")
    write(folder / "old.jsonl", rows(1500, seed=11))
    new = write(folder / "new.jsonl", rows(1500, seed=12, response_scale=1.3))
    c = contract(folder, "old.jsonl", ["chars.prompt", "chars.response", "language"])
    old_run, new_run = validate(c, [str(folder / "old.jsonl")]), validate(c, [new])
    (folder / "old.json").write_text(old_run.model_dump_json())
    (folder / "new.json").write_text(new_run.model_dump_json())
    return old_run, new_run, folder


def test_terminal_markdown_and_html_show_the_table_from_the_result(runs: tuple[RunResult, RunResult, Path]) -> None:
    _, new, _ = runs
    (check,) = new.checks
    response = next(r for r in check.details["features"] if r["feature"] == "chars.response")
    psi = f"{response['psi']:.3f} ≥ 0.25"
    console = Console(file=io.StringIO(), width=160)
    render_terminal(new, console)
    terminal = console.file.getvalue()  # type: ignore[attr-defined]
    markdown, html = render_markdown(new), render_html(new)
    assert "chars.response" in terminal and psi in terminal and "moved: psi, ks, wasserstein" in terminal
    assert f"| chars.response | {psi} |" in markdown and "| language |" in markdown
    assert f"<td>{psi}</td>" in html and '<td class="t-failed">moved: psi, ks, wasserstein</td>' in html


def test_diff_shows_the_drift_of_every_feature_both_runs_sketched(runs: tuple[RunResult, RunResult, Path]) -> None:
    old, new, folder = runs
    table = {r["feature"]: r for r in diff_runs(old, new).drift}
    assert set(table) == {s.name for s in new.sketches} >= {"chars.response", "tokens.response", "language"}
    assert table["chars.response"]["flagged"] and not table["chars.prompt"]["flagged"] and not table["language"]["flagged"]
    (check,) = new.checks  # the same numbers as the check's, which read the reference data
    assert check.details["features"][1]["psi"] == pytest.approx(table["chars.response"]["psi"], abs=1e-12)
    out = CliRunner().invoke(app, ["diff", str(folder / "old.json"), str(folder / "new.json")])
    assert "drift (OLD as the reference)" in out.output and "tokens.response" in out.output
    older = old.model_copy(update={"sketches": [], "schema_version": "1.2"})
    assert diff_runs(older, new).drift == [] and any("no sketches" in n for n in diff_runs(older, new).notes)


def test_diff_says_the_contract_file_changed_when_name_and_version_did_not(runs: tuple[RunResult, RunResult, Path]) -> None:
    old, new, _ = runs
    edited = new.model_copy(update={"contract": new.contract.model_copy(update={"sha256": "0" * 64})})
    notes = diff_runs(old, edited).notes
    assert any("the contract file changed" in n and "same name and version" in n for n in notes), notes
    assert not any("->" in n and "contract" in n for n in notes)  # it had said: (c 1.0.0 -> c 1.0.0)
