"""One input (a path, a directory, a glob or a URL) -> the files it holds, and those skipped with a reason.

A directory is walked (a Hugging Face `save_to_disk` folder by its state.json), a URL prefix is read like a
folder; companion and hidden files and excluded ones are skipped, and a file that looks like data but cannot
be read is an error naming it. A local file that cannot be opened is an error before any reading."""

from __future__ import annotations

import glob
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from traingate.data.source_kinds import EXCLUDE_HINT, companion, excluded, is_data, unreadable
from traingate.errors import SourceError

if TYPE_CHECKING:
    from traingate.data.remote import Listed


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def readable(path: str) -> None:
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
        pattern = excluded(text, str(directory), patterns)
        reason = f"excluded by {pattern!r}" if pattern else companion(relative)
        if saved is not None and text not in saved:
            reason = reason or "not listed in the saved dataset's state.json"
        if reason:
            skipped.append(Skipped(text, reason))
        elif not is_data(path.name):
            raise SourceError(unreadable(text, f"in {directory}"))
        else:
            found.append(text)
    if saved is not None:
        found = [f for f in saved if not excluded(f, str(directory), patterns)]
    if not found:
        raise SourceError(f"{directory}: the directory holds no data files" +
                          (f" ({len(skipped)} skipped: {', '.join(s.path for s in skipped[:3])})" if skipped else ""))
    return found


def expand_remote(pattern: str, patterns: tuple[str, ...], skipped: list[Skipped]) -> list[Listed]:
    """A URL, a prefix (read like a folder: companions and hidden objects skipped) or a glob."""
    from traingate.data.remote import list_objects
    from traingate.data.remote_redact import redact

    magic = glob.has_magic(pattern.split("://", 1)[1].split("?", 1)[0])
    found, folders = list_objects(pattern, magic)
    skipped += [Skipped(redact(f), f"a directory matched by {redact(pattern)!r}") for f in folders]
    if len(found) == 1 and found[0].url == pattern:
        return found
    root, kept = pattern if not magic else "", []
    for item in found:
        relative = item.url[len(root):].lstrip("/") if root else os.path.basename(item.url)
        hit = excluded(item.url, root, patterns)
        reason = f"excluded by {hit!r}" if hit else _marker(item) or companion(Path(relative))
        if reason:
            skipped.append(Skipped(redact(item.url), reason))
        elif not (is_data(item.url) or is_data(item.url.split("?", 1)[0])):
            raise SourceError(unreadable(redact(item.url), f"under {redact(pattern)}"))
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


def expand_local(pattern: str, patterns: tuple[str, ...], skipped: list[Skipped]) -> list[str]:
    """A file (as given, even a broken link: `readable` then names it), a directory or a glob."""
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
        elif hit := excluded(match, "", patterns):
            skipped.append(Skipped(match, f"excluded by {hit!r}"))
        else:
            kept.append(match)
    return kept
