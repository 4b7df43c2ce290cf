"""Data paths -> an ordered list of files with their format, compression and split, and the files skipped.

Every file a run is given, directly or inside a directory, is either read or skipped with a reason: a file
that looks like data but cannot be read (an unknown compression, a Spark `part-*` file, `notes.txt`) is an
error naming it, unless an exclude pattern (`--exclude`, `dataset.exclude`) matches it."""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from traingate.errors import SourceError

if TYPE_CHECKING:
    from traingate.data.remote import Listed

COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2"}
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet",
           ".csv": "csv", ".tsv": "tsv", ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow"}
# Files that sit beside data and are not data: skipped, and listed as skipped with the reason.
COMPANIONS = {"readme.md": "a dataset card", ".gitattributes": "git attributes", ".gitignore": "a git ignore file",
              "dataset_info.json": "Hugging Face dataset metadata", "dataset_dict.json": "Hugging Face dataset metadata",
              "state.json": "Hugging Face dataset metadata", "_success": "a Spark job marker",
              ".ds_store": "a macOS folder file"}
EXCLUDE_HINT = "exclude it with --exclude GLOB or `dataset.exclude` in the contract"


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


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def _kind(name: str) -> tuple[str | None, str | None]:
    compression = None
    for suffix, codec in COMPRESSIONS.items():
        if name.endswith(suffix):
            compression, name = codec, name[: -len(suffix)]
    return FORMATS.get(os.path.splitext(name)[1]), compression


def describe(path: str, split: str, listed: Listed | None = None) -> SourceFile:
    """`listed`: a remote object as its store listed it (size, etag, version); `path` is then its URL."""
    fmt, compression = _kind(path.lower())
    if fmt is None and listed is not None:  # a URL's query (`?versionId=`, a signature) is not its name
        fmt, compression = _kind(path.lower().split("?", 1)[0])
    if fmt is None:
        raise SourceError(f"{path}: unknown data format; traingate reads {', '.join(sorted(FORMATS))}, optionally "
                          f"with {', '.join(COMPRESSIONS)}; {EXCLUDE_HINT}")
    if compression and fmt in ("parquet", "arrow"):
        raise SourceError(f"{path}: {fmt} files carry their own compression; decompress the outer {compression}")
    if listed is not None:
        from traingate.data.remote import redact
        shown = redact(path)
        return SourceFile(shown, fmt, compression, split, listed.size, listed.etag, listed.version,
                          path if shown != path else None)
    size = os.path.getsize(path) if "://" not in path else 0
    return SourceFile(path, fmt, compression, split, size)


def _readable(path: str) -> None:
    """A local file that cannot be opened (permissions, a broken link, not a regular file) is an error now,
    before any reading."""
    if "://" in path:
        return
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise SourceError(f"{path}: not a regular file; {EXCLUDE_HINT}")
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror or exc}); {EXCLUDE_HINT}") from exc


def _excluded(path: str, root: str, patterns: tuple[str, ...]) -> str | None:
    relative = os.path.relpath(path, root) if root else path
    for pattern in patterns:
        if any(fnmatch.fnmatch(p, pattern) for p in (path, relative, os.path.basename(path))):
            return pattern
    return None


def _companion(relative: Path) -> str | None:
    name = relative.name.lower()
    if name in COMPANIONS:
        return COMPANIONS[name]
    if name.endswith(".crc"):
        return "a checksum file"
    return "a hidden file" if any(part.startswith(".") for part in relative.parts) else None


def _hf_saved_dataset(directory: Path) -> list[str] | None:
    state = directory / "state.json"
    if not state.is_file():
        return None
    try:
        files = json.loads(state.read_text())["_data_files"]
        return [str(directory / f["filename"]) for f in files]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{state}: not a Hugging Face save_to_disk state file ({exc})") from exc


