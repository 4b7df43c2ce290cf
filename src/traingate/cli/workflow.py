"""The commands around the gate: re-render a saved run, compare runs, sign a run off, publish a card.
Registered on the app in cli/app.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traingate.cli import summary
from traingate.cli.consoles import err, escape, out
from traingate.cli.errors import say
from traingate.cli.outputs import guard, inputs_of
from traingate.reports.sanitize import visible
from traingate.results.gate import ExitCode

if TYPE_CHECKING:
    from traingate.results.model import RunResult


def _safe(text: str) -> str:
    """Rich markup escaped and control characters made visible (text from a run, a ledger or a suite)."""
    return escape(visible(text))


RunPath = Annotated[Path, typer.Argument(help="A run saved with `validate --json`.")]


def _load(path: Path) -> RunResult:
    from traingate.reports.json import read_json

    try:
        return read_json(path)
    except (OSError, ValueError) as exc:
        say("[red]error:[/]", [f"{path} is not a traingate run: {(str(exc).splitlines() or [type(exc).__name__])[0]}"])
        raise typer.Exit(int(ExitCode.ERROR)) from exc


def _write(text: str, output: Path | None) -> None:
    """To stdout, or atomically to `output` (a failure is an OutputError, exit 3)."""
    from traingate.reports.files import write_text

    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)


def report(run: RunPath,
           html: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
           markdown: Annotated[Path | None, typer.Option(help="Write a markdown summary ('-' for stdout).")] = None,
           report_url: summary.ReportUrl = None,
           output_format: Annotated[str | None, typer.Option("--format", help="github: print GitHub Actions "
                                                                               "annotations.")] = None) -> None:
    """Render a saved run again: HTML, a markdown summary (for a pull request or $GITHUB_STEP_SUMMARY), annotations."""
    from traingate.reports.github import render_github
    from traingate.reports.html import write_html
    from traingate.reports.markdown import render_markdown

    if output_format not in (None, "github"):
        raise typer.BadParameter("use github", param_hint="--format")
    summary.check(markdown, report_url)
    guard([("--html", html), ("--markdown", markdown)], inputs_of([run]))
    result = _load(run)
    if html is not None:
        write_html(result, html)
    if markdown is not None:
        _write(render_markdown(result, report_url), None if str(markdown) == "-" else markdown)
    if output_format == "github":
        sys.stdout.write(render_github(result))


def diff(old: RunPath, new: RunPath,
         tolerance: Annotated[list[str] | None, typer.Option(
             help="[CHECK=]SHARE, repeatable: a metric may move this share of its distance to its threshold toward "
                  "it before that is a regression (default 0.25); CHECK= sets one check's.")] = None) -> None:
    """What got worse from OLD to NEW: a check whose verdict got worse, or whose metric moved toward its
    threshold (or further past it) by more than its tolerance; exit 1 on a regression. Then the drift of every
    feature both runs sketched (PSI, JS, KS, Wasserstein), shown, not judged."""
    from traingate.reports.diff import diff_runs, parse_tolerances, unknown_checks
    from traingate.reports.drift_table import text_lines

    try:
        tolerances = parse_tolerances(tolerance or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tolerance") from exc
    before, after = _load(old), _load(new)
    if unknown := unknown_checks(tolerances, before, after):
        raise typer.BadParameter(f"no check {', '.join(unknown)} in either run", param_hint="--tolerance")
    result = diff_runs(before, after, tolerances)
    for title, items in (("regressions", result.regressions), ("improvements", result.improvements),
                         ("notes", result.notes)):
        if items:
            out.print(f"[bold]{title}[/]")
            for item in items:
                out.print(f"  {_safe(item)}", highlight=False)
    if not result.regressions:
        out.print("no regressions")
    if result.drift:
        out.print("[bold]drift[/] (OLD as the reference)")
        for line in text_lines(result.drift):
            out.print(f"  {_safe(line)}", highlight=False)
    raise typer.Exit(int(ExitCode.GATE_FAILED) if result.regressions else int(ExitCode.PASSED))


def card(run: RunPath, output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None) -> None:
    """A dataset card (markdown): the contract's claims beside the measured figures."""
    from traingate.reports.markdown import render_card

    guard([("--output", output)], inputs_of([run]))
    _write(render_card(_load(run)), output)


