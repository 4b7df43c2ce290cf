"""traingate's app: its commands in the order --help lists them, each from its own module (validate.py,
contract_commands.py, filter.py, workflow.py, cache.py, signoff.py), built on first use, and the console
entry point `main`, which builds only the command the arguments name. Each command calls the library and
maps errors to exit codes."""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Annotated

import typer

from traingate.cli.errors import Guarded, state

HELP = "A data contract and quality gate for machine-learning training data."
# Every command in the order --help lists them: its module and function.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("traingate.cli.validate", "validate"), "lint": ("traingate.cli.contract_commands", "lint"),
    "checks": ("traingate.cli.contract_commands", "list_checks"),
    "schema": ("traingate.cli.contract_commands", "schema"),
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
            built.command(name)(getattr(import_module(module), function))
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

