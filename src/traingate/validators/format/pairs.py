"""Preference pairs (chosen vs rejected) and reward scores."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import Hit, RowFlagValidator
from traingate.validators.common.registry import check


class PreferencePairCheck(CheckConfig):
    summary: ClassVar[str] = "chosen differs from rejected, and both answer the same prompt"
    type: Literal["preference_pair"]
    shared_prefix_until: str | None = Field(
        None, description="For transcripts: text before the last occurrence of this marker must match.")


class ScoreRangeCheck(CheckConfig):
    summary: ClassVar[str] = "reward scores numeric, finite and within [min, max]"
    type: Literal["score_range"]
    field: str = "score"
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ScoreRangeCheck:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self

NUMBER = r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$|^\s*[-+]?(?:inf|nan)\s*$"


def _bool(array: pa.Array, null_as: bool = False) -> np.ndarray:
    return np.asarray(array.fill_null(null_as), dtype=bool)


@check("preference_pair", group="format", options=PreferencePairCheck, details=FlagDetails)
class PreferencePairValidator(RowFlagValidator[PreferencePairCheck]):
    noun = "with a broken preference pair"

    def find(self, batch: BatchContext) -> list[Hit]:
        chosen, rejected = batch.field("chosen"), batch.field("rejected")
        view = batch.text("chosen")
        if chosen is None or rejected is None or view is None:
            return [Hit("missing_pair", np.ones(batch.num_rows, dtype=bool))]
        if pa.types.is_list(chosen.type) and pa.types.is_list(rejected.type):
            return self._message_lists(chosen, rejected)
        c_text, r_text = view.values, batch.text("rejected").values  # type: ignore[union-attr]
        hits = [Hit("missing_side", _bool(pc.or_(c_text.is_null(), r_text.is_null())), view),
                Hit("identical", _bool(pc.equal(c_text, r_text)), view)]
        marker = self.config.shared_prefix_until
        if marker:
            pattern = r"(?s)^(?P<prefix>.*)" + re.escape(marker)
            c_pre = pc.struct_field(pc.extract_regex(c_text, pattern), "prefix")
            r_pre = pc.struct_field(pc.extract_regex(r_text, pattern), "prefix")
            no_marker = pc.or_(pc.and_(c_text.is_valid(), c_pre.is_null()), pc.and_(r_text.is_valid(), r_pre.is_null()))
            hits.append(Hit("no_prompt_marker", _bool(no_marker), view))
            hits.append(Hit("different_prompt", _bool(pc.not_equal(c_pre, r_pre)), view))
        return hits

    @staticmethod
    def _message_lists(chosen: pa.Array, rejected: pa.Array) -> list[Hit]:
        same = np.zeros(len(chosen), dtype=bool)
        prompt_differs = np.zeros(len(chosen), dtype=bool)
        for i, (c, r) in enumerate(zip(chosen.to_pylist(), rejected.to_pylist())):
            same[i] = c == r
            prompt_differs[i] = bool(c) and bool(r) and c[:-1] != r[:-1]
        return [Hit("identical", same), Hit("different_prompt", prompt_differs)]


@check("score_range", group="format", options=ScoreRangeCheck, details=FlagDetails)
class ScoreRangeValidator(RowFlagValidator[ScoreRangeCheck]):
    noun = "with an invalid score"

    def columns(self) -> set[str]:
        return {self.spec.column(self.config.field).split(".")[0]}

    def reads(self) -> list[str]:
        return []

    def reads_columns(self) -> list[str]:
        return [self.spec.column(self.config.field)]

    def find(self, batch: BatchContext) -> list[Hit]:
        raw = batch.field(self.config.field)
        if raw is None:
            return [Hit("missing", np.ones(batch.num_rows, dtype=bool), note=f"no column for {self.config.field}")]
        missing = _bool(raw.is_null())
        if pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type):
            missing |= _bool(pc.equal(pc.utf8_trim_whitespace(raw), ""))
            numeric = _bool(pc.match_substring_regex(raw, NUMBER, ignore_case=True))
            values = pc.cast(pc.if_else(pa.array(numeric), pc.utf8_trim_whitespace(raw), "0"), pa.float64())
        elif pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
            numeric, values = ~missing, pc.cast(raw, pa.float64())
        else:
            numeric, values = np.zeros(len(raw), dtype=bool), pa.nulls(len(raw), pa.float64())
        v = np.asarray(values.fill_null(0.0), dtype=np.float64)
        valid = numeric & ~missing
        hits = [Hit("missing", missing, note="no score"),
                Hit("not_numeric", ~numeric & ~missing, note=f"{self.config.field} is not a number"),
                Hit("not_finite", valid & ~np.isfinite(v), note="score is NaN or infinite")]
        with np.errstate(invalid="ignore"):
            if self.config.min is not None:
                hits.append(Hit("below_min", valid & (v < self.config.min), note=f"score below {self.config.min}",
                                values=v, measure="score"))
            if self.config.max is not None:
                hits.append(Hit("above_max", valid & (v > self.config.max), note=f"score above {self.config.max}",
                                values=v, measure="score"))
        return hits
