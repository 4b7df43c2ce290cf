"""What split_leakage calls a contract problem (the check errs with a hint): content empty in every train
and test row, fields named in `on` that hold one value in every such row, and a split role none of whose
names occurs while one differing only in case or punctuation does."""

from __future__ import annotations

from traingate.validators.common.contract_problems import PROBLEM, KeySeen, named, near_value


def leakage_problem(key: KeySeen, rows: dict[str, int], fields: list[str], roles: tuple[list[str], list[str]],
                    on: bool) -> str | None:
    """`key`: the exact key of train and test rows; `rows`: rows per split; `roles`: the train and test
    names; `on`: whether the contract names the fields (then one value in every row is a problem too)."""
    problem = key.problem(named("field", fields) + " (in train and test rows)",
                          "set `on:` to the fields holding what a test row must not share with train", constant=on)
    missing = [names for names in roles if not set(names) & set(rows)]
    near = {name: near_value(name, rows) for names in missing for name in names}
    found = [f"split {name!r} never occurs, but {seen!r} does ({rows[seen]:,} rows); did you mean {seen!r}?"
             for name, seen in near.items() if seen]
    return problem or (PROBLEM + "; ".join(found) if found else None)
