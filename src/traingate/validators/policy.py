"""Policy checks over text: secrets (the pattern detectors of detect-secrets) and blocklists.
Secrets never reach a report: a sample shows the text around a secret with the secret replaced."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from traingate.contracts.compliance import BlocklistCheck, SecretsCheck
from traingate.engine.batch import BatchContext
from traingate.errors import ContractError
from traingate.results.model import Sample
from traingate.validators.flags import Hit, RowFlagValidator
from traingate.validators.hygiene import any_term, pattern_hits
from traingate.validators.registry import register_validator
from traingate.validators.samples import EXCERPT_CHARS

NOT_SECRETS = {"Public IP (ipv4)"}  # personal data, not a credential: the pii check's IP_ADDRESS


@lru_cache(maxsize=1)
def detect_secrets_patterns() -> dict[str, list[re.Pattern[str]]]:
    """Detector name -> its regexes, from detect-secrets' pattern-based plugins (entropy and keyword
    plugins flag ordinary prose, so they are not used)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    plugins: dict[str, Any] = get_mapping_from_secret_type_to_class()
    return {name: list(cls().denylist) for name, cls in plugins.items()
            if issubclass(cls, RegexBasedDetector) and name not in NOT_SECRETS}


@register_validator
class SecretsValidator(RowFlagValidator[SecretsCheck]):
    config_model = SecretsCheck
    noun = "holding a secret"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        known = detect_secrets_patterns()
        unknown = sorted(set(self.config.detectors or []) - set(known))
        if unknown:
            raise ContractError(f"unknown secrets detector {unknown[0]!r}", hint=f"choose from: {', '.join(sorted(known))}")
        names = self.config.detectors or sorted(known)
        self.patterns = {name: known[name] for name in names}
        self.patterns.update({name: [re.compile(regex)] for name, regex in self.config.extra_patterns.items()})
        self.any = re.compile("|".join(f"(?:{_scoped(p)})" for ps in self.patterns.values() for p in ps))

    def find(self, batch: BatchContext) -> list[Hit]:
        hits = []
        for view in batch.views(self.config.fields):
            texts = view.values.to_pylist()
            candidates = [k for k, t in enumerate(texts) if t and self.any.search(t)]
            for name, regexes in self.patterns.items():
                mask = np.zeros(len(texts), dtype=bool)
                for k in candidates:
                    mask[k] = any(r.search(texts[k]) for r in regexes)
                if mask.any():
                    hits.append(Hit(name, mask, view))
        return hits

    def mask_texts(self, texts: list[str]) -> list[str | None]:
        out: list[str | None] = []
        for text in texts:
            masked = text
            if self.any.search(text):
                for name, regexes in self.patterns.items():
                    for regex in regexes:
                        masked = regex.sub(f"<{name}>", masked)
            out.append(masked if masked != text else None)
        return out

    def _sample(self, batch: BatchContext, hit: Hit, row: int) -> dict[str, object]:
        assert hit.view is not None
        index = int(np.flatnonzero(hit.mask & (hit.view.row_of() == row))[0])
        text = hit.view.values[index].as_py()
        match = next(m for r in self.patterns[hit.reason] if (m := r.search(text)))
        marker = f"<{hit.reason}>"
        start = max(0, match.start() - EXCERPT_CHARS // 3)
        excerpt = text[start: match.start()] + marker + text[match.end(): match.end() + EXCERPT_CHARS // 2]
        at = match.start() - start
        return Sample(file=batch.file, line=int(batch.lines[row]), unit=batch.unit, field=hit.view.field,
                      reason=hit.reason, excerpt=excerpt, span=(at, at + len(marker))).model_dump()


def _scoped(pattern: re.Pattern[str]) -> str:
    """A regex with its own flags written inline, so it can join an alternation of others."""
    flags = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)) if pattern.flags & bit)
    return f"(?{flags}:{pattern.pattern})" if flags else pattern.pattern


@register_validator
class BlocklistValidator(RowFlagValidator[BlocklistCheck]):
    config_model = BlocklistCheck
    noun = "with a blocked term"

    def find(self, batch: BatchContext) -> list[Hit]:
        terms = [(term, any_term([term])) for term in self.config.terms]
        return pattern_hits(batch, self.config.fields, terms + [(p, p) for p in self.config.patterns])
