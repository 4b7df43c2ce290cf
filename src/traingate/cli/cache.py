"""`traingate cache list DIR` and `traingate cache prune DIR [--max SIZE | --all]`: the entries a cache
directory holds (`validate --cache`), least recently used first, and removing them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traingate.cli.consoles import out


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} B"


def cache(action: Annotated[str, typer.Argument(help="list, or prune.")],
          directory: Annotated[Path, typer.Argument(help="The cache directory (validate --cache DIR).")],
          max_size: Annotated[str | None, typer.Option("--max", help="prune: remove the least recently used "
                                                       "entries until the rest fit, e.g. 2GB.")] = None,
          everything: Annotated[bool, typer.Option("--all", help="prune: remove every entry.")] = False) -> None:
    """List a cache directory's entries (least recently used first) or prune them."""
    from datetime import datetime

    from traingate.api import mebibytes
    from traingate.engine.cache_evict import entries, prune

    if action not in ("list", "prune"):
        raise typer.BadParameter("use list or prune", param_hint="ACTION")
    if not directory.is_dir():
        raise typer.BadParameter(f"{directory}: no such directory", param_hint="DIRECTORY")
    if action == "list":
        if max_size is not None or everything:
            raise typer.BadParameter("--max and --all are for prune")
        stored = entries(str(directory))
        for entry in stored:
            used = datetime.fromtimestamp(entry.used).isoformat(timespec="seconds")
            out.print(f"{used}  {_size(entry.bytes):>10}  {entry.label}", markup=False, highlight=False)
        out.print(f"{len(stored)} entries, {_size(sum(e.bytes for e in stored))}", markup=False, highlight=False)
        return
    if (max_size is None) == (not everything):
        raise typer.BadParameter("give --max SIZE or --all")
    try:
        limit = None if everything else int(mebibytes(max_size or "") * 2**20)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max") from exc
    removed, freed = prune(str(directory), limit)
    out.print(f"removed {removed} entries, {_size(freed)}", markup=False, highlight=False)