def init(data: Annotated[list[str], typer.Argument(help="Files, directories or globs to profile.")],
         kind: Annotated[str | None, typer.Option(help="pretraining, sft, preference, reward or chat; default: "
                                                      "guessed from the columns.")] = None,
         output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the contract.")] = Path("contract.yaml"),
         name: Annotated[str | None, typer.Option(help="The contract's name; default the output file's stem.")] = None,
         field: Annotated[list[str] | None, typer.Option(help="logical=column, when the guess is wrong.")] = None) -> None:
    """Profile DATA and write a starter contract whose thresholds come from what was observed."""
    from traingate.profiling import KIND_PROFILE
    from traingate.profiling import init as write_contract

    if kind is not None and kind not in KIND_PROFILE:
        raise typer.BadParameter(f"use one of {', '.join(KIND_PROFILE)}", param_hint="--kind")
    fields = dict(f.split("=", 1) for f in field) if field else None
    guard([("--output", output)], inputs_of(data))
    text, written_kind, run = write_contract(data, kind, name or output.stem, fields)
    _write(text, output)
    guessed = "" if kind else f" (kind {written_kind}, guessed from the columns; --kind chooses another)"
    out.print(f"profiled {run.dataset.rows:,} rows; wrote {_safe(str(output))} with {text.count('- type:')} checks"
              f"{guessed}")


def export(contract: Annotated[Path, typer.Argument(help="The contract YAML file.")],
           output_format: Annotated[str, typer.Option("--format", help="gx (an ExpectationSuite) or pandera.")] = "gx",
           output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here; default stdout.")] = None) -> None:
    """The contract in Great Expectations (suite JSON) or pandera (schema YAML) terms; what has no
    equivalent is listed on stderr."""
    from traingate.contracts import load_contract
    from traingate.engine.runner import check_ids
    from traingate.interop import dumps, to_gx_suite, to_pandera_yaml

    if output_format not in ("gx", "pandera"):
        raise typer.BadParameter("use gx or pandera", param_hint="--format")
    guard([("--output", output)], inputs_of([contract]))
    loaded = load_contract(contract)
    text = to_pandera_yaml(loaded) + "\n" if output_format == "pandera" else None
    if text is not None:
        _write(text, output)
        return
    result = to_gx_suite(loaded, check_ids(loaded))
    _write(dumps(result) + "\n", output)
    for line in result.not_exportable:
        err.print(f"not exportable: {_safe(line)}", highlight=False)


def import_gx(suite: Annotated[Path, typer.Argument(help="A Great Expectations suite (JSON).")],
              output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here; default stdout.")] = None,
              kind: Annotated[str, typer.Option(help="The dataset kind of the contract.")] = "pretraining",
              skip_unsupported: Annotated[bool, typer.Option(
                  help="Write the contract without the expectations traingate cannot run (listed on stderr).")] = False,
              ) -> None:
    """A contract embedding a GX suite's expectations; an expectation traingate cannot run is an error
    naming it, unless --skip-unsupported leaves it out (and says so)."""
    import json

    import yaml

    from traingate.contracts import parse_contract
    from traingate.interop import from_gx_suite

    guard([("--output", output)], inputs_of([suite]))
    try:
        imported = from_gx_suite(json.loads(suite.read_text(encoding="utf-8")), kind)
    except (OSError, ValueError, AttributeError) as exc:
        err.print(f"[red]error:[/] {_safe(str(suite))} is not a Great Expectations suite: {_safe(str(exc))}")
        raise typer.Exit(int(ExitCode.ERROR)) from exc
    for line in imported.unsupported:
        err.print(f"{'left out' if skip_unsupported else '[red]error:[/]'} {_safe(line)}", highlight=False)
    if imported.unsupported and not skip_unsupported:
        err.print("nothing written; pass --skip-unsupported to write the contract without them")
        raise typer.Exit(int(ExitCode.ERROR))
    text = yaml.safe_dump(imported.contract, sort_keys=False, allow_unicode=True)
    parse_contract(text, str(output or "<stdout>"))
    _write(text, output)
