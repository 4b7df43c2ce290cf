"""Data paths -> an ordered list of files with their format, compression and split."""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass
from pathlib import Path

from traingate.errors import SourceError

COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2"}
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet",
           ".csv": "csv", ".tsv": "tsv", ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow"}


@dataclass(frozen=True)
class SourceFile:
    path: str
    format: str          # jsonl, json (array or lines, decided on read), parquet, csv, tsv, arrow
    compression: str | None
    split: str
    size: int


def describe(path: str, split: str) -> SourceFile:
    name = path.lower()
    compression = None
    for suffix, codec in COMPRESSIONS.items():
        if name.endswith(suffix):
            compression, name = codec, name[: -len(suffix)]
    fmt = FORMATS.get(os.path.splitext(name)[1])
    if fmt is None:
        raise SourceError(f"{path}: unknown data format; traingate reads "
                          f"{', '.join(sorted(FORMATS))}, optionally with {', '.join(COMPRESSIONS)}")
    if compression and fmt in ("parquet", "arrow"):
        raise SourceError(f"{path}: {fmt} files carry their own compression; decompress the outer {compression}")
    size = os.path.getsize(path) if "://" not in path else 0
    return SourceFile(path, fmt, compression, split, size)


def _hf_saved_dataset(directory: Path) -> list[str] | None:
    state = directory / "state.json"
    if not state.is_file():
        return None
    try:
        files = json.loads(state.read_text())["_data_files"]
        return [str(directory / f["filename"]) for f in files]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{state}: not a Hugging Face save_to_disk state file ({exc})") from exc


def _expand_one(pattern: str) -> list[str]:
    if "://" in pattern:
        return [pattern]
    path = Path(pattern)
    if path.is_dir():
        saved = _hf_saved_dataset(path)
        if saved is not None:
            return saved
        found = [str(p) for p in sorted(path.rglob("*")) if p.is_file() and _is_data(p.name)]
        if not found:
            raise SourceError(f"{pattern}: the directory holds no data files")
        return found
    if path.is_file():
        return [str(path)]
    matches = sorted(m for m in glob.glob(pattern, recursive=True) if os.path.isfile(m))
    if not matches:
        raise SourceError(f"{pattern}: no such file, directory or glob match")
    return matches


def _is_data(name: str) -> bool:
    lower = name.lower()
    for suffix in COMPRESSIONS:
        lower = lower.removesuffix(suffix)
    return os.path.splitext(lower)[1] in FORMATS and not lower.endswith(("dataset_info.json", "state.json"))


def resolve(data: list[str], splits: dict[str, list[str]] | None, base_dir: str | None) -> list[SourceFile]:
    """`data` items are paths, globs or directories, optionally prefixed `split=`; without data,
    the contract's `dataset.splits` (relative to the contract's folder) supply the files."""
    labelled: list[tuple[str, str]] = []
    for item in data:
        split, sep, rest = item.partition("=")
        labelled.append((split, rest) if sep and "/" not in split and "://" not in item[: len(split) + 3]
                        else ("all", item))
    if not labelled and splits:
        root = Path(base_dir or ".")
        labelled = [(name, str(root / p)) for name, paths in splits.items() for p in paths]
    if not labelled:
        raise SourceError("no data given: pass DATA paths, or list `dataset.splits` in the contract")
    files: list[SourceFile] = []
    seen: set[str] = set()
    for split, pattern in labelled:
        for path in _expand_one(pattern):
            if path not in seen:
                seen.add(path)
                files.append(describe(path, split))
    return files
