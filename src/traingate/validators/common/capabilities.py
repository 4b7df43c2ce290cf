"""What a check can do beyond create, add, merge and finish, declared as base classes it inherits, so the
driver finds them by type (isinstance), never by a method's name: a check that declares a capability and
misspells one of its methods cannot be built (an abstract method is missing), and a check that does not
declare one is never asked.

The convention, for every method here that changes a state: it returns the state to use from then on
(which may be the same object, changed), as add_batch and merge_states do. The driver always keeps the
state it gets back.

- SpillsRows: keeps everything it holds (rows that must all meet, keys grouped for exact counts,
  evidence that must be whole); past --max-memory it writes them to disk (data/spill.py,
  validators/common/partitioned.py) and reads them back at the end; on Ray, takes them back into memory
  before its state leaves a node.
- ShedsRows: its state grows with the rows and may keep a hash-chosen share instead, saying so in its
  result.
- ShufflesBandKeys: its global view is its rows' LSH band keys; on Ray the keys are grouped by key across
  the cluster and only the pairs come back (on one machine the check pairs its own keys).
- MasksExcerpts: what it finds no report may show; the runner has it mask every text of the run.
- LooksAgain (the second look): after the pass it names rows whose records it wants to show, which are
  read again and given to finalize.
- ListsFindings: names every row it finds at fault, not only samples (`validate --evidence`); the driver
  turns it on in every process before the pass (`keeps_findings`), and after finalize reads the findings
  (validators/common/findings.py); past --max-memory the findings it keeps go to disk."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

StateT = TypeVar("StateT")
# Quoted, so importing this module reads nothing of numpy (cli/deferred.py).
BandKeys = tuple["np.ndarray", "np.ndarray", "np.ndarray"]  # (keys rows x columns, row ids, row tags)
PairsOf = Callable[["np.ndarray", "np.ndarray", "np.ndarray", int], "np.ndarray"]


class SpillsRows(ABC, Generic[StateT]):
    spills: ClassVar[str]  # what it writes, for the report's memory actions: "rows' keys", "findings"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None) and not isinstance(getattr(cls, "spills", None), str):
            raise TypeError(f"{cls.__name__} spills rows and must say what, in `spills`")

    @abstractmethod
    def spill(self, state: StateT) -> tuple[StateT, int]:
        """Write what the state holds in memory to disk: (the state, records written; 0 when none)."""

    @abstractmethod
    def take_back(self, state: StateT) -> StateT:
        """Read what was written back into memory."""


class ShedsRows(ABC, Generic[StateT]):
    @abstractmethod
    def shed(self, state: StateT) -> StateT:
        """Keep half of the rows' hash-chosen share."""


class ShufflesBandKeys(ABC, Generic[StateT]):
    @abstractmethod
    def bucket_pairs(self) -> PairsOf:
        """The check's own function from (keys, row ids, row tags, cap) of rows that may share buckets to
        the pairs it links."""

    @abstractmethod
    def pair_caps(self) -> list[int]: ...

    @abstractmethod
    def take_band_keys(self, state: StateT) -> tuple[StateT, BandKeys]:
        """Remove the band keys from the state: (the state, its keys)."""

    @abstractmethod
    def give_pairs(self, state: StateT, pairs: dict[int, np.ndarray]) -> StateT: ...


class MasksExcerpts(ABC):
    @abstractmethod
    def mask_texts(self, texts: list[str]) -> list[str | None]:
        """Each text with its findings replaced by their names, or None when it holds none."""


class LooksAgain(ABC, Generic[StateT]):
    @abstractmethod
    def wanted_rows(self, state: StateT) -> list[int]:
        """Row ids (file index << 40 | line) whose records finalize wants to show."""


class ListsFindings(ABC, Generic[StateT]):
    keeps_findings: bool = False  # set by the driver, before the pass, when the run writes evidence

    @abstractmethod
    def findings(self, state: StateT) -> Iterator[dict[str, Any]]:
        """After finalize: each row found at fault, in row order, one record per reason (file, line, unit,
        reason, and the field and numbers that locate or measure it), never a text of the data."""

    def spill_findings(self, state: StateT) -> tuple[StateT, int]:
        """Write the findings held in memory to disk: (the state, findings written; 0 when none). A check
        whose findings come from what it holds anyway writes none."""
        return state, 0

    def take_back_findings(self, state: StateT) -> StateT:
        """Read the findings written back into memory."""
        return state


CAPABILITIES: dict[str, type] = {"spills rows": SpillsRows, "sheds rows": ShedsRows,
                                 "shuffles band keys": ShufflesBandKeys, "masks excerpts": MasksExcerpts,
                                 "looks again": LooksAgain, "lists findings": ListsFindings}


def capabilities_of(validator: type) -> list[str]:
    return [name for name, capability in CAPABILITIES.items() if issubclass(validator, capability)]
