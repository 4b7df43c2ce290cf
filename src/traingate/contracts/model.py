"""The contract language as pydantic models. Declaration only: nothing here reads data."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from traingate import empty

Severity = Literal["error", "warn", "info"]
Kind = Literal["pretraining", "sft", "preference", "reward", "chat"]
GROUPS: tuple[str, ...] = (
    "format", "relevance", "alignment", "consistency", "uniqueness", "compliance", "coverage", "quantity",
)
SEMVER = r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"

# Logical fields each kind knows; the first tuple is required, the second optional.
KIND_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pretraining": (("text",), ("id", "source")),
    "sft": (("prompt", "response"), ("context", "system", "id", "source")),
    "preference": (("chosen", "rejected"), ("prompt", "context", "system", "role", "content", "id", "source")),
    "reward": (("prompt", "response", "score"), ("context", "system", "id", "source")),
    "chat": (("messages",), ("role", "content", "system", "tools", "id", "source")),
}
# Fields whose values are text that hygiene and length checks read, per kind.
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "pretraining": ("text",),
    "sft": ("system", "context", "prompt", "response"),
    "preference": ("system", "context", "prompt", "chosen", "rejected"),
    "reward": ("system", "context", "prompt", "response"),
    "chat": ("system", "messages"),
}
DEFAULT_ROLES: dict[str, list[str]] = {
    "user": ["user", "human"],
    "assistant": ["assistant", "gpt", "bot"],
    "system": ["system"],
    "tool": ["tool", "function_call", "observation", "function"],
}


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetSpec(StrictModel):
    """What the data is: its kind, where each logical field lives, and how to count tokens."""

    kind: Kind = Field(description="Training phase the data is for; fixes the logical fields.")
    fields: dict[str, str] = Field(default_factory=empty.dict_,
                                   description="Logical field -> column (dots for nested paths).")
    roles: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_ROLES),
                                        description="Canonical role -> raw role values in the data.")
    tokenizer: str = Field("whitespace", description="whitespace, cl100k_base (needs traingate[tokens]).")
    splits: dict[str, list[str]] | None = Field(
        None, description="Split name -> data paths relative to the contract; used when no DATA is given.")
    exclude: list[str] = Field(default_factory=empty.list_, description="Glob patterns of files not to read (matched "
                               "against the file name and its path); the run lists them as skipped.")
    optional_fields: list[str] = Field(default_factory=empty.list_, description="Logical fields or columns that may be in "
                                       "no row of the data; a check that reads a field no row holds errs otherwise.")

    @model_validator(mode="after")
    def _known_fields(self) -> DatasetSpec:
        required, optional = KIND_FIELDS[self.kind]
        unknown = sorted(set(self.fields) - set(required) - set(optional))
        if unknown:
            allowed = ", ".join(required + optional)
            raise ValueError(f"kind '{self.kind}' has no logical field {unknown[0]!r}; it knows: {allowed}")
        unknown_roles = sorted(set(self.roles) - set(DEFAULT_ROLES))
        if unknown_roles:
            raise ValueError(f"unknown canonical role {unknown_roles[0]!r}; use user, assistant, system, tool")
        return self

    def column(self, logical: str) -> str:
        """The column path of a logical field (the logical name itself when not mapped)."""
        return self.fields.get(logical, logical)

    def raw_roles(self) -> dict[str, str]:
        """Raw role value -> canonical role."""
        return {raw: canonical for canonical, raws in self.roles.items() for raw in raws}


class GateSpec(StrictModel):
    fail_on: Literal["error", "warn"] = Field("error", description="Lowest severity that fails the gate.")
    max_bad_records: int = Field(0, ge=0, description="Unreadable records tolerated before the gate fails.")


class SampleSpec(StrictModel):
    """A seeded random sample of rows: the `rows` rows with the smallest seeded hash of their identity,
    so any split of the data, on any number of workers, picks the same rows."""

    rows: int = Field(ge=1, description="Rows in the sample.")
    seed: int = 0


class CheckConfig(StrictModel):
    """Options every check shares. A check type subclasses this with its own options."""

    group: ClassVar[str]  # set by the one registration, `@check(type, group=..., options=...)`; no default
    summary: ClassVar[str] = ""
    # Options holding a regex, as paths of keys ("*" for every key or list item): each is compiled by RE2 when
    # the contract loads and refused at its file:line:col when RE2 cannot take it.
    regex_options: ClassVar[tuple[tuple[str, ...], ...]] = ()
    type: str
    name: str | None = Field(None, description="Identifier shown in reports; defaults to group.type.")
    description: str | None = None
    severity: Severity = Field("error", description="error fails the gate, warn warns, info only reports.")
    max_count: int | None = Field(None, ge=0, description="Most rows with a finding allowed.")
    max_rate: float | None = Field(None, ge=0, le=1, description="Largest share of rows with a finding allowed.")
    min_share: float | None = Field(None, ge=0, le=1, description="Smallest share of rows without a finding.")

    @model_validator(mode="after")
    def _one_threshold(self) -> CheckConfig:
        given = [k for k in ("max_count", "max_rate", "min_share") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"a check takes at most one threshold, got {' and '.join(given)}")
        return self


class TextCheck(CheckConfig):
    """A check over the kind's text fields (or the ones named in `fields`)."""

    fields: list[str] | None = Field(None, description="Logical text fields to read; default all of the kind's.")


class ContractHeader(StrictModel):
    contract: str = Field(min_length=1, description="The contract's name.")
    version: str = Field(pattern=SEMVER, description="Semantic version of the contract, e.g. 1.0.0.")
    description: str | None = None
    owner: str | None = None
    dataset: DatasetSpec
    gate: GateSpec = Field(default_factory=GateSpec)


class Contract(ContractHeader):
    checks: dict[str, list[CheckConfig]] = Field(default_factory=empty.dict_)
    source_path: str | None = Field(None, exclude=True)
    sha256: str = Field("", exclude=True)

    def all_checks(self) -> list[CheckConfig]:
        return [check for group in GROUPS for check in self.checks.get(group, [])]