def _walk(directory: Path, patterns: tuple[str, ...], skipped: list[Skipped]) -> list[str]:
    saved = _hf_saved_dataset(directory)
    found: list[str] = []
    for path in sorted(directory.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        text, relative = str(path), path.relative_to(directory)
        pattern = _excluded(text, str(directory), patterns)
        reason = f"excluded by {pattern!r}" if pattern else _companion(relative)
        if saved is not None and text not in saved:
            reason = reason or "not listed in the saved dataset's state.json"
        if reason:
            skipped.append(Skipped(text, reason))
        elif not _is_data(path.name):
            raise SourceError(f"{text}: in {directory}, looks like data but traingate cannot read it (it reads "
                              f"{', '.join(sorted(FORMATS))}, optionally with {', '.join(COMPRESSIONS)}); {EXCLUDE_HINT}")
        else:
            found.append(text)
    if saved is not None:
        found = [f for f in saved if not _excluded(f, str(directory), patterns)]
    if not found:
        raise SourceError(f"{directory}: the directory holds no data files" +
                          (f" ({len(skipped)} skipped: {', '.join(s.path for s in skipped[:3])})" if skipped else ""))
    return found


def _expand_remote(pattern: str, patterns: tuple[str, ...], skipped: list[Skipped]) -> list[Listed]:
    """A URL, a prefix (read like a folder: companions and hidden objects skipped) or a glob."""
    from traingate.data.remote import list_objects, redact

    magic = glob.has_magic(pattern.split("://", 1)[1].split("?", 1)[0])
    found, folders = list_objects(pattern, magic)
    skipped += [Skipped(redact(f), f"a directory matched by {redact(pattern)!r}") for f in folders]
    if len(found) == 1 and found[0].url == pattern:
        return found
    root, kept = pattern if not magic else "", []
    for item in found:
        relative = item.url[len(root):].lstrip("/") if root else os.path.basename(item.url)
        hit = _excluded(item.url, root, patterns)
        reason = f"excluded by {hit!r}" if hit else _marker(item) or _companion(Path(relative))
        if reason:
            skipped.append(Skipped(redact(item.url), reason))
        elif not (_is_data(item.url) or _is_data(item.url.split("?", 1)[0])):
            raise SourceError(f"{redact(item.url)}: under {redact(pattern)}, looks like data but traingate cannot read "
                              f"it (it reads {', '.join(sorted(FORMATS))}, optionally with {', '.join(COMPRESSIONS)}); "
                              f"{EXCLUDE_HINT}")
        else:
            kept.append(item)
    if not kept:
        raise SourceError(f"{redact(pattern)}: holds no data files" + (f" ({len(skipped)} skipped)" if skipped else ""))
    return kept


def _marker(item: Listed) -> str | None:
    """An empty object a store's console or Hadoop writes to stand for a folder (`key/`, `key_$folder$`)."""
    if item.size == 0 and (item.url.endswith("/") or item.url.endswith("_$folder$")):
        return "a folder marker"
    return None


def _expand_one(pattern: str, patterns: tuple[str, ...], skipped: list[Skipped]) -> list[str]:
    path = Path(pattern)
    if path.is_dir():
        return _walk(path, patterns, skipped)
    if path.exists() or path.is_symlink():
        return [pattern]
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise SourceError(f"{pattern}: no such file, directory or glob match")
    kept = []
    for match in matches:
        if os.path.isdir(match):
            skipped.append(Skipped(match, f"a directory matched by {pattern!r}"))
        elif hit := _excluded(match, "", patterns):
            skipped.append(Skipped(match, f"excluded by {hit!r}"))
        else:
            kept.append(match)
    return kept


def _is_data(name: str) -> bool:
    lower = name.lower()
    for suffix in COMPRESSIONS:
        lower = lower.removesuffix(suffix)
    return os.path.splitext(lower)[1] in FORMATS


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
            for item in _expand_remote(pattern, exclude, skipped):
                if item.url not in seen:
                    seen.add(item.url)
                    files.append(describe(item.url, split, item))
            continue
        for path in _expand_one(pattern, exclude, skipped):
            if path not in seen:
                seen.add(path)
                _readable(path)
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
        from traingate.data.remote import redact  # only for a URL: a local run never loads it
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
