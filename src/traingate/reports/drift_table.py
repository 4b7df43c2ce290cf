"""The drift table as every view shows it (terminal, markdown, HTML, diff): one row per feature, each measure
with its limit where it passed it. The numbers come from the result (a `drift` check's details) or, for
`diff`, from validators/consistency/drift_compare.py; nothing is computed here but their wording."""

from __future__ import annotations

from typing import Any

from traingate.results.model import CheckResult

HEADER = ("feature", "PSI", "JS", "KS", "Wasserstein / std", "p-value", "drift")


def _figure(row: dict[str, Any], key: str) -> str:
    value = row.get("wasserstein_normalised" if key == "wasserstein" else key)
    if value is None:
        return "–"
    text = f"{value:.3f}"
    limit = row.get("limits", {}).get(key)
    return f"{text} ≥ {limit:g}" if key in row.get("flagged_by", []) and limit is not None else text


def cells(row: dict[str, Any]) -> list[str]:
    """A row of the table, from a feature's row of the details (a dict as the run JSON holds it)."""
    verdict = ("moved: " + ", ".join(row["flagged_by"]) if row.get("flagged")
               else "noted (PSI)" if row.get("warned") else "steady")
    p_value = row.get("ks_p_value", row.get("chi2_p_value"))
    return [row["feature"], *(_figure(row, k) for k in ("psi", "js", "ks", "wasserstein")),
            "–" if p_value is None else f"{p_value:.2g}", verdict]


def drift_checks(checks: list[CheckResult]) -> list[CheckResult]:
    """The checks whose details hold a drift table."""
    return [c for c in checks if c.type == "drift" and isinstance(c.details.get("features"), list)]


def markdown_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    return out + ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells(row)) + " |" for row in rows]


def text_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Aligned plain-text lines (terminal, diff)."""
    table = [list(HEADER), *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in table]
