"""The reference a `drift` check compares with: a run JSON's sketches, or a dataset folded into the same
sketches through the readers every run uses. A `.json` file that starts with `{` is taken for a run JSON
(a JSON dataset is an array); anything else is data (JSON lines, Parquet, CSV, a folder, ...)."""

from __future__ import annotations

import json
import os
from functools import lru_cache

from traingate.contracts.model import DatasetSpec
from traingate.data.batch import BatchContext
from traingate.data.readers import open_raw, read_source
from traingate.data.sources import resolve
from traingate.data.tokenizers import get_tokenizer
from traingate.results.model import Sketch
from traingate.validators.common.sketch_features import observe
from traingate.validators.common.sketches import AnySketch
from traingate.validators.consistency.drift_metrics import damage

NO_SKETCH_HINT = "re-run the reference with a `drift` check naming {features} (lengths are always sketched)"


def resolve_path(reference: str, base_dir: str | None) -> str:
    if "://" in reference or os.path.isabs(reference):
        return reference
    return os.path.join(base_dir or ".", reference)


def is_run_json(path: str) -> bool:
    if not path.endswith(".json") or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        return handle.read(4096).lstrip()[:1] == b"{"


def check_exists(path: str, given: str) -> None:
    """ValueError when a local reference is missing."""
    if "://" not in path and not any(ch in path for ch in "*?[") and not os.path.exists(path):
        raise ValueError(f"reference {given!r} not found (looked at {os.path.abspath(path)}); a path is relative "
                         "to the contract's folder")


def run_sketches(path: str) -> dict[str, Sketch]:
    """The sketches of a run JSON; ValueError saying what is wrong with the file and how to get a good one."""
    return _run_sketches(path, os.stat(path).st_mtime_ns)


@lru_cache(maxsize=8)
def _run_sketches(path: str, _mtime: int) -> dict[str, Sketch]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f"reference {path!r} is not a run JSON ({exc}); write one with "
                         "`traingate validate --json`") from exc
    if not isinstance(data, dict) or not {"schema_version", "checks", "dataset"} <= data.keys():
        raise ValueError(f"reference {path!r} is not a run JSON (no schema_version, dataset and checks); write one "
                         "with `traingate validate --json`, or give the reference data itself")
    if "sketches" not in data:
        raise ValueError(f"reference {path!r} holds no sketches (run format {data.get('schema_version')}, before "
                         "1.3); validate the reference data again with this version")
    if not (data.get("dataset") or {}).get("rows", 1):
        raise ValueError(f"reference {path!r} is a run that read no rows: there is nothing to compare with; give "
                         "the run JSON of the reference data")
    return dict(_sketch(path, item) for item in data["sketches"])


def _sketch(path: str, item: object) -> tuple[str, Sketch]:
    name = item.get("name") if isinstance(item, dict) else None
    try:
        sketch = Sketch.model_validate(item)
        why = damage(sketch)
    except ValueError:
        why = "not a sketch of this format"
    if why is not None:
        raise ValueError(f"reference {path!r}: its sketch of {name!r} is damaged ({why}); write the run JSON "
                         "again with `traingate validate --json`")
    return sketch.name, sketch


def lacking(sketches: dict[str, Sketch], features: list[str]) -> list[str]:
    return [f for f in features if f not in sketches]


def fold_dataset(path: str, spec: DatasetSpec, features: list[str]) -> dict[str, Sketch]:
    """The reference data read as the run reads data, folded into the sketches of `features`."""
    tokenizer = get_tokenizer(spec.tokenizer)
    sketches: dict[str, AnySketch] = {}
    offset = 0
    for index, source in enumerate(resolve([path], None, None)):
        with open_raw(source) as raw:
            for chunk in read_source(source, None, raw):
                batch = BatchContext(chunk.table, spec, tokenizer, file=source.path, file_index=index,
                                     lines=chunk.lines, unit=chunk.unit, split=source.split, row_offset=offset)
                offset += batch.num_rows
                sketches = observe(sketches, batch, features)
    return {name: sketch.to_model(name) for name, sketch in sketches.items()}
