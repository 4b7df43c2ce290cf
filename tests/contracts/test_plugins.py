"""A check type published by another distribution, through the entry-point group `traingate.validators`,
works wherever a built-in does: `lint`, `validate` (CLI and library), `checks` and `schema`. The
distribution is real: a package and its dist-info (METADATA, entry_points.txt) written by the test on
the path of a fresh interpreter, as pip would install it. The whole check is one module: its options,
its validator and its registration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = '''
"""An even number of rows, or the gate fails: a check type from outside traingate."""
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult
from traingate.validators import Validator, check


class EvenRowsOptions(CheckConfig):
    summary: ClassVar[str] = "an even number of rows"
    type: Literal["even_rows"]


@check("even_rows", group="quantity", options=EvenRowsOptions)
class EvenRowsValidator(Validator[EvenRowsOptions, int]):
    def create_state(self) -> int:
        return 0

    def add_batch(self, state: int, batch: BatchContext) -> int:
        return state + batch.num_rows

    def merge_states(self, a: int, b: int) -> int:
        return a + b

    def finalize(self, state: int, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        odd = state % 2 == 1
        return self.result(status="failed" if odd else "passed", metric="rows", value=float(state), rows=state,
                           message=f"{state} rows" + (", an odd number" if odd else ""))
'''
CONTRACT = """\
contract: plugged
version: 1.0.0
dataset:
  kind: sft
checks:
  quantity:
    - {type: even_rows}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    (site / "tg_even").mkdir()
    (site / "tg_even" / "__init__.py").write_text(PLUGIN)
    info = site / "tg_even-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tg-even\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[traingate.validators]\neven_rows = tg_even\n")
    (site / "c.yaml").write_text(CONTRACT)
    (site / "d.jsonl").write_text("".join(json.dumps({"prompt": f"q{i}", "response": f"a{i}"}) + "\n" for i in range(3)))
    return site


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    return subprocess.run([sys.executable, *args], cwd=site, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # over 2 s: out of the quick loop
def test_a_published_check_type_works_in_lint_validate_checks_and_schema(installed: Path) -> None:
    lint = run(installed, "-m", "traingate", "lint", "c.yaml")
    assert lint.returncode == 0 and "even_rows" in lint.stdout, lint.stderr
    validate = run(installed, "-m", "traingate", "validate", "c.yaml", "d.jsonl", "--json", "run.json")
    assert validate.returncode == 1, validate.stderr  # 3 rows: the plugin's check fails the gate
    checks = json.loads((installed / "run.json").read_text())["checks"]
    assert [(c["id"], c["status"], c["value"]) for c in checks] == [("quantity.even_rows", "failed", 3.0)]
    library = run(installed, "-c", "import traingate; r = traingate.validate('c.yaml', ['d.jsonl']); "
                                   "print(r.gate.verdict, r.checks[0].message)")
    assert library.stdout.split() == ["failed", "3", "rows,", "an", "odd", "number"], library.stderr
    listed = run(installed, "-m", "traingate", "checks")
    assert "even_rows" in listed.stdout and "an even number of rows" in listed.stdout
    schema = run(installed, "-m", "traingate", "schema")
    assert '"even_rows"' in schema.stdout


def test_a_check_that_names_no_known_group_or_another_type_is_refused_where_it_is_declared() -> None:
    from typing import ClassVar, Literal

    from traingate.contracts.model import CheckConfig
    from traingate.validators import Validator, check

    class Options(CheckConfig):
        summary: ClassVar[str] = "x"
        type: Literal["x_check"]

    with pytest.raises(ValueError, match="names unknown group 'formatting'"):
        check("x_check", group="formatting", options=Options)(type("V", (Validator,), {}))
    with pytest.raises(ValueError, match=r"Options\.type is .x_check., not .y_check."):
        check("y_check", group="format", options=Options)(type("V", (Validator,), {}))


def test_a_check_declares_its_regex_options_and_each_is_held_to_re2() -> None:
    from typing import ClassVar, Literal

    from traingate.contracts import parse_contract, registry
    from traingate.contracts.model import TextCheck
    from traingate.errors import ContractError
    from traingate.validators import Validator, check

    class MatchOptions(TextCheck):
        summary: ClassVar[str] = "values matching any of `patterns`"
        regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("patterns", "*"),)
        type: Literal["matches_any"]
        patterns: list[str]

    check("matches_any", group="format", options=MatchOptions)(type("MatchesAny", (Validator,), {}))
    try:
        with pytest.raises(ContractError) as raised:
            parse_contract("contract: r\nversion: 1.0.0\ndataset: {kind: sft}\nchecks:\n  format:\n"
                           "    - type: matches_any\n      patterns: ['ok', '(?=a)b']\n", "c.yaml")
        assert "c.yaml:7:24: checks.format.0.patterns.1: RE2 cannot take the regex '(?=a)b'" in str(raised.value)
    finally:
        registry._TYPES.pop(("format", "matches_any"))
