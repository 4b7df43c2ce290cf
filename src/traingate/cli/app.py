"""traingate's commands. Each one calls the library and maps errors to exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traingate.cli import summary
from traingate.cli.consoles import escape, out, write_lines
from traingate.cli.errors import Guarded, fail, say, state
from traingate.cli.outputs import guard, inputs_of
from traingate.errors import MissingDependencyError, TraingateError
from traingate.reports.sanitize import visible
from traingate.results.gate import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from traingate.results.model import RunResult

HELP = "A data contract and quality gate for machine-learning training data."
# Every command in the order --help lists them: its module and function (None: this module).
COMMANDS: dict[str, tuple[str | None, str]] = {
    "validate": (None, "validate"), "lint": (None, "lint"), "checks": (None, "list_checks"), "schema": (None, "schema"),
    "filter": ("traingate.cli.filter", "filter_command"), "report": ("traingate.cli.workflow", "report"),
    "diff": ("traingate.cli.workflow", "diff"), "cache": ("traingate.cli.cache", "cache"),
    "promote": ("traingate.cli.signoff", "promote"), "ledger": ("traingate.cli.signoff", "ledger"),
    "attestation": ("traingate.cli.signoff", "attestation"), "card": ("traingate.cli.workflow", "card"),
    "init": ("traingate.cli.workflow", "init"), "export": ("traingate.cli.workflow", "export"),
    "import-gx": ("traingate.cli.workflow", "import_gx"),
}


def _options(debug: Annotated[bool, typer.Option("--debug", envvar="TRAINGATE_DEBUG",
                                                 help="Show the traceback of an unexpected error.")] = False) -> None:
    state.debug = debug


def build(only: str | None = None) -> typer.Typer:
    """The app: every command, or the options and the one command `only` (what `main` runs when the arguments
    name a command: typer turns the signature of every command it holds into click parameters first)."""
    built = typer.Typer(cls=Guarded, add_completion=False, no_args_is_help=True, help=HELP)
    built.callback()(_options)
    for name, (module, function) in COMMANDS.items():
        if only in (None, name):
            built.command(name)(getattr(sys.modules[__name__] if module is None else import_module(module), function))
    return built


def __getattr__(name: str) -> typer.Typer:
    """`app`, every command, built on first use (`main` builds only the command it runs)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()["app"] = built = build()
    return built


def named(args: list[str]) -> str | None:
    """The command the arguments run, when the app's options and that command are all it takes: not for
    --help, a name that is no command's (its error suggests the close ones), or shell completion."""
    if any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ):
        return None
    words = args[1:] if args[:1] == ["--debug"] else args
    return words[0] if words and words[0] in COMMANDS else None


def _fail(exc: TraingateError) -> typer.Exit:
    return fail(exc)


