"""The markdown summary's options, the same on `validate` and `report`: `--markdown PATH` writes the
summary (for $GITHUB_STEP_SUMMARY or a pull-request comment), `--report-url URL` links the HTML report from
it. The URL is checked before anything is read: an http(s) URL or a relative path, nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traingate.cli.errors import say
from traingate.errors import TraingateError

if TYPE_CHECKING:
    from traingate.results.model import RunResult


def _checked_url(url: str | None) -> str | None:
    from traingate.reports.markdown import report_link

    if url is not None:
        try:
            report_link(url)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    return url


ReportUrl = Annotated[str | None, typer.Option(
    "--report-url", callback=_checked_url,
    help="Link the HTML report from the markdown summary: an http(s) URL (a CI artifact, a bucket) or a path "
         "relative to where the summary is read.")]


def check(markdown: Path | None, report_url: str | None, stdout: bool = True) -> None:
    """A usage error for --report-url without --markdown, and for `--markdown -` where stdout carries the
    terminal summary (`stdout=False`)."""
    if report_url is not None and markdown is None:
        raise typer.BadParameter("the link goes in the markdown summary: add --markdown PATH", param_hint="--report-url")
    if not stdout and markdown is not None and str(markdown) == "-":
        raise typer.BadParameter("standard output carries the terminal summary: give a file (e.g. "
                                 "$GITHUB_STEP_SUMMARY), or print a saved run's with `traingate report RUN.json "
                                 "--markdown -`", param_hint="--markdown")


def write(result: RunResult, markdown: Path | None, report_url: str | None) -> list[str]:
    """Write the summary; a failure is named on stderr and returned (as validate's other presenters)."""
    from traingate.reports.files import write_text
    from traingate.reports.markdown import render_markdown

    if markdown is None:
        return []
    try:
        write_text(markdown, render_markdown(result, report_url))
    except Exception as exc:  # a presenter's failure is reported, never the end of the others
        what = "the markdown summary (--markdown)"
        say("[red]error:[/]", [f"{what} failed: {exc if isinstance(exc, TraingateError) else repr(exc)}"])
        return [what]
    return []
