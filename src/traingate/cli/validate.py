"""The `validate` command: its options, the checks of their combinations made before any data is read, the
run, and its exit code (0 when the gate passes, 1 when it fails, 3 on errors). What it writes of the run is
in cli/presenters.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traingate.cli import summary
from traingate.cli.outputs import guard, inputs_of
from traingate.results.gate import ExitCode


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
    from traingate.cli.presenters import present_run
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
    failed = present_run(result, report, json_out, junit, output_format)
    failed += summary.write(result, markdown, report_url)
    raise typer.Exit(int(ExitCode.ERROR) if failed else result.gate.exit_code)
