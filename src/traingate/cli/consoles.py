"""The two consoles every command prints through, built once, on first use: `out` on stdout, `err` on stderr.
A command that prints nothing through them (`lint` writing to a pipe, `--help`) never imports rich.

Neither highlights: rich's automatic highlighting (numbers, paths, quotes coloured by pattern) is off, so
colour only ever means what the command gives it (red an error, yellow a warning). Neither replaces emoji
codes: a name or a text holding `:smile:` is printed as written, never as a picture (and rich's table of
emoji codes is never loaded).

Both soft-wrap: a message is one line however long, never broken by rich at the console's width (a
terminal still folds it for display, but a log, a pipe or a test reading the output sees the whole line).
Tables still fit a width: the terminal's when the stream is a terminal (rich reads COLUMNS or asks the
terminal), else a fixed PLAIN_WIDTH, so what is written to a pipe, a file or a CI log does not depend on
the terminal the command happened to be started from, nor on COLUMNS. The stream is looked up at each
print (sys.stdout or sys.stderr of the moment), so a caller that swaps them (a test runner) is honoured."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console

PLAIN_WIDTH = 140  # columns of a table written anywhere but a terminal
PLAIN_HEIGHT = 25


class Deferred:
    """A console made on its first use (rich takes a tenth of the start-up of a command that prints little);
    every attribute read or set is the console's."""

    def __init__(self, *, stderr: bool) -> None:
        object.__setattr__(self, "_stderr", stderr)
        object.__setattr__(self, "_console", None)

    def made(self) -> Console:
        if self._console is None:
            from traingate.cli.rich_terminal import Terminal

            object.__setattr__(self, "_console", Terminal(stderr=self._stderr))
        console: Console = self._console
        return console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.made(), name, value)


def on_a_terminal(stream: Any = None) -> bool:
    """Whether the stream (stdout of the moment by default) is a terminal; a closed stream is not."""
    isatty = getattr(sys.stdout if stream is None else stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def escape(text: str) -> str:
    """The text with rich's markup escaped, to print through a console (rich imported on first use)."""
    from rich.markup import escape as escaped

    return escaped(text)


def styled() -> bool:
    """Whether rich would write escapes to stdout: on a terminal, unless the environment says otherwise
    (TTY_COMPATIBLE=1 or 0, FORCE_COLOR non-empty or empty, as rich reads them)."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    return force != "" if force is not None else on_a_terminal()


def write_lines(lines: list[tuple[str, bool]]) -> None:
    """Lines of text (each with whether it is a heading, bold on a terminal) made visible (a newline in one
    kept) and printed to stdout: through rich where it writes escapes, written as they are elsewhere (the
    same characters, and rich not imported)."""
    from traingate.reports.sanitize import visible

    if not styled():
        sys.stdout.write("".join(visible(text, keep="\n") + "\n" for text, _ in lines))
        return
    for text, heading in lines:
        shown = escape(visible(text, keep="\n"))
        out.print(f"[bold]{shown}[/]" if heading else shown, highlight=False)


out = cast("Console", Deferred(stderr=False))
err = cast("Console", Deferred(stderr=True))
