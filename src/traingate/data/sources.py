"""Data paths -> an ordered list of files with their format, compression and split, and the files skipped.

Every file a run is given, directly or inside a directory, is either read or skipped with a reason: a file
that looks like data but cannot be read (an unknown compression, a Spark `part-*` file, `notes.txt`) is an
error naming it, unless an exclude pattern (`--exclude`, `dataset.exclude`) matches it. What a name says is
in source_kinds.py; how an input is expanded into its files, in source_listing.py."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from traingate.data.source_kinds import COMPRESSIONS, EXCLUDE_HINT, FORMATS, kind
from traingate.data.source_listing import Skipped, expand_local, expand_remote, readable
from traingate.errors import SourceError

if TYPE_CHECKING:
    from traingate.data.remote import Listed


@dataclass(frozen=True)
class SourceFile:
    path: str
    format: str          # jsonl, json (array or lines, decided on read), parquet, csv, tsv, arrow
    compression: str | None
    split: str
    size: int
    etag: str | None = None  # a remote object's etag (or content checksum) as its store listed it
    version: str | None = None  # a remote object's version id (S3, Azure) or generation (GCS), where kept
    url: str | None = field(default=None, repr=False)  # the URL opened, when `path` (shown) is it redacted

    @property
    def location(self) -> str:
        """What to open: the local path, or the URL with its credentials."""
        return self.url or self.path


def describe(path: str, split: str, listed: Listed | None = None) -> SourceFile:
    """`listed`: a remote object as its store listed it (size, etag, version); `path` is then its URL."""
    fmt, compression = kind(path.lower())
    if fmt is None and listed is not None:  # a URL's query (`?versionId=`, a signature) is not its name
        fmt, compression = kind(path.lower().split("?", 1)[0])
    if fmt is None:
        raise SourceError(f"{path}: unknown data format; traingate reads {', '.join(sorted(FORMATS))}, optionally "
                          f"with {', '.join(COMPRESSIONS)}; {EXCLUDE_HINT}")
    if compression and fmt in ("parquet", "arrow"):
        raise SourceError(f"{path}: {fmt} files carry their own compression; decompress the outer {compression}")
    if listed is not None:
        from traingate.data.remote_redact import redact
        shown = redact(path)
        return SourceFile(shown, fmt, compression, split, listed.size, listed.etag, listed.version,
                          path if shown != path else None)
    size = os.path.getsize(path) if "://" not in path else 0
    return SourceFile(path, fmt, compression, split, size)


def resolve_all(data: list[str], splits: dict[str, list[str]] | None, base_dir: str | None,
                exclude: tuple[str, ...] = ()) -> tuple[list[SourceFile], list[Skipped]]:
    """`data` items are paths, globs or directories, optionally prefixed `split=`; without data, the
    contract's `dataset.splits` (relative to the contract's folder) supply the files. Returns the files to
    read and those skipped, each with its reason; a file that cannot be read is a SourceError."""
    labelled = _labelled(data, splits, base_dir)
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for split, pattern in labelled:
        if "://" in pattern:
            for item in expand_remote(pattern, exclude, skipped):
                if item.url not in seen:
                    seen.add(item.url)
                    files.append(describe(item.url, split, item))
            continue
        for path in expand_local(pattern, exclude, skipped):
            if path not in seen:
                seen.add(path)
                readable(path)
                files.append(describe(path, split))
    return files, skipped


def _labelled(data: list[str], splits: dict[str, list[str]] | None, base_dir: str | None) -> list[tuple[str, str]]:
    labelled: list[tuple[str, str]] = []
    for item in data:
        split, sep, rest = item.partition("=")
        labelled.append((split, rest) if sep and "/" not in split and "://" not in item[: len(split) + 3]
                        else ("all", item))
    if not labelled and splits:
        root = Path(base_dir or ".")
        labelled = [(name, p if "://" in p else str(root / p)) for name, paths in splits.items() for p in paths]
    if not labelled:
        raise SourceError("no data given: pass DATA paths, or list `dataset.splits` in the contract")
    return labelled


def given_inputs(data: list[str], splits: dict[str, list[str]] | None, base_dir: str | None) -> list[str]:
    """The inputs as `split=path`, local paths absolute, so they can be listed again from anywhere."""
    def shown(path: str) -> str:
        from traingate.data.remote_redact import redact  # only for a URL: a local run never loads it
        return redact(path)

    return [f"{split}={shown(path) if '://' in path else os.path.abspath(path)}"
            for split, path in _labelled(data, splits, base_dir)]


def absolute_exclusions(patterns: tuple[str, ...]) -> list[str]:
    """The patterns as given, and each relative path pattern also from the root: listing absolute inputs
    again from elsewhere then excludes the same files."""
    extra = [os.path.abspath(p) for p in patterns if "/" in p and not os.path.isabs(p) and "://" not in p]
    return list(dict.fromkeys([*patterns, *extra]))


def resolve(data: list[str], splits: dict[str, list[str]] | None, base_dir: str | None,
            exclude: tuple[str, ...] = ()) -> list[SourceFile]:
    return resolve_all(data, splits, base_dir, exclude)[0]