def validate(
    contract: Annotated[Path, typer.Argument(help="The contract YAML file.")],
    data: Annotated[list[str] | None, typer.Argument(help="Files, directories or globs; prefix split= to label.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the HTML report here.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the run result as JSON.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML (one testcase per check).")] = None,
    markdown: Annotated[Path | None, typer.Option(help="Write a markdown summary (e.g. $GITHUB_STEP_SUMMARY).")] = None,
    report_url: summary.ReportUrl = None,
    evidence: Annotated[Path | None, typer.Option(help="Write every row each check found at fault as JSON lines: "
                                                       "check, file, line, reason, field and numbers (pii: entity, "
                                                       "offsets, score; duplicates: cluster); never a data value.")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Write every row the run rejects, one record per row (file, "
                                                      "line, the checks and reasons, a duplicate's cluster, an "
                                                      "unreadable record's fault): JSON lines, or Parquet when "
                                                      "the path ends in .parquet.")] = None,
    rejects_with_data: Annotated[bool, typer.Option("--rejects-with-data", help="Each record of --rejects also "
                                                    "holds the row's values, masked by the contract's pii and "
                                                    "secrets checks.")] = False,
    clusters: Annotated[Path | None, typer.Option(help="Write every row of every duplicate cluster: check, cluster, "
                                                       "file, line, whether it is kept, similarity (JSON lines, "
                                                       "or Parquet by extension).")] = None,
    fail_on: Annotated[str | None, typer.Option(help="error or warn; overrides the contract's gate.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Read only the first N rows.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="terminal, or github: the summary and GitHub "
                                                                "Actions annotations (file, line, message).")] = "terminal",
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: every core when the data "
                                                            "is 512 MiB or more, else 1).")] = None,
    engine: Annotated[str, typer.Option(help="local, or ray (pip install 'traingate\\[ray]').")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address; default: a local Ray instance.")] = None,
    max_memory: Annotated[str | None, typer.Option(help="e.g. 8GiB or 512MiB: when resident memory passes it, "
                                                        "checks that compare rows (and pii's findings) spill "
                                                        "them to disk or keep a "
                                                        "hash-chosen share (and say so); when none can, reading "
                                                        "stops and the gate errs.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="A glob of files not to read (name or path, e.g. "
                                                          "'*.txt'); repeatable. Skipped files are listed.")] = None,
    key: Annotated[Path | None, typer.Option(help="Sign the run saved by --json with this OpenSSH Ed25519 "
                                                  "private key (an in-toto statement in a DSSE envelope).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Keep each file's check states in this directory and take "
                                                    "them from it: a later run reads only new or changed files "
                                                    "(and a stopped run continues).")] = None,
    cache_max: Annotated[str | None, typer.Option(help="e.g. 2GB: past it the cache's least recently used "
                                                       "entries are removed.")] = None,
    cache_verify: Annotated[bool, typer.Option("--cache-verify", help="Hash every file, even one whose stat "
                                                                      "(size, mtime, ctime, inode, device) the "
                                                                      "cache recorded.")] = False,
) -> None:
    """Check DATA against CONTRACT; exit 0 when the gate passes, 1 when it fails, 3 on errors."""
    from traingate.api import ENGINES, FAIL_ON, mebibytes
    from traingate.api import validate as run
    from traingate.cli import filter as filtering
    from traingate.cli import signoff
    from traingate.contracts import load_contract

    if fail_on not in (None, *FAIL_ON):
        raise typer.BadParameter(f"use {' or '.join(FAIL_ON)}", param_hint="--fail-on")
    if output_format not in ("terminal", "github"):
        raise typer.BadParameter("use terminal or github", param_hint="--format")
    if engine not in ENGINES:
        raise typer.BadParameter(f"use {' or '.join(ENGINES)}", param_hint="--engine")
    summary.check(markdown, report_url, stdout=False)
    outputs = [("--report", report), ("--json", json_out), ("--junit", junit), ("--evidence", evidence)]
    outputs += [("--markdown", markdown), ("--rejects", rejects), ("--clusters", clusters)]
    if rejects_with_data and rejects is None:
        raise typer.BadParameter("add --rejects PATH, the file the rejected rows go to", param_hint="--rejects-with-data")
    guard(outputs, inputs_of([contract, *(data or []), *([key] if key else [])]))
    try:
        max_memory_mib = mebibytes(max_memory) if max_memory is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max-memory") from exc
    if cache_max is not None and cache is None:
        raise typer.BadParameter("add --cache DIR, the directory it bounds", param_hint="--cache-max")
    if cache_verify and cache is None:
        raise typer.BadParameter("add --cache DIR, the directory whose records it checks", param_hint="--cache-verify")
    if key is not None and json_out is None:
        raise typer.BadParameter("the signature lives in the run's JSON: add --json RUN.json", param_hint="--key")
    signer = signoff.signing_key(key)  # a key that does not load stops here, before the run
    loaded = load_contract(contract)
    if not data:  # the contract's splits, relative to its folder, are the inputs
        guard(outputs, inputs_of(contract.parent / p for paths in (loaded.dataset.splits or {}).values() for p in paths))
    guard(outputs, inputs_of(filtering.side_inputs(loaded)))  # an eval set is an input too
    result = run(loaded, data, workers=workers, engine=engine, address=address, max_memory=max_memory_mib, limit=limit,
                 exclude=exclude or (), fail_on=fail_on, show_progress=True, evidence=evidence, rejects=rejects,
                 rejects_with_data=rejects_with_data, clusters=clusters, cache=cache, cache_max=cache_max,
                 cache_verify=cache_verify)
    if signer is not None:
        from traingate.release import sign_run

        result = sign_run(result, signer)
    failed = _present(result, report, json_out, junit, output_format)
    failed += summary.write(result, markdown, report_url)
    raise typer.Exit(int(ExitCode.ERROR) if failed else result.gate.exit_code)


def _present(result: RunResult, report: Path | None, json_out: Path | None, junit: Path | None,
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
            attempt(label, partial(_writer(where), result, path))
    attempt("the terminal summary", partial(_terminal, result, output_format == "github", render_terminal))
    if output_format == "github":
        from traingate.reports.github import render_github

        attempt("the GitHub annotations", lambda: out.file.write(render_github(result)))
    if report is not None and "the HTML report (--report)" not in failed:
        out.print(f"report: {escape(visible(str(report)))}", highlight=False)
    return failed


def _writer(where: str) -> Callable[[RunResult, Path], object]:
    writer: Callable[[RunResult, Path], object] = getattr(import_module(f"traingate.reports.{where}"), f"write_{where}")
    return writer


def _terminal(result: RunResult, github: bool, render: Callable[[RunResult, Console], None]) -> None:
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


def _defer_arrays() -> None:
    """numpy and pyarrow execute only if used: the check modules import them, these commands never use them."""
    from traingate.cli.deferred import defer

    defer()


def lint(contracts: Annotated[list[Path], typer.Argument(help="Contract YAML files.")]) -> None:
    """Parse contracts and explain them; no data is read. Exit 3 at the first that does not load."""
    _defer_arrays()
    from traingate.cli.explain import explain
    from traingate.contracts import load_contract
    from traingate.validators import build

    for contract in contracts:
        notes: list[tuple[str, bool]] = []
        try:
            loaded = load_contract(contract)
            for check in loaded.all_checks():
                try:
                    build(check, loaded.dataset, check.name or f"{check.group}.{check.type}", str(contract.parent))
                except MissingDependencyError as exc:  # the contract is sound; this installation cannot run it
                    notes.append((f"note: {exc}", False))
        except TraingateError as exc:
            raise _fail(exc) from exc
        write_lines([*explain(loaded), *notes])


def list_checks() -> None:
    """Every check type, one line each, with its options."""
    _defer_arrays()
    from traingate.cli.explain import describe_check_types

    for line in describe_check_types():
        out.print(line, highlight=False)


def schema(output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
           run: Annotated[bool, typer.Option("--run", help="The JSON Schema of a run result (validate --json) "
                                                           "instead of the contract language's.")] = False) -> None:
    """The JSON Schema of the contract language (for editors), or with --run of the run result."""
    _defer_arrays()
    from traingate.contracts.jsonschema import contract_json_schema
    from traingate.results import run_json_schema

    guard([("--output", output)], inputs_of([]))
    text = json.dumps(run_json_schema() if run else contract_json_schema(), indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        from traingate.reports.files import write_text

        write_text(output, text + "\n")


def one_blas_thread() -> None:
    """numpy's BLAS on one thread unless OPENBLAS_NUM_THREADS says otherwise (read when numpy loads, so this
    comes first; worker processes inherit it): its threads spin after numpy loads and after each product,
    0.06-0.15 CPU s a process, and the command spreads its work over processes, not BLAS threads (semantic
    duplicates of 30,000 rows: the same wall time, 15% less CPU)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    """The `traingate` command: the app, then the exit without the interpreter's teardown (cli/leave.py)."""
    from traingate.cli.leave import leave

    one_blas_thread()
    try:
        build(named(sys.argv[1:]))()
    except SystemExit as exc:
        leave(exc.code)
    leave(0)

