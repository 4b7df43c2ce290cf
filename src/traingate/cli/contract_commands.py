"""The commands that read no data: `lint` (parse contracts and explain them), `checks` (every check type
with its options) and `schema` (the JSON Schema of the contract language or of a run result). The check
modules they load import numpy and pyarrow, which these commands defer and never execute."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from traingate.cli.consoles import out, write_lines
from traingate.cli.errors import fail
from traingate.cli.outputs import guard, inputs_of
from traingate.errors import MissingDependencyError, TraingateError


def defer_arrays() -> None:
    """numpy and pyarrow execute only if used: the check modules import them, these commands never use them."""
    from traingate.cli.deferred import defer

    defer()


def lint(contracts: Annotated[list[Path], typer.Argument(help="Contract YAML files.")]) -> None:
    """Parse contracts and explain them; no data is read. Exit 3 at the first that does not load."""
    defer_arrays()
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
            raise fail(exc) from exc
        write_lines([*explain(loaded), *notes])


def list_checks() -> None:
    """Every check type, one line each, with its options."""
    defer_arrays()
    from traingate.cli.explain import describe_check_types

    for line in describe_check_types():
        out.print(line, highlight=False)


def schema(output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
           run: Annotated[bool, typer.Option("--run", help="The JSON Schema of a run result (validate --json) "
                                                           "instead of the contract language's.")] = False) -> None:
    """The JSON Schema of the contract language (for editors), or with --run of the run result."""
    defer_arrays()
    from traingate.contracts.jsonschema import contract_json_schema
    from traingate.results import run_json_schema

    guard([("--output", output)], inputs_of([]))
    text = json.dumps(run_json_schema() if run else contract_json_schema(), indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        from traingate.reports.files import write_text

        write_text(output, text + "\n")
