"""Every problem becomes its exit code and a one-line message: 1 is only ever a failed gate, 2 a usage error,
3 anything else (a contract, a source, an output that cannot be written, a bug); `--debug` adds the
traceback. Messages go through `printable`, so a file name cannot drive the terminal or start a workflow
command on a line of its own."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from traingate.cli.consoles import err, escape
from traingate.errors import ContractErrors, TraingateError
from traingate.reports.sanitize import printable
from traingate.results.gate import ExitCode

INTERRUPTED = 130


@dataclass
class State:
    debug: bool = False


state = State()


def say(prefix: str, lines: list[str]) -> None:
    """Each line on stderr after `prefix`, made visible (a newline in a value stays on its line)."""
    for line in lines:
        err.print(f"{prefix} {escape(printable(line))}", highlight=False)


def fail(exc: TraingateError, prefix: str = "[red]error:[/]", code: int | None = None) -> typer.Exit:
    """Print a TraingateError and return the Exit of `code`, by default its own (3, or 2 for a usage error)."""
    if state.debug:
        err.print(escape("".join(traceback.format_exception(exc))), highlight=False)
    say(prefix, [e.render() for e in exc.errors] if isinstance(exc, ContractErrors) else [str(exc)])
    return typer.Exit(exc.exit_code if code is None else code)


def _unexpected(exc: Exception) -> typer.Exit:
    if state.debug:
        err.print(escape("".join(traceback.format_exception(exc))), highlight=False)
    if isinstance(exc, OSError) and exc.strerror:
        what = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        what = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    say("[red]error:[/]", [what + ("" if state.debug else " (run with --debug for the traceback)")])
    return typer.Exit(int(ExitCode.ERROR))


class Guarded(TyperGroup):
    """The app's command group: no exception leaves a command as a traceback and exit 1."""

    def invoke(self, ctx: Any) -> Any:
        from traingate.data.lifecycle import TERMINATED, Terminated, stop_on_sigterm  # not for --help

        try:
            with stop_on_sigterm():  # a run unwinds on SIGTERM as on Ctrl-C: workers ended, spill folder removed
                return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # exits, usage errors (2) and their messages
            raise
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(INTERRUPTED) from None
        except Terminated:
            err.print("terminated")
            raise typer.Exit(TERMINATED) from None
        except TraingateError as exc:
            raise fail(exc) from exc
        except Exception as exc:
            raise _unexpected(exc) from exc
