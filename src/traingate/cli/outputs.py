"""Outputs never destroy inputs: before a command reads anything, every output path it was given is checked
against its inputs (data files, files inside data directories, the contract, a saved run, the ledger),
through symlinks and hard links, and against directories; a clash is a usage error (exit 2)."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from traingate.errors import UsageError


@dataclass
class Inputs:
    """The real paths (and device, inode pairs) of a command's input files, and its input directories."""

    files: dict[str, str] = field(default_factory=dict)  # real path -> as given
    inodes: dict[tuple[int, int], str] = field(default_factory=dict)
    dirs: dict[str, str] = field(default_factory=dict)

    def add(self, given: str) -> None:
        """A path, directory or glob, with or without a `split=` label (both readings are taken: refusing
        one output too many is safe, overwriting one input is not). URLs are not local files."""
        if "://" in given:
            return
        label, sep, rest = given.partition("=")
        for candidate in (given, rest) if sep and label else (given,):
            for path in [candidate] if os.path.exists(candidate) else glob.glob(candidate, recursive=True):
                self._add_existing(path, given)

    def _add_existing(self, path: str, given: str) -> None:
        real = os.path.realpath(path)
        if os.path.isdir(real):
            self.dirs[real] = given
            return
        self.files[real] = given
        try:
            info = os.stat(real)
        except OSError:
            return
        self.inodes[(info.st_dev, info.st_ino)] = given

    def clash(self, path: Path) -> str | None:
        """Why writing `path` would destroy an input, or None."""
        real = os.path.realpath(path)
        if real in self.files:
            return f"it is the input {self.files[real]}"
        try:
            info = os.stat(real)
        except OSError:
            info = None
        if info is not None and (info.st_dev, info.st_ino) in self.inodes:
            return f"it is the input {self.inodes[(info.st_dev, info.st_ino)]} (a link to it)"
        for directory, given in self.dirs.items():
            if real.startswith(directory.rstrip(os.sep) + os.sep):
                return f"it is inside the data directory {given}, which the run reads"
        return None


def inputs_of(paths: Iterable[str | Path]) -> Inputs:
    found = Inputs()
    for path in paths:
        found.add(str(path))
    return found


def guard(outputs: Sequence[tuple[str, Path | None]], inputs: Inputs) -> None:
    """UsageError when an output (option name, path) is an input, is a directory, or is another output's path.
    None and '-' (standard output) are skipped."""
    seen: dict[str, str] = {}
    for option, path in outputs:
        if path is None or str(path) == "-":
            continue
        if path.is_dir():
            raise UsageError(f"{option} {path}: is a directory; give a file to write")
        why = inputs.clash(path)
        if why is not None:
            raise UsageError(f"{option} {path}: {why}; an output never overwrites an input, give another path")
        real = os.path.realpath(path)
        if real in seen and path.exists() and not path.is_file():
            continue  # two outputs to one device, such as /dev/stdout
        if real in seen:
            raise UsageError(f"{option} {path}: {seen[real]} writes there too; give each output its own path")
        seen[real] = option
