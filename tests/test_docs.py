"""The docs hold true: every command of `traingate` and every option it takes is documented in docs/cli.md;
every check type of the registry has its section on its group's page; the generated pages are what
`python -m traingate.docs` writes now; every contract shown in docs/ or the README parses; and every link
between the pages leads somewhere."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer.main

from traingate.cli.app import app
from traingate.contracts import parse_contract
from traingate.docs.check_pages import builtin_entries, pages
from traingate.docs.markers import example_problem, regions

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md")) + [ROOT / "README.md"]
COMMANDS: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
GLOBAL_OPTIONS = {"--debug", "--help"}
YAML_BLOCK = re.compile(r"^(`{3,})yaml([^\n]*)\n(.*?)^\1[ \t]*$", re.M | re.S)
NO_LINT = "no-lint"  # ```yaml no-lint: a contract not meant to parse here (an error on purpose, a plugin's type)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def cli_sections() -> dict[str, str]:
    """`traingate NAME` -> the text of its `## traingate NAME` section in docs/cli.md."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    found = {}
    for part in text.split("\n## ")[1:]:
        title, _, body = part.partition("\n")
        if title.startswith("traingate "):
            found[title.removeprefix("traingate ").strip()] = body
    return found


def options_of(command: Any) -> set[str]:
    return {opt for p in command.params if p.param_type_name == "option" for opt in (*p.opts, *p.secondary_opts)}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_documented_with_every_option(name: str) -> None:
    section = cli_sections().get(name)
    assert section is not None, f"docs/cli.md has no `## traingate {name}` section"
    command = COMMANDS[name]
    known = options_of(command)
    missing = sorted(opt for opt in known - {"--help"} if not re.search(rf"`{re.escape(opt)}[ `=,]", section))
    assert missing == [], f"docs/cli.md, traingate {name}: options not documented: {missing}"
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", section))
    assert sorted(named - known - GLOBAL_OPTIONS) == [], f"docs/cli.md, traingate {name}: options the command does not have"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help(name: str) -> None:
    assert COMMANDS[name].help, f"traingate {name} has no help text"


def test_the_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(n for n in COMMANDS if f"`traingate {n}" not in readme) == []


@pytest.mark.parametrize(("group", "name"), sorted(builtin_entries()))
def test_every_check_type_has_a_section_on_its_group_page(group: str, name: str) -> None:
    page = (DOCS / "checks" / f"{group}.md").read_text(encoding="utf-8")
    assert f"\n## `{name}`\n" in page, f"docs/checks/{group}.md has no section for {name}"
    assert f"({group}.md#{name})" in (DOCS / "checks" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("group", "name"), sorted(builtin_entries()))
def test_every_check_type_has_a_worked_example_using_it(group: str, name: str) -> None:
    examples = {n: body for (kind, n), body in regions((DOCS / "checks" / f"{group}.md").read_text("utf-8")).items()
                if kind == "example"}
    assert name in examples, f"docs/checks/{group}.md has no example for {name}"
    assert example_problem(examples[name], group, name) is None


def test_the_generated_pages_are_fresh() -> None:
    stale = [str(path.relative_to(ROOT)) for path, text in pages(ROOT).items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    assert stale == [], f"out of date: {', '.join(stale)}; run `python -m traingate.docs` and commit the pages"


def yaml_blocks() -> list[tuple[str, str, str]]:
    """(where, info string, text) of every ```yaml block in docs/ and the README."""
    found = []
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        for match in YAML_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(2).strip(), match.group(3)))
    return found


def is_contract(text: str) -> bool:
    keys = set(re.findall(r"^([a-z_]+):", text, re.M))
    return "contract" in keys and bool(keys & {"checks", "expectations"})


CONTRACTS = [(where, text) for where, info, text in yaml_blocks() if is_contract(text) and NO_LINT not in info.split()]


def test_the_docs_show_contracts() -> None:
    assert len(CONTRACTS) >= 50


@pytest.mark.parametrize(("where", "text"), CONTRACTS, ids=[where for where, _ in CONTRACTS])
def test_every_contract_in_the_docs_parses(where: str, text: str) -> None:
    parse_contract(text, where)  # a ContractError names the block's place and the problem


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^(`{3,}).*?^\1", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        base, n = slug(heading), 0
        while (f"{base}-{n}" if n else base) in found:
            n += 1
        found.add(f"{base}-{n}" if n else base)
    return found


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_link_between_the_pages_leads_somewhere(page: Path) -> None:
    text = re.sub(r"^(`{3,}).*?^\1", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: links to nothing: {broken}"


def test_regenerating_keeps_what_is_written_between_markers_and_rewrites_the_rest(tmp_path: Path,
                                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from traingate.docs import main

    shutil.copytree(DOCS, tmp_path / "docs")
    page = tmp_path / "docs" / "checks" / "quantity.md"
    text = page.read_text(encoding="utf-8")
    edited = text.replace("| `min` | integer | required |", "| `min` | integer | optional |")
    edited = edited.replace("<!-- notes: min_rows -->\n", "<!-- notes: min_rows -->\nA note kept as written.\n")
    page.write_text(edited, encoding="utf-8")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert "out of date: docs/checks/quantity.md" in capsys.readouterr().err
    assert main(["--root", str(tmp_path)]) == 0
    regenerated = page.read_text(encoding="utf-8")
    assert "| `min` | integer | required |" in regenerated and "A note kept as written.\n" in regenerated
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_an_example_that_does_not_parse_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from traingate.docs import main

    shutil.copytree(DOCS, tmp_path / "docs")
    page = tmp_path / "docs" / "checks" / "quantity.md"
    page.write_text(page.read_text(encoding="utf-8").replace("      min: 40\n", "      minimum: 40\n"), encoding="utf-8")
    assert main(["--root", str(tmp_path)]) == 1
    assert "docs/checks/quantity.md: the example of 'min_tokens'" in capsys.readouterr().err
