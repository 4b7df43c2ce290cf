"""What a file's name says: its format and compression, whether it is data at all, whether it is a companion
file that sits beside data (a dataset card, a Spark marker, a hidden file), and whether an exclude pattern
names it."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2"}
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet",
           ".csv": "csv", ".tsv": "tsv", ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow"}
# Files that sit beside data and are not data: skipped, and listed as skipped with the reason.
COMPANIONS = {"readme.md": "a dataset card", ".gitattributes": "git attributes", ".gitignore": "a git ignore file",
              "dataset_info.json": "Hugging Face dataset metadata", "dataset_dict.json": "Hugging Face dataset metadata",
              "state.json": "Hugging Face dataset metadata", "_success": "a Spark job marker",
              ".ds_store": "a macOS folder file"}
EXCLUDE_HINT = "exclude it with --exclude GLOB or `dataset.exclude` in the contract"


def kind(name: str) -> tuple[str | None, str | None]:
    """The format and the compression a (lowercase) name's suffixes give; None for either it has not."""
    compression = None
    for suffix, codec in COMPRESSIONS.items():
        if name.endswith(suffix):
            compression, name = codec, name[: -len(suffix)]
    return FORMATS.get(os.path.splitext(name)[1]), compression


def is_data(name: str) -> bool:
    lower = name.lower()
    for suffix in COMPRESSIONS:
        lower = lower.removesuffix(suffix)
    return os.path.splitext(lower)[1] in FORMATS


def unreadable(shown: str, where: str) -> str:
    """The message for a file `where` (in a directory, under a prefix) that looks like data but is not read."""
    return (f"{shown}: {where}, looks like data but traingate cannot read it (it reads {', '.join(sorted(FORMATS))}, "
            f"optionally with {', '.join(COMPRESSIONS)}); {EXCLUDE_HINT}")


def excluded(path: str, root: str, patterns: tuple[str, ...]) -> str | None:
    """The first pattern that matches the path, its path relative to `root`, or its name."""
    relative = os.path.relpath(path, root) if root else path
    for pattern in patterns:
        if any(fnmatch.fnmatch(p, pattern) for p in (path, relative, os.path.basename(path))):
            return pattern
    return None


def companion(relative: Path) -> str | None:
    """Why a file beside data is not data (a dataset card, a checksum file, a hidden file), or None."""
    name = relative.name.lower()
    if name in COMPANIONS:
        return COMPANIONS[name]
    if name.endswith(".crc"):
        return "a checksum file"
    return "a hidden file" if any(part.startswith(".") for part in relative.parts) else None
