"""The details of a check result as typed models. `CheckResult.details` stays a JSON dictionary (the run
JSON, masking after the run and older runs read back all work on it); each check type registers the model
its details follow (`@check(..., details=...)`), builds its details through that model and stores the dump.
`traingate.contracts.registry.details_model(result)` parses a result's details back into that model.

A key a check writes only sometimes is a field declared `Absent[...]`: None in the model, left out of the
dump, so the run JSON keeps the keys it always had."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class _AbsentMarker:
    """Metadata of a field left out of a dump while it is None."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _AbsentMarker()
Absent = Annotated[T | None, ABSENT]  # a key written only when there is something to say


class Dumped(BaseModel):
    """A model whose dump is what the run JSON holds: Python values (a lone surrogate from the data kept
    as it is, for the run's JSON writer to deal with), without the `Absent` fields that are None."""

    model_config = ConfigDict(defer_build=True)  # built on first use: `lint` parses no result
    _absent: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._absent = frozenset(name for name, info in cls.model_fields.items() if ABSENT in info.metadata)

    def dump(self) -> dict[str, Any]:
        """The model as a details dictionary. Only this model's own `Absent` fields are left out; a model
        holding parts with `Absent` fields of their own overrides this (see PiiDetails)."""
        left_out = {name for name in self._absent if getattr(self, name) is None}
        return self.model_dump(exclude=left_out or None)


class Details(Dumped):
    """The details of a check whose type registered no model of its own, and of an errored or skipped
    check (whatever it held when it stopped): any keys, untyped. The base of every details model."""

    model_config = ConfigDict(extra="allow")


class CheckDetails(Details):
    """The base of a check type's own details model: every key declared, with a description; a key the
    model does not declare is refused."""

    model_config = ConfigDict(extra="forbid")


class Part(Dumped):
    """A part of a details model (a cluster, an eval set, an annotator): every key declared and described."""

    model_config = ConfigDict(extra="forbid")
