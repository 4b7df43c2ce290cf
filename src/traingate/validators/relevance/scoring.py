"""Relevance by score: embedding similarity to the task (offline model), and a team's own scorer."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from traingate import empty
from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext, TextView
from traingate.data.embeddings import embed
from traingate.errors import ContractError, SourceError, require
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.evalsets import read_text_column
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import check
from traingate.validators.common.text_features import row_text


class SimilarityCheck(CheckConfig):
    summary: ClassVar[str] = "rows whose embedding is far from the task description and reference examples"
    type: Literal["similarity"]
    task: str | None = Field(None, description="A description of the task the data is for.")
    references: str | None = Field(None, description="File of reference examples (any format traingate reads), "
                                                     "relative to the contract.")
    reference_field: str = Field("text", description="Column of `references` holding the example text.")
    min_similarity: float = Field(0.3, ge=-1, le=1, description="Rows whose best cosine is below this are off topic.")
    model: Literal["wordllama"] = Field("wordllama", description="Offline embedding model (pip install 'traingate[semantic]').")

    @model_validator(mode="after")
    def _something(self) -> SimilarityCheck:
        if self.task is None and self.references is None:
            raise ValueError("similarity needs a `task` description or `references`")
        return self


class ScorerCheck(CheckConfig):
    summary: ClassVar[str] = "a team's own scorer ('module:function', rows in, one number per row out), thresholded"
    type: Literal["scorer"]
    function: str = Field(pattern=r"^[\w.]+:\w+$", description="'package.module:function'; called with a list of "
                                                                 "row dicts, returns one number per row.")
    min_score: float | None = Field(None, description="Rows scoring below this are findings.")
    max_score: float | None = Field(None, description="Rows scoring above this are findings.")
    columns: list[str] = Field(default_factory=empty.list_, description="Columns passed besides the kind's fields.")


@lru_cache(maxsize=8)
def reference_vectors(model: str, texts: tuple[str, ...]) -> np.ndarray:
    return embed(list(texts), model)


def read_references(path: str, field: str) -> list[str]:
    texts = [t for _, column, _ in read_text_column(path, field) for t in column.to_pylist() if t and t.strip()]
    if not texts:
        raise SourceError(f"{path}: no text in column {field!r} to compare rows with")
    return texts


@check("similarity", group="relevance", options=SimilarityCheck, details=FlagDetails)
class SimilarityValidator(RowFlagValidator[SimilarityCheck]):
    noun = "off topic"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        require(f"the similarity check {self.check_id!r}", "semantic")

    def side_files(self) -> list[str]:
        path = self.config.references
        return [path if os.path.isabs(path) else os.path.join(self.base_dir or ".", path)] if path else []

    def references(self) -> tuple[str, ...]:
        texts = [self.config.task] if self.config.task else []
        for path in self.side_files():
            texts += read_references(path, self.config.reference_field)
        return tuple(texts)

    def find(self, batch: BatchContext) -> list[Hit]:
        texts = row_text(batch)
        present = np.array([bool(t.strip()) for t in texts])
        best = np.ones(batch.num_rows)
        if present.any():
            rows = embed([t for t, p in zip(texts, present) if p], self.config.model)
            best[present] = (rows @ reference_vectors(self.config.model, self.references()).T).max(axis=1)
        view = TextView("text", pa.array(texts, pa.string()), None)
        return [Hit(f"similarity_below_{self.config.min_similarity:g}", present & (best < self.config.min_similarity), view,
                    values=best.round(4), measure="similarity")]  # 4 digits: a batch's BLAS sums differ past the 7th


@check("scorer", group="relevance", options=ScorerCheck, details=FlagDetails)
class ScorerValidator(RowFlagValidator[ScorerCheck]):
    noun = "scored out of bounds"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.score: Callable[[list[dict[str, Any]]], Any] = load_function(self.config.function)

    def columns(self) -> set[str]:
        return super().columns() | {c.split(".")[0] for c in self.config.columns}

    def reads_columns(self) -> list[str]:
        return list(self.config.columns)

    def find(self, batch: BatchContext) -> list[Hit]:
        scores = np.asarray(self.score(batch.table.to_pylist()), dtype=float)
        if scores.shape != (batch.num_rows,):
            raise ValueError(f"{self.config.function} returned {scores.shape[0] if scores.ndim else 0} scores "
                             f"for {batch.num_rows} rows")
        hits = [Hit("not_a_number", np.isnan(scores))]
        if self.config.min_score is not None:
            hits.append(Hit(f"below_{self.config.min_score:g}", scores < self.config.min_score, values=scores, measure="score"))
        if self.config.max_score is not None:
            hits.append(Hit(f"above_{self.config.max_score:g}", scores > self.config.max_score, values=scores, measure="score"))
        return hits


def load_function(spec: str) -> Callable[[list[dict[str, Any]]], Any]:
    module_name, name = spec.split(":")
    try:
        function = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ContractError(f"scorer {spec!r} cannot be loaded: {exc}",
                            hint="name an importable 'package.module:function'") from exc
    if not callable(function):
        raise ContractError(f"scorer {spec!r} is not a function")
    return function  # type: ignore[no-any-return]
