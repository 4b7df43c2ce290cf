"""What each check can do beyond create, add, merge and finish is declared by the base classes it
inherits (validators/common/capabilities.py). This lists which check has which, so a declaration that
changes shows here, and runs the checks that declare one on every engine to see each one used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import contract_text, write_jsonl
from tests.validators.test_merge_law import _rows
from traingate.contracts import parse_contract
from traingate.contracts.registry import entries
from traingate.engine import fold
from traingate.engine.runner import RunOptions, validate
from traingate.validators.common.capabilities import SpillsRows, capabilities_of

SPILL_LOOK = {"spills rows", "looks again"}
BANDS = {"spills rows", "shuffles band keys", "looks again"}
DECLARED = {
    ("format", "schema"): {"spills rows"},
    ("uniqueness", "exact_duplicates"): SPILL_LOOK,
    ("uniqueness", "near_duplicates"): BANDS,
    ("uniqueness", "split_leakage"): BANDS,
    ("uniqueness", "semantic_duplicates"): {"sheds rows", "looks again"},
    ("uniqueness", "contamination"): {"looks again"},
    ("compliance", "pii"): {"spills rows", "masks excerpts"},
    ("compliance", "secrets"): {"masks excerpts"},
    ("consistency", "agreement"): {"sheds rows"},
    ("consistency", "conflicting_labels"): SPILL_LOOK,
    ("consistency", "preference_consistency"): SPILL_LOOK,
}
# Every check lists its findings (validate --evidence) but those that judge the dataset as a whole.
NOT_LISTING = {("consistency", "agreement"), ("consistency", "drift"), ("coverage", "distribution"), ("coverage", "diversity"),
               ("quantity", "min_rows"), ("quantity", "min_tokens")}


def test_each_check_declares_the_capabilities_listed_here() -> None:
    declared = {key: set(capabilities_of(entry.validator)) for key, entry in entries().items()}
    assert {key: caps - {"lists findings"} for key, caps in declared.items() if caps - {"lists findings"}} == DECLARED
    assert {key for key, caps in declared.items() if "lists findings" not in caps} == NOT_LISTING


def test_a_capability_with_a_misspelt_method_cannot_be_built() -> None:
    class Careless(SpillsRows[int]):
        spills = "rows"

        def spill(self, state: int) -> tuple[int, int]:
            return state, 0

        def take_bak(self, state: int) -> int:  # the typo
            return state

    with pytest.raises(TypeError, match="take_back"):
        Careless()  # type: ignore[abstract]
    with pytest.raises(TypeError, match="must say what, in `spills`"):
        type("Silent", (SpillsRows,), {"spill": lambda s, x: (x, 0), "take_back": lambda s, x: x})


CHECKS = ("  uniqueness:\n    - type: near_duplicates\n      threshold: 0.5\n      size: 2\n"
          "    - type: split_leakage\n      threshold: 0.5\n    - type: exact_duplicates\n"
          "  compliance:\n    - type: pii\n      recognizers: patterns\n    - type: secrets\n"
          "  format:\n    - type: schema\n      columns: {id: {unique: true}}\n"
          "  consistency:\n    - type: conflicting_labels\n")
SHEDS = "  consistency:\n    - type: agreement\n      min_alpha: 0.5\n"
ENGINES = {"one process": RunOptions(workers=1, max_memory_mib=100),
           "workers": RunOptions(workers=2, max_memory_mib=1),
           "ray": RunOptions(workers=2, engine="ray", max_memory_mib=1)}


def _run(tmp_path: Path, kind: str, checks: str, rows: list[dict[str, Any]], options: RunOptions) -> Any:
    contract = parse_contract(contract_text(kind, checks), str(tmp_path / f"{kind}.yaml"))
    write_jsonl(tmp_path / f"{kind}.jsonl", rows)
    write_jsonl(tmp_path / f"{kind}-test.jsonl", rows[:50])
    return validate(contract, [f"train={tmp_path / f'{kind}.jsonl'}", f"test={tmp_path / f'{kind}-test.jsonl'}"],
                    options=options)


@pytest.mark.parametrize("engine", [
    "one process", pytest.param("workers", marks=pytest.mark.slow), pytest.param("ray", marks=pytest.mark.slow)])
def test_each_declared_capability_is_used_on_every_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          engine: str) -> None:
    if engine == "ray":
        pytest.importorskip("ray")
    if engine == "one process":
        monkeypatch.setattr(fold, "rss_mib", lambda: 500.0)  # over the 100 MiB limit from the first chunk
    rows = _rows("sft", 400)
    rows[7]["response"] = rows[3]["response"] = "write to ann.lee@acme.com for the key"
    result = _run(tmp_path, "sft", CHECKS, rows, ENGINES[engine])
    actions = " ".join(result.dataset.memory_actions)
    by_type = {c.type: c for c in result.checks}
    for type_name in ("near_duplicates", "split_leakage", "exact_duplicates", "pii", "schema", "conflicting_labels"):
        assert f"{by_type[type_name].id}: wrote" in actions, (type_name, actions)  # spills rows
    for type_name in ("near_duplicates", "split_leakage", "exact_duplicates", "conflicting_labels"):
        assert any(s.excerpt for s in by_type[type_name].samples), type_name  # looks again: rows read back
    assert by_type["pii"].details["masked_excerpts"] > 0  # masks excerpts (the duplicates' e-mail)
    assert "ann.lee@acme.com" not in result.model_dump_json()
    assert by_type["near_duplicates"].findings > 0 and by_type["split_leakage"].findings > 0  # band keys paired
    sampled = _run(tmp_path, "pretraining", SHEDS, _rows("pretraining", 300), ENGINES[engine])
    assert "kept half of its rows' share" in " ".join(sampled.dataset.memory_actions)  # sheds rows
