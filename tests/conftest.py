from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from traingate.contracts import Contract, parse_contract
from traingate.engine.runner import validate
from traingate.results import RunResult

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from current output")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`exhaustive` tests (the long fuzz runs) are skipped unless the -m expression selects slow tests
    (`pytest -m slow`); plain `pytest` runs every other test, `slow` ones included."""
    if "slow" in (config.getoption("markexpr") or "").replace("not slow", ""):
        return
    skip = pytest.mark.skip(reason="exhaustive: select with -m slow")
    for item in items:
        if item.get_closest_marker("exhaustive") is not None:
            item.add_marker(skip)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def contract_text(kind: str, checks: str, fields: str = "", extra: str = "") -> str:
    return (f"contract: t\nversion: 1.0.0\ndataset:\n  kind: {kind}\n{fields}{extra}checks:\n{checks}")


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., RunResult]:
    """run(contract_yaml, rows or path, **kw): write rows as JSONL when given a list, then validate."""

    def _run(yaml_text: str, data: list[Any] | Path | str, **kw: Any) -> RunResult:
        contract: Contract = parse_contract(yaml_text, str(tmp_path / "contract.yaml"))
        path = write_jsonl(tmp_path / "data.jsonl", data) if isinstance(data, list) else data
        return validate(contract, [str(path)], **kw)

    return _run


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/datasets is not present")
    return SHARED


@pytest.fixture(autouse=True, scope="session")
def _cache_key_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`validate --cache` signs entries with this user's key file: the tests use one of their own, never the
    user's ~/.config (worker and child processes inherit it)."""
    import os

    before = os.environ.get("TRAINGATE_CACHE_KEY_FILE")
    os.environ["TRAINGATE_CACHE_KEY_FILE"] = str(tmp_path_factory.mktemp("cache-key") / "cache.key")
    yield
    if before is None:
        os.environ.pop("TRAINGATE_CACHE_KEY_FILE", None)
    else:
        os.environ["TRAINGATE_CACHE_KEY_FILE"] = before
