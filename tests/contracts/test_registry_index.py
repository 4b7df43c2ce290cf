"""contracts/builtins.py places every built-in check type in the module that registers it, so a contract
loads only the check modules it names; a table that places a type wrong still finds it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from traingate.contracts import builtins, registry


def test_the_table_places_every_built_in_check_type_where_it_is_registered() -> None:
    registered = {key: e.origin.removeprefix("traingate.validators.") for key, e in registry.entries().items()
                  if e.origin.startswith("traingate.validators.")}
    wrong = {f"{g}.{t}": module for (g, t), module in registered.items() if builtins.WHERE.get((g, t)) != module}
    stale = sorted(f"{g}.{t}" for (g, t) in builtins.WHERE.keys() - registered.keys())
    assert not wrong, f"contracts/builtins.py: place these types in these modules: {wrong}"
    assert not stale, f"contracts/builtins.py names types no module registers: {stale}"


def _loaded_after(code: str) -> set[str]:
    program = f"import sys\n{code}\nprint(' '.join(m for m in sys.modules if m.startswith('traingate.validators.')))"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120)
    return {m for m in out.stdout.split() if m.count(".") == 3 and ".common." not in m}


CONTRACT = ("contract: c\\nversion: 1.0.0\\ndataset: {kind: sft}\\nchecks:\\n  format:\\n    - {type: empty_text}\\n"
            "    - {type: max_chars, limit: 10}\\n")


def test_a_contract_loads_the_check_modules_it_names_and_no_other() -> None:
    parse = f"from traingate.contracts import parse_contract\nc = parse_contract('{CONTRACT}')\n"
    build = "from traingate.validators import build\nfor k in c.all_checks(): build(k, c.dataset, k.type)\n"
    assert _loaded_after(parse + build) == {"traingate.validators.format.hygiene", "traingate.validators.format.hygiene_patterns",
                                            "traingate.validators.format.lengths"}


@pytest.mark.slow
def test_a_type_the_table_places_wrong_is_found_by_loading_every_check() -> None:
    misplace = ("from traingate.contracts import builtins\n"
                "builtins.WHERE[('format', 'empty_text')] = 'quantity.minimums'\n")
    parse = f"from traingate.contracts import parse_contract\nc = parse_contract('{CONTRACT}')\nprint(c.all_checks()[0].type)\n"
    program = f"{misplace}{parse}"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["empty_text"]
    assert "traingate.validators.uniqueness.exact" in _loaded_after(misplace + parse)
