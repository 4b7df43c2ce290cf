"""Plain-language renderings of a contract and of the check types (for lint and checks)."""

from __future__ import annotations

from traingate.cli.consoles import escape
from traingate.contracts.model import CheckConfig, Contract

_COMMON = {"type", "name", "description", "severity", "max_count", "max_rate", "min_share"}


def threshold_words(check: CheckConfig) -> str:
    if check.max_count is not None:
        return f"at most {check.max_count} rows with a finding"
    if check.max_rate is not None:
        return f"at most {check.max_rate:.2%} of rows with a finding"
    if check.min_share is not None:
        return f"at least {check.min_share:.2%} of rows clean"
    if hasattr(check, "min"):
        return f"at least {check.min}"
    return "fails on any finding"


def explain(contract: Contract) -> list[tuple[str, bool]]:
    """The contract in plain words, a line at a time, each with whether it heads a section; no markup (the
    caller escapes what it prints through rich)."""
    ds = contract.dataset
    lines = [(f"{contract.contract} {contract.version}: {contract.description or ''}", True),
             (f"dataset kind {ds.kind}; fields: " + (", ".join(f"{k} -> {v}" for k, v in ds.fields.items()) or "defaults"),
              False),
             (f"tokenizer {ds.tokenizer}; gate fails on {contract.gate.fail_on}, "
              f"{contract.gate.max_bad_records} unreadable record(s) allowed", False)]
    for group, checks in contract.checks.items():
        lines.append((group, True))
        for check in checks:
            options = {k: v for k, v in check.model_dump(exclude_defaults=True).items() if k not in _COMMON}
            opts = ", ".join(f"{k}={v}" for k, v in options.items())
            lines.append((f"  - {check.type} [{check.severity}]: {check.summary}; {threshold_words(check)}"
                          + (f" ({opts})" if opts else ""), False))
    lines.append((f"{len(contract.all_checks())} checks; contract OK", False))
    return lines


def describe_check_types() -> list[str]:
    from traingate.contracts.expectations import SUPPORTED
    from traingate.contracts.registry import PLANNED
    from traingate.validators import validators

    lines = []
    for (group, name), cls in sorted(validators().items()):
        model = cls.config_model
        options = [k for k in model.model_fields if k not in _COMMON]
        lines.append(f"{group}.{name}: {model.summary}" + (f" [options: {', '.join(options)}]" if options else ""))
    lines += [f"{group}.{name}: (not implemented in this version)" for name, group in sorted(PLANNED.items())]
    lines += ["", "Great Expectations expectations a contract can embed (`expectations:` section):"]
    lines += [f"  {name} ({family}, reported under {group})" for name, (family, group, _) in SUPPORTED.items()]
    return [escape(line) for line in lines]
