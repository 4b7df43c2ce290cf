"""Where each built-in check type is registered: the module of `traingate.validators` whose import
registers it, and the types it registers as `group.type`. A contract that names only these types loads only
their modules (and the check types other distributions publish), not every check, so `lint`, `validate` and
`traingate.validate()` start that much sooner. The table is a shortcut, never the truth: a type it places
wrong or leaves out is found by loading every check (registry.load), and tests/contracts/test_registry_index.py
says which line to change."""

from __future__ import annotations

MODULES: dict[str, str] = {
    "alignment.response_format": "alignment.response_format",
    "alignment.responses": "alignment.length_ratio alignment.refusals alignment.truncated",
    "compliance.pii": "compliance.pii",
    "compliance.policy": "compliance.blocklist compliance.secrets",
    "compliance.provenance": "compliance.licence compliance.lineage",
    "consistency.agreement": "consistency.agreement",
    "consistency.conflicts": "consistency.conflicting_labels consistency.preference_consistency",
    "consistency.drift": "consistency.drift",
    "coverage.diversity": "coverage.diversity",
    "coverage.mix": "coverage.distribution",
    "expectations.checks": ("coverage.expectation format.expectation quantity.expectation "
                            "uniqueness.expectation"),
    "format.chat": "format.chat_structure",
    "format.hygiene": ("format.code_fences format.empty_text format.encoding format.placeholders "
                       "format.special_tokens format.whitespace"),
    "format.lengths": "format.max_chars format.max_tokens format.min_chars format.min_tokens",
    "format.pairs": "format.preference_pair format.score_range",
    "format.schema": "format.schema",
    "quantity.minimums": "quantity.min_rows quantity.min_tokens",
    "relevance.keywords": "relevance.keywords relevance.language",
    "relevance.pretraining": "relevance.pretraining_quality",
    "relevance.scoring": "relevance.scorer relevance.similarity",
    "uniqueness.contamination": "uniqueness.contamination",
    "uniqueness.exact": "uniqueness.exact_duplicates",
    "uniqueness.leakage": "uniqueness.split_leakage",
    "uniqueness.near": "uniqueness.near_duplicates",
    "uniqueness.semantic": "uniqueness.semantic_duplicates",
}

WHERE: dict[tuple[str, str], str] = {
    (named.partition(".")[0], named.partition(".")[2]): module for module, types in MODULES.items() for named in types.split()
}
