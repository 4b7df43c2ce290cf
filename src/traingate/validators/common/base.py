"""The validator interface: a mergeable accumulator over Arrow batches (shaped like Beam's CombineFn)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from traingate.contracts.model import KIND_FIELDS, TEXT_FIELDS, CheckConfig, DatasetSpec
from traingate.data.batch import BatchContext
from traingate.results.model import CheckResult, Limit

ConfigT = TypeVar("ConfigT", bound=CheckConfig)
StateT = TypeVar("StateT")


class Bound(NamedTuple):
    """A check's bound on a run distribution (`tokens.response`): on each value of the field (per_value, e.g.
    each turn of a conversation) or on the row's total."""

    distribution: str
    limit: Limit
    per_value: bool


class Validator(ABC, Generic[ConfigT, StateT]):
    """State is plain picklable data; heavy resources live in per-process caches, never in state."""

    config_model: ClassVar[type[CheckConfig]]
    # Modules the check imports on first use; a worker process imports them while the driver plans shards.
    preload: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ConfigT, spec: DatasetSpec, check_id: str, base_dir: str | None = None):
        self.config = config
        self.spec = spec
        self.check_id = check_id
        self.base_dir = base_dir  # the contract's folder: relative paths in options start there

    def columns(self) -> set[str]:
        """Top-level columns this check reads (projection); by default every logical field of the kind."""
        required, optional = KIND_FIELDS[self.spec.kind]
        return {self.spec.column(f).split(".")[0] for f in required + optional}

    def reads(self) -> list[str]:
        """Fields this check reads as text (logical fields or columns). The run errs the check when one is in
        no row of the data, or when its items are records without the content key (engine/presence.py).
        By default: the fields named in its `fields` or `on` option, else the kind's text fields that are
        required or mapped in dataset.fields (without `system` for checks that take `on`, as they compare)."""
        named: list[str] | None = getattr(self.config, "fields", None) or getattr(self.config, "on", None)
        return list(named) if named else default_text_fields(self.spec, system=not hasattr(self.config, "on"))

    def reads_columns(self) -> list[str]:
        """Other fields or columns this check reads as values (a feature, a score, a licence): each must
        be in some row of the data, as `reads`."""
        return []

    def side_files(self) -> list[str]:
        """Files the check reads besides the data (an eval set, reference texts), as paths or globs: the
        run records their sha256, so a sign-off notices when one changed."""
        return []

    def limits(self) -> list[Bound]:
        """Bounds this check puts on a run distribution's values (engine/limits.py draws them on its chart)."""
        return []

    @abstractmethod
    def create_state(self) -> StateT: ...

    @abstractmethod
    def add_batch(self, state: StateT, batch: BatchContext) -> StateT: ...

    @abstractmethod
    def merge_states(self, a: StateT, b: StateT) -> StateT: ...

    @abstractmethod
    def finalize(self, state: StateT, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        """`rows`: for a check that LooksAgain, the rows it asked for, read again after the pass (row id ->
        record)."""

    def result(self, **values: object) -> CheckResult:
        """A CheckResult carrying this check's identity."""
        cfg = self.config
        return CheckResult(id=self.check_id, group=cfg.group, type=cfg.type, severity=cfg.severity,
                           description=cfg.description or cfg.summary, **values)


def default_text_fields(spec: DatasetSpec, system: bool = True) -> list[str]:
    """The kind's text fields a check reads when it names none: the required ones and the ones mapped."""
    required = KIND_FIELDS[spec.kind][0]
    return [f for f in TEXT_FIELDS[spec.kind] if (system or f != "system") and (f in required or f in spec.fields)]
