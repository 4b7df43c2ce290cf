"""Start-up imports only what a command runs. Each case runs the `traingate` entry point in a fresh
interpreter under `python -X importtime` and reads which modules it imported:

- none of the heavy optional packages (pandas, pandera, GX, Presidio, spaCy, scipy, statsmodels, the chart
  renderer, Ray, torch, hypothesis; jinja2 unless an HTML report is asked for) loads for `--help`, `lint`
  or a 10-row `validate` of format checks with a schema check whose rules run on Arrow;
- `--help` builds no contract model and loads neither numpy nor pyarrow; `lint` runs no engine and loads
  only the check modules its contract names; `lint`, `checks` and `schema` read no data and execute neither
  numpy nor pyarrow (the check modules import them; cli/deferred.py defers them until a first use, which
  these commands never make: a module reading one of them at import time fails this test);
- `lint` writing to a pipe prints plain lines and never imports rich;
- `lint` imports no other command's module (`main` builds the one command it runs) and defines only the
  models of a check's result, not those of the run (results/model.py names the run's models on first use);
- the number of modules each imports stays under a ceiling with room above today's count, and the import
  time of traingate's own modules under a generous one. Counts, not microseconds, are the measure that does
  not vary with the machine's load: the time ceiling is several times today's figure on a busy machine, so
  it only catches a heavy import of traingate's own (today's figures: benchmarks/startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"pandas", "pandera", "great_expectations", "presidio_analyzer", "spacy", "scipy", "statsmodels",
         "vl_convert", "ray", "torch", "hypothesis", "jinja2"}
CONTRACT = """\
contract: budget
version: 1.0.0
dataset:
  kind: sft
checks:
  format:
    - {type: empty_text, max_rate: 0.01}
    - {type: whitespace, max_rate: 0.05}
    - {type: encoding, max_rate: 0.01}
    - {type: special_tokens, max_rate: 0.01}
    - {type: code_fences, max_rate: 0.05}
    - {type: placeholders, max_rate: 0.01}
    - {type: min_tokens, limit: 3, max_rate: 0.05}
    - {type: max_chars, limit: 20000, max_rate: 0.01}
    - type: schema
      columns:
        id: {dtype: string, required: true, unique: true, regex: "row-[0-9]+"}
        prompt: {dtype: string, min_length: 1, max_length: 500}
        score: {dtype: int, min: 0, max: 10, isin: [1, 2, 3, 4, 5]}
"""
# Today's counts of loaded modules (a deferred module not executed does not count): --help 345 (typer's rich
# help loads markdown-it and pygments), lint 352 (392 when it printed through rich to a pipe, 397 when it also
# imported every command's module and built every result model), checks 525, schema 483, validate 589 (10 more
# when a run without a cache loaded the cache's modules). The ceilings leave room for a few small modules, not
# for a package.
CEILING = {"help": 400, "lint": 360, "checks": 530, "schema": 530, "validate": 630}
# Self time of traingate's own imports, in ms, under a load average of 6 on 2 cores (about a third of that idle):
# --help 36-49, checks, schema and validate 254-416; lint 31-38 under a load of 2.1-2.3 (46-53 when it built every
# command and every result model). The ceilings are above twice the worst of those (lint's, five times its own).
OWN_MS = {"help": 150, "lint": 200, "checks": 800, "schema": 800, "validate": 1000}
# The pydantic models of traingate's that `lint` defines for the contract above: today 52 (the contract's, the
# options and details of the checks it names, a check's result); 64 when it defined the run result's too.
LINT_MODELS = 55
ARRAYS = {"numpy", "pyarrow"}

Started = dict[str, tuple[set[str], dict[str, int], int]]  # per command: modules loaded, import times (us), models

PROGRAM = """\
import atexit, sys
out = sys.argv.pop(1)
def loaded():
    deferred = sys.modules.get("traingate.cli.deferred")
    return sorted(m for m, module in list(sys.modules.items()) if deferred is None or not deferred.pending(module))
def models():
    main = sys.modules.get("pydantic.main")
    seen, stack = set(), [main.BaseModel] if main is not None else []
    while stack:
        for model in stack.pop().__subclasses__():
            if model not in seen:
                seen.add(model)
                stack.append(model)
    return sum(model.__module__.startswith("traingate") for model in seen)
atexit.register(lambda: open(out, "w").write("\\n".join(loaded())))
atexit.register(lambda: open(out + ".models", "w").write(str(models())))
from traingate.cli.app import main
sys.argv[0] = "traingate"
main()
"""


def _imports(args: list[str], cwd: Path) -> tuple[set[str], dict[str, int], int]:
    """The modules loaded when the entry point ends (importtime misses those importlib.import_module loads;
    a module deferred and never used is not loaded), each import statement's own time in microseconds, and
    the number of traingate's pydantic models defined."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", PROGRAM, str(cwd / "modules.txt"), *args],
                         cwd=cwd, timeout=180, capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
    assert run.returncode in (0, 1), run.stderr[-2000:]
    times = {}
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "[us]" not in line:
            own, _, name = line.removeprefix("import time:").split("|")
            times[name.strip()] = int(own)
    models = int((cwd / "modules.txt.models").read_text())
    return set((cwd / "modules.txt").read_text().split()), times, models


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Started:
    folder = tmp_path_factory.mktemp("budget")
    (folder / "c.yaml").write_text(CONTRACT)
    rows = [f'{{"id": "row-{i}", "prompt": "Say {i} things.", "response": "Here are {i} things ```x```.", '
            f'"score": {i % 5 + 1}}}\n' for i in range(10)]
    (folder / "d.jsonl").write_text("".join(rows))
    return {"help": _imports(["--help"], folder), "lint": _imports(["lint", "c.yaml"], folder),
            "checks": _imports(["checks"], folder), "schema": _imports(["schema"], folder),
            "validate": _imports(["validate", "c.yaml", "d.jsonl"], folder)}


