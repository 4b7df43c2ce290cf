"""Reference pages generated from the code: `docs/checks/<group>.md`, one section per check type of the
registry (its summary, where it lives, what it can do, its options, its details fields and a worked
example), the index `docs/checks/README.md`, and the blocks of other pages marked
`<!-- generated: NAME -->` ... `<!-- end generated -->` (the run result's fields in docs/results.md).

    python -m traingate.docs            # rewrite the pages
    python -m traingate.docs --check    # exit 1 naming the pages that are out of date

Hand-written text lives in a generated page between markers, which regeneration keeps as written:
`<!-- notes: NAME -->` ... `<!-- end notes -->` (a page's introduction is `intro`, a check type's notes its
type name) and `<!-- example: TYPE -->` ... `<!-- end example -->` (the check's worked example, a whole
contract in a yaml block). A check type without an example gets one built from its options' required
fields, which must parse; everything else on the page is rewritten. tests/test_docs.py fails while a page
differs from what this package writes.

Its modules: tables.py (types, defaults and the tables of a model's fields), markers.py (the regions a
person writes, and the worked examples), check_pages.py (the pages and generated blocks as they should read)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from traingate.contracts.model import GROUPS
from traingate.docs.check_pages import DocsError, pages
from traingate.docs.markers import example_problem, regions


def default_root() -> Path:
    """The repository holding docs/: the source tree this package sits in, else the working directory."""
    tree = Path(__file__).resolve().parents[3]
    return tree if (tree / "docs").is_dir() else Path.cwd()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m traingate.docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming the pages out of date")
    parser.add_argument("--root", type=Path, default=None, help="the repository holding docs/")
    args = parser.parse_args(argv)
    root = args.root or default_root()
    try:
        wanted = pages(root)
    except DocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    problems = [f"{path.relative_to(root)}: the example of {name!r} needs editing between its markers: {why}"
                for path, text in wanted.items() if path.parent == root / "docs" / "checks" and path.stem in GROUPS
                for (kind, name), body in regions(text).items() if kind == "example"
                for why in [example_problem(body, path.stem, name)] if why]
    stale = [p for p, text in wanted.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    for path in stale:
        if args.check:
            print(f"out of date: {path.relative_to(root)}", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[path], encoding="utf-8")
            print(f"wrote {path.relative_to(root)}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.check and stale:
        print("run `python -m traingate.docs` to regenerate them", file=sys.stderr)
    return 1 if (args.check and stale) or problems else 0

