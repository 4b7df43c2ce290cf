"""Where `filter` writes: one output per input file under a folder (`-o DIR/`, an existing folder, or a name
without a suffix; relative names kept), one
JSON lines file for every kept row whatever the input (`-o x.jsonl`, optionally compressed), or one file of
the input's own format when there is one input file (`-o clean.csv`). Arrow files of a Hugging Face saved
dataset (a folder with state.json) are written as Parquet."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from traingate.data.source_kinds import COMPRESSIONS, FORMATS
from traingate.data.sources import SourceFile
from traingate.errors import UsageError


@dataclass(frozen=True)
class Target:
    """One output file: its path, format (the input's, or parquet for a saved dataset's Arrow) and compression."""

    path: str
    format: str
    compression: str | None = None


@dataclass(frozen=True)
class Plan:
    joined: Target | None = None  # every kept row as JSON lines, in one file
    targets: list[Target] = field(default_factory=list)  # else one per input file, in file order

    def paths(self) -> list[str]:
        return [self.joined.path] if self.joined else [t.path for t in self.targets]


def _named(path: str) -> tuple[str | None, str | None]:
    """(format, compression) a file name says."""
    name, compression = path.lower(), None
    for suffix, codec in COMPRESSIONS.items():
        if name.endswith(suffix):
            name, compression = name[: -len(suffix)], codec
    return FORMATS.get(os.path.splitext(name)[1]), compression


def _local(path: str) -> str:
    return path.split("://", 1)[1] if "://" in path else os.path.abspath(path)


def _saved_dataset(source: SourceFile) -> bool:
    """An Arrow file of a Hugging Face saved dataset (save_to_disk): written as Parquet."""
    return source.format == "arrow" and "://" not in source.path and \
        os.path.isfile(os.path.join(os.path.dirname(source.path), "state.json"))


def _in_folder(files: list[SourceFile], folder: str) -> list[Target]:
    """Each file under `folder` by its name relative to the folder all the inputs share."""
    locals_ = [_local(f.path) for f in files]
    root = os.path.commonpath([os.path.dirname(p) for p in locals_])
    targets = []
    for source, path in zip(files, locals_):
        relative = os.path.relpath(path, root).lstrip(os.sep)
        if _saved_dataset(source):
            targets.append(Target(os.path.join(folder, os.path.splitext(relative)[0] + ".parquet"), "parquet"))
        else:
            targets.append(Target(os.path.join(folder, relative), source.format, source.compression))
    return targets


def plan(files: list[SourceFile], out: str) -> Plan:
    """Where each input's kept rows go; a UsageError when `out` cannot hold them."""
    if out.endswith(("/", os.sep)) or os.path.isdir(out) or not os.path.splitext(os.path.basename(out))[1]:
        return Plan(targets=_in_folder(files, out))  # a folder: named so, existing, or a name without a suffix
    fmt, compression = _named(out)
    if fmt == "jsonl":
        return Plan(joined=Target(out, "jsonl", compression))
    single = files[0] if len(files) == 1 else None
    if fmt is not None and single is not None and (fmt == single.format or (fmt, single.format) == ("parquet", "arrow")):
        if fmt in ("parquet", "arrow") and compression:
            raise UsageError(f"-o {out}: {fmt} files carry their own compression; drop the {compression} suffix")
        return Plan(targets=[Target(out, fmt, compression)])
    what = "1 file" if single else f"{len(files)} files"
    raise UsageError(f"-o {out}: the input is {what}" + (f" of {single.format}" if single else "") +
                     "; write to a folder (-o DIR/: one output per input file, in its format), or to JSON lines "
                     "(-o OUT.jsonl: every kept row); a single file of another name is written only from one "
                     "input file of its format")
