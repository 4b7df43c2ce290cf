"""`traingate init`: profile a dataset with every cheap check at severity info, then write a starter
contract whose thresholds come from what was observed, each with a comment saying why."""

from __future__ import annotations

import math

import pyarrow as pa

from traingate.contracts import parse_contract
from traingate.data.readers import open_raw, read_source
from traingate.data.sources import resolve
from traingate.engine.runner import validate
from traingate.errors import ContractError
from traingate.results.model import CheckResult, RunResult

# Column names that usually hold each logical field, most likely first.
CANDIDATES: dict[str, list[str]] = {
    "text": ["text", "content", "document"], "prompt": ["prompt", "instruction", "question", "query"],
    "response": ["response", "output", "answer", "completion"], "context": ["input", "context"],
    "messages": ["messages", "conversations", "conversation"], "chosen": ["chosen"], "rejected": ["rejected"],
    "score": ["score", "rating", "reward", "preference"], "system": ["system"],
}
KIND_PROFILE: dict[str, list[str]] = {
    "pretraining": ["text"], "sft": ["prompt", "response", "context", "system"],
    "preference": ["chosen", "rejected", "prompt"], "reward": ["prompt", "response", "score"], "chat": ["messages"],
}
HYGIENE = ["empty_text", "whitespace", "encoding", "special_tokens", "code_fences", "placeholders"]
KIND_CHECKS = {"chat": ["chat_structure"], "preference": ["preference_pair"], "reward": ["score_range"]}
# Options a profiled check ran with, which the starter contract keeps so its thresholds still hold.
KEEP = {"pii": "recognizers: patterns  # regexes and checksums; 'ner' also finds names (pip install 'traingate[pii]')"}


def schema_of(data: list[str]) -> pa.Schema:
    """The schema of the first readable chunk of the data."""
    for source in resolve(data, None, None):
        with open_raw(source) as raw:
            for chunk in read_source(source, None, raw):
                if chunk.table.num_columns:
                    return chunk.table.schema
    return pa.schema([])


def guess_kind(schema: pa.Schema) -> str | None:
    """The dataset kind its columns suggest: message lists are chat, chosen and rejected a preference
    set, a prompt and response beside a numeric score a reward set, a prompt and response SFT, a text
    column pretraining; None when the columns say none of these."""
    def has(logical: str) -> bool:
        return any(c in schema.names for c in CANDIDATES[logical])

    def numeric_score() -> bool:
        column = next((c for c in CANDIDATES["score"] if c in schema.names), None)
        return column is not None and (pa.types.is_integer(schema.field(column).type)
                                       or pa.types.is_floating(schema.field(column).type))

    if has("messages"):
        return "chat"
    if has("chosen") and has("rejected"):
        return "preference"
    if has("prompt") and has("response"):
        return "reward" if numeric_score() else "sft"
    return "pretraining" if has("text") else None


def guess_fields(kind: str, schema: pa.Schema) -> dict[str, str]:
    """Logical field -> column, from common column names; for message lists, the role key too."""
    mapping = {}
    for logical in KIND_PROFILE[kind]:
        found = next((c for c in CANDIDATES[logical] if c in schema.names), None)
        if found is not None and found != logical:
            mapping[logical] = found
    turns = schema.field(mapping.get("messages", "messages")).type if kind == "chat" and schema.names else None
    if turns is not None and pa.types.is_list(turns) and pa.types.is_struct(turns.value_type):
        keys = [turns.value_type.field(i).name for i in range(turns.value_type.num_fields)]
        if "role" not in keys and "from" in keys:
            mapping["role"] = "from"
    return mapping


def profile(data: list[str], kind: str, fields: dict[str, str]) -> RunResult:
    checks = [*HYGIENE, *KIND_CHECKS.get(kind, [])]
    body = "".join(f"    - {{type: {t}, severity: info}}\n" for t in checks)
    text = (f"contract: profile\nversion: 0.0.0\ndataset:\n  kind: {kind}\n  fields: {fields or {}}\n"
            f"checks:\n  format:\n{body}  uniqueness:\n    - {{type: exact_duplicates, severity: info}}\n"
            "  compliance:\n    - {type: pii, recognizers: patterns, severity: info}\n")
    return validate(parse_contract(text, "<profile>"), data)


def _rate_line(check: CheckResult) -> tuple[str, str]:
    """A threshold that today's data meets, and the observation it comes from."""
    if not check.findings:
        return "max_count: 0", "none observed"
    rate = check.findings / max(check.rows, 1)
    allowed = min(1.0, math.ceil(rate * 1.5 * 1000) / 1000)
    why = f"observed {check.findings:,} of {check.rows:,} rows ({rate:.2%}); 50% headroom, rounded up"
    if rate >= 0.5:
        why += "; most rows: check the field mapping, or whether this check fits this data"
    return f"max_rate: {allowed:g}", why


def starter_contract(name: str, kind: str, fields: dict[str, str], run: RunResult) -> str:
    lines = [f"# Written by `traingate init` from {run.dataset.rows:,} rows (fingerprint {run.dataset.fingerprint[:16]}).",
             "# Thresholds hold for the data as profiled; tighten them to what the data must be.",
             f"contract: {name}", "version: 0.1.0", "dataset:", f"  kind: {kind}"]
    if fields:
        lines += ["  fields:"] + [f"    {k}: {v}" for k, v in fields.items()]
    lines += ["checks:"]
    by_group: dict[str, list[str]] = {}
    for check in run.checks:
        threshold, why = _rate_line(check)
        kept = f"\n      {KEEP[check.type]}" if check.type in KEEP else ""
        by_group.setdefault(check.group, []).append(f"    - type: {check.type}{kept}\n      {threshold}  # {why}")
    by_group["format"].append(_max_tokens(run))
    for group, entries in by_group.items():
        lines.append(f"  {group}:")
        lines += entries
    minimum = math.floor(run.dataset.rows * 0.9)
    lines += ["  quantity:", f"    - type: min_rows\n      min: {minimum}  # observed {run.dataset.rows:,} rows; 10% below"]
    return "\n".join(lines) + "\n"


def _max_tokens(run: RunResult) -> str:
    totals = [d for d in run.distributions if d.name.startswith("tokens.")]
    longest = max((d.max or 0 for d in totals), default=0)
    p99 = max((d.quantiles.get("p99", 0) for d in totals), default=0)
    limit = int(max(64, 2 ** math.ceil(math.log2(max(longest, 1)))))
    return (f"    - type: max_tokens\n      limit: {limit}\n      per: field\n      max_count: 0"
            f"  # longest field observed: {longest:,.0f} tokens (p99 {p99:,.0f}); the next power of two")


def init(data: list[str], kind: str | None, name: str, fields: dict[str, str] | None = None
         ) -> tuple[str, str, RunResult]:
    """The starter contract, the kind it was written for (guessed from the columns when not given) and
    the profiling run."""
    schema = schema_of(data) if kind is None or fields is None else pa.schema([])
    kind = kind or guess_kind(schema)
    if kind is None:
        raise ContractError(f"the columns ({', '.join(schema.names) or 'none'}) do not say which kind of data this is",
                            hint="pass --kind pretraining, sft, preference, reward or chat, and --field logical=column")
    mapping = fields if fields is not None else guess_fields(kind, schema)
    run = profile(data, kind, mapping)
    return starter_contract(name, kind, mapping, run), kind, run

