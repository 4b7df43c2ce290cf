"""`traingate filter`: validate, then write the rows no row-level check of the chosen severity rejects, in their
original form; the dropped rows (with --rejects) are the records `validate --rejects` writes. Registered on
the app in cli/app.py."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from traingate.cli.consoles import escape, out
from traingate.cli.errors import say
from traingate.cli.outputs import guard, inputs_of
from traingate.reports.sanitize import visible
from traingate.results.gate import ExitCode

if TYPE_CHECKING:
    from traingate.contracts.model import Contract
    from traingate.engine.filter import Filtered

KEEP = ("error", "warn")
KEEP_HELP = ("Which checks' rows are dropped: error drops every row an error-severity check rejects; warn drops "
             "every row a warn- or error-severity check rejects (info checks never drop rows). Default: the "
             "contract's gate.fail_on.")
OUTPUT_HELP = ("DIR/ (one output per input file, its relative name and format kept; a saved Hugging Face "
               "dataset's Arrow files as Parquet), OUT.jsonl (every kept row as JSON lines, whatever the input), "
               "or a file of the input's format when there is one input file.")


def filter_command(
    contract: Annotated[Path, typer.Argument(help="The contract YAML file.")],
    data: Annotated[list[str] | None, typer.Argument(help="Files, directories or globs; prefix split= to label.")] = None,
    output: Annotated[str, typer.Option("-o", "--output", help=OUTPUT_HELP)] = "",
    rejects: Annotated[Path | None, typer.Option(help="Write the dropped rows, one record per row, as validate "
                                                      "--rejects writes them (JSON lines, or Parquet by "
                                                      "extension): file, line, the checks and reasons, or the "
                                                      "fault of an unreadable record.")] = None,
    keep: Annotated[str | None, typer.Option(help=KEEP_HELP)] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: every core when the data "
                                                            "is 512 MiB or more, else 1); files are written on as "
                                                            "many threads.")] = None,
    engine: Annotated[str, typer.Option(help="local, or ray (pip install 'traingate\\[ray]').")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address; default: a local Ray instance.")] = None,
    max_memory: Annotated[str | None, typer.Option(help="e.g. 8GiB: as for validate; findings past it go to "
                                                        "disk.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="A glob of files not to read; repeatable.")] = None,
) -> None:
    """Write the rows of DATA that pass CONTRACT's row-level checks; exit 0 when written, 3 when not (or when
    a row-level check errored, so its rows could not be filtered)."""
    from traingate.api import run_options
    from traingate.contracts import load_contract
    from traingate.engine.filter import filter_data, planned
    from traingate.reports.json import write_rejects

    if not output:
        raise typer.BadParameter("give where the kept rows go: -o DIR/ or -o OUT.jsonl", param_hint="-o")
    if keep not in (None, *KEEP):
        raise typer.BadParameter(f"use {' or '.join(KEEP)}", param_hint="--keep")
    options = run_options(workers=workers, engine=engine, address=address, max_memory=max_memory, exclude=exclude or ())
    loaded = load_contract(contract)
    given = data or [str(contract.parent / p) for ps in (loaded.dataset.splits or {}).values() for p in ps]
    _, plan = planned(loaded, data or [], output, options)  # every file filter writes, checked before any read
    guard([("--rejects", rejects), *(("-o", Path(p)) for p in plan.paths())],
          inputs_of([contract, *given, *side_inputs(loaded)]))
    sink = None if rejects is None else partial(write_rejects, path=str(rejects))
    done = filter_data(loaded, data or [], output, severity=keep, options=options, rejects=sink, show_progress=True)
    raise typer.Exit(_tell(done, rejects))


def side_inputs(contract: Contract) -> list[str]:
    """The files the contract's checks read besides the data (an eval set, reference texts): inputs too."""
    from traingate.engine.fold import build_validators
    from traingate.engine.runner import check_ids

    return [p for v in build_validators(contract, check_ids(contract)) for p in v.side_files()]


def _tell(done: Filtered, rejects: Path | None) -> int:
    """Say what was kept, dropped, written and not fixed; the exit code."""
    code = ExitCode.PASSED
    if done.problem is not None:
        say("[red]error:[/]", [f"nothing was written: {done.problem}"])
        return int(ExitCode.ERROR)
    words = "error checks" if done.severity == "error" else "warn and error checks"
    out.print(f"filter: kept {done.kept:,} rows, dropped {done.dropped:,} ({done.unreadable:,} unreadable); "
              f"rows rejected by {words} are dropped", highlight=False)
    for path in done.outputs:
        out.print(f"wrote {escape(visible(path))}", highlight=False)
    if rejects is not None and done.rejects_problem is None:
        out.print(f"rejected rows: {escape(visible(str(rejects)))}", highlight=False)
    if done.rejects_problem is not None:
        say("[red]error:[/]", [done.rejects_problem])
        code = ExitCode.ERROR
    for check in done.unfiltered:
        say("[red]error:[/]", [f"check {check.id} errored, so its rows were not filtered: {check.message or ''}"])
        code = ExitCode.ERROR
    if done.unfixed:
        out.print("not fixed by dropping rows (these checks list no rows: they judge the dataset as a whole; "
                  "validate the output to judge it again):", highlight=False)
        for check in done.unfixed:
            out.print(f"  {escape(visible(check.id))}: {check.status}", highlight=False)
    return int(code)
