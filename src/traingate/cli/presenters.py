"""What `validate` writes of a run: the JSON result, the HTML report and the JUnit XML each to its file, the
terminal summary, and under --format github the workflow annotations; one presenter failing loses none of
the others."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from traingate.cli.consoles import escape, out
from traingate.cli.errors import say
from traingate.errors import TraingateError
from traingate.reports.sanitize import visible

if TYPE_CHECKING:
    from rich.console import Console

    from traingate.results.model import RunResult


def present_run(result: RunResult, report: Path | None, json_out: Path | None, junit: Path | None,
                output_format: str) -> list[str]:
    """The JSON first, then each presenter on its own: one that fails (a chart the renderer refuses, a full
    disk) is named on stderr and loses nothing else. Returns the failed ones."""
    from traingate.reports.terminal import render_terminal

    failed: list[str] = []

    def attempt(what: str, present: Callable[[], object]) -> None:
        try:
            present()
        except Exception as exc:  # a presenter's failure is reported, never the end of the others
            failed.append(what)
            say("[red]error:[/]", [f"{what} failed: {exc if isinstance(exc, TraingateError) else repr(exc)}"])

    for label, path, where in (("the JSON result (--json)", json_out, "json"),
                               ("the HTML report (--report)", report, "html"),
                               ("the JUnit XML (--junit)", junit, "junit")):
        if path is not None:  # each presenter's module (jinja2 for HTML) loads only when it is asked for
            attempt(label, partial(file_writer(where), result, path))
    attempt("the terminal summary", partial(terminal_summary, result, output_format == "github", render_terminal))
    if output_format == "github":
        from traingate.reports.github import render_github

        attempt("the GitHub annotations", lambda: out.file.write(render_github(result)))
    if report is not None and "the HTML report (--report)" not in failed:
        out.print(f"report: {escape(visible(str(report)))}", highlight=False)
    return failed


def file_writer(where: str) -> Callable[[RunResult, Path], object]:
    writer: Callable[[RunResult, Path], object] = getattr(import_module(f"traingate.reports.{where}"), f"write_{where}")
    return writer


def terminal_summary(result: RunResult, github: bool, render: Callable[[RunResult, Console], None]) -> None:
    """The summary; under --format github inside ::stop-commands::, so no line of it is read as a workflow
    command."""
    if not github:
        render(result, out)
        return
    from traingate.reports.github import stop_commands

    start, end = stop_commands()
    out.file.write(start)
    try:
        render(result, out)
    finally:
        out.file.write(end)
