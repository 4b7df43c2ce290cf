"""The console class of cli/consoles.py, apart so that importing the consoles does not import rich."""

from __future__ import annotations

import os
import sys

from rich.console import Console, ConsoleDimensions

from traingate.cli.consoles import PLAIN_HEIGHT, PLAIN_WIDTH, on_a_terminal


class Terminal(Console):
    """A soft-wrapping, non-highlighting console whose width is the terminal's on a terminal and PLAIN_WIDTH elsewhere. On
    stdout, a closed pipe (`traingate ... | head`) is an error like any other, not rich's exit 1, which
    would read as a failed gate."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, soft_wrap=True, highlight=False, emoji=False)

    @property
    def size(self) -> ConsoleDimensions:
        if on_a_terminal(self.file):
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
