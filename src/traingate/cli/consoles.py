"""The two consoles every command prints through, built once: `out` on stdout, `err` on stderr.

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

from rich.console import Console, ConsoleDimensions

PLAIN_WIDTH = 140  # columns of a table written anywhere but a terminal
PLAIN_HEIGHT = 25


class Terminal(Console):
    """A soft-wrapping, non-highlighting console whose width is the terminal's on a terminal and PLAIN_WIDTH elsewhere. On
    stdout, a closed pipe (`traingate ... | head`) is an error like any other, not rich's exit 1, which
    would read as a failed gate."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, soft_wrap=True, highlight=False, emoji=False)

    def _on_a_terminal(self) -> bool:
        isatty = getattr(self.file, "isatty", None)
        try:
            return bool(isatty()) if isatty is not None else False
        except ValueError:  # a closed stream
            return False

    @property
    def size(self) -> ConsoleDimensions:
        if self._on_a_terminal():
            return super().size
        return ConsoleDimensions(PLAIN_WIDTH, PLAIN_HEIGHT)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size

    def on_broken_pipe(self) -> None:
        if self.stderr:
            super().on_broken_pipe()
            return
        self.quiet = True
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more reaches the closed pipe
        raise BrokenPipeError("the output pipe was closed")


out = Terminal()
err = Terminal(stderr=True)
