"""Responses that must be JSON (optionally matching a JSON Schema), Python, or match a pattern, when the
prompt asks for it (`when_prompt_matches`); a fenced block is judged by its body."""

from __future__ import annotations

import ast
import json
import re
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from traingate.contracts.model import CheckConfig
from traingate.contracts.regexes import compile_re2
from traingate.data.batch import BatchContext, TextView
from traingate.validators.alignment.responses import ResponseValidator
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import Hit
from traingate.validators.common.registry import check
from traingate.validators.common.textscan import matches
from traingate.validators.common.turns import prompt_fields, prompts

FENCED = re.compile(r"^\s*```[\w+-]*[ \t]*\n(.*?)\n?```\s*$", re.S)


class ResponseFormatCheck(CheckConfig):
    summary: ClassVar[str] = "responses that must parse as JSON (optionally against a schema), compile as Python, or match"
    type: Literal["response_format"]
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = (("pattern",), ("when_prompt_matches",))
    format: Literal["json", "python", "regex"]
    json_schema: dict[str, object] | None = Field(None, description="JSON Schema the parsed response must satisfy.")
    pattern: str | None = Field(None, description="With format: regex, the pattern the whole response must match.")
    when_prompt_matches: str | None = Field(None, description="Judge only rows whose prompt matches this regex, "
                                                              "e.g. '(?i)\\bjson\\b'.")
    strip_fences: bool = Field(True, description="Read the inside of a response wrapped in one ``` code block.")

    @model_validator(mode="after")
    def _pattern(self) -> ResponseFormatCheck:
        if (self.format == "regex") != (self.pattern is not None):
            raise ValueError("`pattern` goes with format: regex, and only with it")
        return self


@check("response_format", group="alignment", options=ResponseFormatCheck, details=FlagDetails)
class ResponseFormatValidator(ResponseValidator[ResponseFormatCheck]):
    noun = "whose response is not in the required format"

    def reads(self) -> list[str]:
        prompt = prompt_fields(self.spec) if self.config.when_prompt_matches else []
        return list(dict.fromkeys([*super().reads(), *prompt]))

    def find_in(self, batch: BatchContext, view: TextView) -> list[Hit]:
        judged = self._judged_rows(batch)[view.row_of()]
        bad = np.zeros(len(view.values), dtype=bool)
        for k, text in enumerate(view.values.to_pylist()):
            if judged[k]:
                bad[k] = not self._valid(text or "")
        return [Hit(f"not_{self.config.format}", bad, view)]

    def _judged_rows(self, batch: BatchContext) -> np.ndarray:
        pattern = self.config.when_prompt_matches
        asked = prompts(batch)
        if pattern is None or asked is None:
            return np.ones(batch.num_rows, dtype=bool)
        rows = np.zeros(batch.num_rows, dtype=bool)
        rows[asked.row_of()[matches(asked.values, pattern)]] = True
        return rows

    def _valid(self, text: str) -> bool:
        fenced = FENCED.match(text) if self.config.strip_fences else None
        body = fenced.group(1) if fenced else text
        if self.config.format == "regex":
            return compile_re2(self.config.pattern or "", dot_all=True).fullmatch(body) is not None
        if self.config.format == "python":
            try:
                ast.parse(body)
            except (SyntaxError, ValueError):
                return False
            return True
        return _valid_json(body, self.config.json_schema)


def _valid_json(body: str, schema: dict[str, object] | None) -> bool:
    try:
        value = json.loads(body)
    except ValueError:
        return False
    if schema is None:
        return True
    import jsonschema

    return bool(jsonschema.Draft202012Validator(schema).is_valid(value))