def _top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.mark.slow
@pytest.mark.parametrize("command", ["help", "lint", "checks", "schema", "validate"])
def test_no_heavy_optional_package_loads(started: Started, command: str) -> None:
    assert _top(started[command][0]) & HEAVY == set()


@pytest.mark.slow
def test_help_builds_no_contract_model_and_loads_no_array_library(started: Started) -> None:
    loaded = started["help"][0]
    assert _top(loaded) & {"numpy", "pyarrow", "pydantic", "yaml", "cryptography"} == set()
    assert {m for m in loaded if m.startswith(("traingate.api", "traingate.contracts", "traingate.engine"))} == set()


@pytest.mark.slow
def test_lint_loads_the_checks_it_names_and_no_engine(started: Started) -> None:
    loaded = started["lint"][0]
    checks = {m for m in loaded if m.startswith("traingate.validators.") and ".common." not in m and m.count(".") == 3}
    assert {"traingate.validators.format.hygiene", "traingate.validators.format.lengths",
            "traingate.validators.format.schema"} <= checks
    assert {m.split(".")[2] for m in checks} == {"format"}  # no module of another group's checks
    unused = ("traingate.engine", "traingate.contracts.gx_args", "traingate.reports.html", "traingate.data.lookup",
              "traingate.data.readers")
    assert {m for m in loaded if m.startswith(unused)} == set()
    assert _top(loaded) & {"multiprocessing", "concurrent"} == set()  # it starts no process and no thread pool
    assert "rich" not in _top(loaded)  # written to a pipe, its lines are plain: the consoles are never made


@pytest.mark.slow
def test_lint_builds_only_its_command_and_a_check_results_models(started: Started) -> None:
    loaded, _, models = started["lint"]
    others = {f"traingate.cli.{name}" for name in ("filter", "workflow", "signoff", "cache")}
    assert loaded & (others | {"traingate.results.run", "traingate.results.dataset"}) == set()
    assert "traingate.results.model" in loaded
    assert models <= LINT_MODELS, f"lint defines {models} of traingate's pydantic models, ceiling {LINT_MODELS}"


@pytest.mark.slow
def test_validate_without_a_cache_loads_none_of_the_caches_modules(started: Started) -> None:
    assert {m for m in started["validate"][0] if m.startswith("traingate.engine.cache")} == set()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["lint", "checks", "schema"])
def test_commands_that_read_no_data_execute_no_array_library(started: Started, command: str) -> None:
    assert _top(started[command][0]) & ARRAYS == set()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["help", "lint", "checks", "schema", "validate"])
def test_start_up_stays_within_its_module_count_and_time(started: Started, command: str) -> None:
    loaded, times, _ = started[command]
    own_ms = sum(us for m, us in times.items() if m.split(".")[0] == "traingate") / 1000
    assert len(loaded) <= CEILING[command], f"{command} imports {len(loaded)} modules, ceiling {CEILING[command]}"
    assert own_ms <= OWN_MS[command], f"{command}: traingate's modules took {own_ms:.0f} ms to import"


def test_no_model_field_takes_a_builtin_as_its_default_factory() -> None:
    """pydantic reads each default factory's signature when it builds a model; for a builtin (`dict`, `list`)
    that is a tokenizer pass over its text signature, about 8 ms the first time in every process: factories
    come from traingate.empty instead."""
    import inspect

    from pydantic import BaseModel

    import traingate.results.model  # noqa: F401
    from traingate.contracts.registry import load

    load()  # every check type's options and details models
    seen, builtin = 0, []
    stack: list[type[BaseModel]] = [BaseModel]
    while stack:
        for model in stack.pop().__subclasses__():
            stack.append(model)
            if not model.__module__.startswith("traingate"):
                continue
            for name, field in model.model_fields.items():
                seen += field.default_factory is not None
                factory = field.default_factory
                if inspect.isbuiltin(factory) or (isinstance(factory, type) and factory.__module__ == "builtins"):
                    builtin.append(f"{model.__module__}.{model.__qualname__}.{name}")
    assert seen > 30 and not builtin, builtin


def test_every_result_model_keeps_its_import_path() -> None:
    """results/model.py defines a check's result and names the run's models from results/dataset.py and
    results/run.py on first use: every name it had is still read from it, as the very object of its module."""
    from traingate.results import dataset, model, run

    where = {"SCHEMA_VERSION": model, "Status": model, "Verdict": model, "Model": model, "Sample": model,
             "Location": model, "Threshold": model, "CheckResult": model, "Limit": model, "FileInfo": dataset,
             "Fault": dataset, "CacheInfo": dataset, "SkippedFile": dataset, "DatasetInfo": dataset,
             "Histogram": run, "Distribution": run, "Sketch": run, "SideFile": run, "ContractInfo": run, "Gate": run,
             "RunResult": run, "run_json_schema": run}
    assert set(model.__all__) == set(where)
    for name, home in where.items():
        value = getattr(model, name)
        assert value is getattr(home, name), name
        assert not isinstance(value, type) or value.__module__ == home.__name__, name
    assert run.RunResult.model_fields["checks"].annotation == list[model.CheckResult]
    with pytest.raises(AttributeError):
        model.__getattr__("Nothing")
