"""Conversation structure: known roles, first and last role, alternation, empty turns, JSON tool calls.
Every reason found gets a sample of its own (validators/common/samples.py), naming the turn and its role,
and the unknown role names are counted per conversation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from traingate.contracts.model import CheckConfig
from traingate.data.batch import BatchContext, TextView
from traingate.results.details import Absent
from traingate.results.model import CheckResult
from traingate.validators.common.details import FlagDetails
from traingate.validators.common.flags import FlagState, Hit, RowFlagValidator
from traingate.validators.common.registry import check


class ChatStructureCheck(CheckConfig):
    summary: ClassVar[str] = "known roles, first/last role, alternation, empty turns, tool calls as JSON"
    type: Literal["chat_structure"]
    first_role: str | None = Field("user", description="Canonical role of the first non-system turn.")
    last_role: str | None = Field("assistant", description="Canonical role of the last turn.")
    alternate: bool = Field(True, description="user and assistant turns alternate (system/tool turns aside).")
    allow_empty_turns: bool = False
    json_roles: list[str] | None = Field(
        None, description="Raw roles whose content must be JSON; default: tool roles whose name has 'call'.")

CANONICAL = ("user", "assistant", "system", "tool")
ROLES_SHOWN = 20  # unknown role names listed in the details; the rest are summed


class ChatStructureDetails(FlagDetails):
    """Rows per structural finding (`by_reason`), and the role names the contract does not map."""

    unknown_roles: Absent[dict[str, int]] = Field(None, description="Conversations per unknown role name, the "
                                                  f"{ROLES_SHOWN} most frequent (absent when every role is known).")
    unknown_roles_other: Absent[int] = Field(None, description="Conversations counted for the unknown role names "
                                             f"beyond the first {ROLES_SHOWN} (absent when there are no more).")

ROLE_CHARS = 60


def _unknown_roles(state: FlagState) -> list[tuple[str, int]]:
    """Unknown role names with their conversations, most frequent first."""
    return sorted(state.tally.items(), key=lambda kv: (-kv[1], kv[0]))


def _ends(parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the first and last element of each run of equal parents."""
    if len(parents) == 0:
        return parents, parents
    change = np.flatnonzero(np.diff(parents)) + 1
    return np.concatenate(([0], change)), np.concatenate((change - 1, [len(parents) - 1]))


@check("chat_structure", group="format", options=ChatStructureCheck, details=ChatStructureDetails)
class ChatStructureValidator(RowFlagValidator[ChatStructureCheck]):
    noun = "with a malformed conversation"

    def add_batch(self, state: FlagState, batch: BatchContext) -> FlagState:
        hits = self.find(batch)
        for hit in hits:
            if hit.reason == "unknown_role" and hit.view is not None and hit.view.roles is not None:
                state.tally.update(_unknown_names(hit))
        return self.add_hits(state, batch, hits)

    def finalize(self, state: FlagState, rows: Mapping[int, dict[str, Any]] | None = None) -> CheckResult:
        result = super().finalize(state, rows)
        names = _unknown_roles(state)
        if names:
            shown = ", ".join(f"{name} ({n})" for name, n in names[:5])
            result.message += f"; unknown roles: {shown}" + (", ..." if len(names) > 5 else "")
        return result

    def details(self, state: FlagState) -> ChatStructureDetails:
        names = _unknown_roles(state)
        return ChatStructureDetails(by_reason=super().details(state).by_reason,
                                    unknown_roles=dict(names[:ROLES_SHOWN]) if names else None,
                                    unknown_roles_other=sum(n for _, n in names[ROLES_SHOWN:]) or None)

    def _role_ids(self, view: TextView) -> np.ndarray:
        raw = self.spec.raw_roles()
        names = list(raw)
        ids = np.array([CANONICAL.index(raw[n]) for n in names] + [-1], dtype=np.int64)
        roles = view.roles if view.roles is not None else pa.nulls(len(view.values), pa.string())
        index = pc.index_in(roles.cast(pa.string()), value_set=pa.array(names, pa.string())).fill_null(-1)
        return ids[np.asarray(index, dtype=np.int64)]

    def _json_roles(self) -> set[str]:
        if self.config.json_roles is not None:
            return set(self.config.json_roles)
        return {r for r in self.spec.roles.get("tool", []) if "call" in r}

    def find(self, batch: BatchContext) -> list[Hit]:
        messages = batch.field("messages")
        view = batch.text("messages")
        if messages is None or view is None or view.rows is None:
            return [Hit("not_a_conversation", np.ones(batch.num_rows, dtype=bool))]
        not_list = np.asarray(messages.is_null(), dtype=bool) | (
            np.asarray(pc.list_value_length(messages).fill_null(0)) == 0)
        roles = self._role_ids(view)
        rows = view.rows
        hits = [Hit("not_a_conversation", not_list), Hit("unknown_role", roles == -1, view)]
        if not self.config.allow_empty_turns:
            empty = np.asarray(pc.match_substring_regex(view.values, r"^\s*$").fill_null(True), dtype=bool)
            hits.append(Hit("empty_turn", empty, view))
        hits += self._order_hits(roles, rows, view, batch.num_rows)
        hits.append(self._json_hit(view))
        return hits

    def _order_hits(self, roles: np.ndarray, rows: np.ndarray, view: TextView, n: int) -> list[Hit]:
        hits = []
        cfg = self.config
        system = CANONICAL.index("system")
        keep = np.flatnonzero(roles != system)
        first, last = _ends(rows[keep])
        if cfg.first_role is not None:
            bad = keep[first][roles[keep[first]] != CANONICAL.index(cfg.first_role)]
            hits.append(Hit(f"first_role_not_{cfg.first_role}", _mask(bad, len(roles)), view))
        if cfg.last_role is not None:
            bad = keep[last][roles[keep[last]] != CANONICAL.index(cfg.last_role)]
            hits.append(Hit(f"last_role_not_{cfg.last_role}", _mask(bad, len(roles)), view))
        if cfg.alternate:
            talk = np.flatnonzero(np.isin(roles, [CANONICAL.index("user"), CANONICAL.index("assistant")]))
            same = (rows[talk][1:] == rows[talk][:-1]) & (roles[talk][1:] == roles[talk][:-1])
            hits.append(Hit("not_alternating", _mask(talk[1:][same], len(roles)), view))
        return hits

    def _json_hit(self, view: TextView) -> Hit:
        wanted = self._json_roles()
        bad = np.zeros(len(view.values), dtype=bool)
        if wanted and view.roles is not None:
            is_call = pc.is_in(view.roles.cast(pa.string()), value_set=pa.array(sorted(wanted), pa.string()))
            for i in np.flatnonzero(np.asarray(is_call.fill_null(False), dtype=bool)):
                text = view.values[int(i)].as_py()
                try:
                    orjson.loads(text or "")
                except orjson.JSONDecodeError:
                    bad[i] = True
        return Hit("tool_call_not_json", bad, view)


def _unknown_names(hit: Hit) -> Counter[str]:
    """Conversations per unknown role name (a missing role is `(missing)`), names cut to ROLE_CHARS."""
    assert hit.view is not None and hit.view.rows is not None and hit.view.roles is not None
    mask = np.asarray(hit.mask, dtype=bool)
    names = hit.view.roles.filter(pa.array(mask)).cast(pa.string()).to_pylist()
    pairs = {(int(row), "(missing)" if name is None else name[:ROLE_CHARS]) for row, name in zip(hit.view.rows[mask], names)}
    return Counter(name for _, name in pairs)


def _mask(positions: np.ndarray, size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return mask
