"""cli/deferred.py: a deferred module executes on the first real use, package first, once, with the
namespace an eager import gives; import statements, `find_spec` and the import system's own reads do not
execute it. Each test builds a small package of its own whose modules log when they execute."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from types import ModuleType

import pytest

from traingate.cli.deferred import defer, pending

PACKAGE = '''"""The package."""
import {log}
{log}.events.append("package")
SIZE = 3
'''
SUB = '''"""A submodule."""
import {log}
from {name} import SIZE
{log}.events.append("{sub}")
VALUE = SIZE * 2
'''


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    """A fresh package `name` with submodules `sub`, `other` and `broken`; returns its name and the log."""
    name, log = f"deferred_{uuid.uuid4().hex[:8]}", f"log_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{log}.py").write_text("events = []\n")
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text(PACKAGE.format(log=log))
    for sub in ("sub", "other"):
        (root / f"{sub}.py").write_text(SUB.format(log=log, name=name, sub=sub))
    (root / "broken.py").write_text("raise RuntimeError('cannot start')\n")
    (root / "slow.py").write_text(f"import time, {log}\ntime.sleep(0.2)\n{log}.events.append('slow')\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # the finder defer() adds goes with the test
    yield name, importlib.import_module(log).events
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def test_import_statements_and_the_import_systems_reads_execute_nothing(package: tuple[str, list[str]]) -> None:
    name, events = package
    assert defer([name, f"{name}.sub"]) == [name, f"{name}.sub"]
    top = importlib.import_module(name)
    sub = importlib.import_module(f"{name}.sub")
    exec(f"import {name}.sub as alias", {})  # reads `sub` from the package
    assert importlib.util.find_spec(name) is not None and importlib.util.find_spec(f"{name}.sub") is not None
    assert (top.__name__, sub.__name__, top.__path__ is not None) == (name, f"{name}.sub", True)
    assert events == [] and pending(top) and pending(sub)
    assert sub.VALUE == 6
    assert events == ["package", "sub"]  # the package first, as an eager import runs them
    assert not pending(top) and not pending(sub) and top.sub is sub


def test_the_loaded_module_is_what_an_eager_import_gives(package: tuple[str, list[str]]) -> None:
    name, events = package
    defer([name, f"{name}.sub"])
    top = importlib.import_module(name)
    assert top.SIZE == 3 and top.__doc__ == "The package."
    deferred_names = sorted(vars(top))
    for module in [m for m in sys.modules if m.startswith(name)]:
        del sys.modules[module]
    eager = importlib.import_module(name)
    importlib.import_module(f"{name}.sub")
    assert deferred_names == sorted(vars(eager))
    assert type(top) is ModuleType and events == ["package", "package", "sub"]


def test_from_import_executes(package: tuple[str, list[str]]) -> None:
    name, events = package
    defer([name])
    namespace: dict[str, object] = {}
    exec(f"from {name} import SIZE", namespace)
    assert namespace["SIZE"] == 3 and events == ["package"]


def test_a_submodule_not_deferred_executes_its_package_first(package: tuple[str, list[str]]) -> None:
    name, events = package
    defer([name])
    other = importlib.import_module(f"{name}.other")
    assert other.VALUE == 6 and events == ["package", "other"]
    assert not pending(sys.modules[name])


def test_a_module_that_fails_raises_on_use_and_leaves_sys_modules(package: tuple[str, list[str]]) -> None:
    name, _ = package
    defer([name, f"{name}.broken"])
    broken = importlib.import_module(f"{name}.broken")
    with pytest.raises(RuntimeError, match="cannot start"):
        broken.anything  # noqa: B018
    assert f"{name}.broken" not in sys.modules


def test_threads_wait_for_one_load(package: tuple[str, list[str]]) -> None:
    name, events = package
    defer([name, f"{name}.slow"])
    slow = importlib.import_module(f"{name}.slow")
    seen: list[bool] = []
    threads = [threading.Thread(target=lambda: seen.append(slow.DONE)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [True] * 4 and events.count("slow") == 1


def test_what_is_imported_or_missing_is_left_alone(package: tuple[str, list[str]]) -> None:
    name, _ = package
    importlib.import_module(name)
    assert defer([name, f"{name}_missing", "json"]) == []


def test_the_array_libraries_deferred_then_used() -> None:
    """In a fresh interpreter: the import statements the checks use leave numpy and pyarrow unexecuted; the
    first use executes them and computes as usual."""
    program = """
import sys
from traingate.cli.deferred import ARRAYS, defer, pending
defer()
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pjson
assert all(pending(sys.modules[m]) for m in ARRAYS), [m for m in ARRAYS if not pending(sys.modules[m])]
assert pc.sum(pa.array([1, 2, None])).as_py() == 3
assert int(np.asarray([1, 2]).sum()) == 3 and callable(pjson.read_json)
assert not any(pending(sys.modules[m]) for m in ARRAYS)
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "ok", run.stderr[-2000:]
