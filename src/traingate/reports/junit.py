"""JUnit XML: one testcase per check, so CI systems show the gate like a test suite, in the words of every
other view (reports/figures.py).

- A failed check of severity error or warn is a `<failure>` whose message starts with its status word
  (`failed`, `failed (warn)`) and its value against its threshold (`7.59% > 0.50%`); `type` is the severity.
- A check of severity info never fails: it is a passing testcase whose `<system-out>` starts `noted (info)`
  (a `<skipped>` would say it did not run, and CI systems count skipped tests as tests not run).
- A check that could not run is an `<error>`; a skipped check (`skipped` status) is `<skipped>`.
- The suite's `verdict` property is the verdict's name (PASSED, PASSED WITH WARNINGS, FAILED, ERRORED);
  `gate` is its code (passed, warned, failed, errored)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from traingate.reports.figures import headline, verdict_word
from traingate.reports.files import write_text
from traingate.reports.sanitize import visible
from traingate.results.model import CheckResult, RunResult


def _case(suite: ET.Element, check: CheckResult, seconds: float) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"{check.group}.{check.type}", name=check.id,
                         time=f"{seconds:.3f}")
    lines = [headline(check)] + [f"{s.file}:{s.line} [{s.reason}] {s.excerpt}" for s in check.samples]
    if check.status == "failed" and check.severity != "info":
        ET.SubElement(case, "failure", message=headline(check), type=check.severity).text = "\n".join(lines)
    elif check.status == "errored":
        ET.SubElement(case, "error", message=check.error or "errored", type="errored").text = check.error
    elif check.status == "skipped":
        ET.SubElement(case, "skipped", message=headline(check))
    else:
        ET.SubElement(case, "system-out").text = "\n".join(lines)


def render_junit(result: RunResult) -> str:
    failures = sum(1 for c in result.checks if c.status == "failed" and c.severity != "info")
    errors = sum(1 for c in result.checks if c.status == "errored")
    skipped = sum(1 for c in result.checks if c.status == "skipped")
    suite = ET.Element("testsuite", name=f"traingate.{result.contract.name}", tests=str(len(result.checks)),
                       failures=str(failures), errors=str(errors), skipped=str(skipped),
                       time=f"{result.timings.get('total', 0.0):.3f}", timestamp=result.started_at)
    props = ET.SubElement(suite, "properties")
    for name, value in (("contract_version", result.contract.version), ("contract_sha256", result.contract.sha256),
                        ("dataset_fingerprint", result.dataset.fingerprint), ("verdict", verdict_word(result)),
                        ("gate", result.gate.verdict)):
        ET.SubElement(props, "property", name=name, value=value)
    for check in result.checks:
        _case(suite, check, result.timings.get(check.id, 0.0))
    if result.dataset.bad_records:
        case = ET.SubElement(suite, "testcase", classname="dataset", name="readable_records")
        node = ET.SubElement(case, "failure", message=f"{result.dataset.bad_records} unreadable record(s)")
        node.text = "\n".join(f"{f.file}:{f.line} [{f.kind}] {f.message}" for f in result.dataset.faults)
        suite.set("tests", str(len(result.checks) + 1))
        suite.set("failures", str(failures + 1))
    for node in suite.iter():  # XML 1.0 allows no C0 control but tab, newline and return, no lone surrogate
        node.text = visible(node.text, keep="\t\n\r") if node.text else node.text
        node.attrib = {key: visible(value) for key, value in node.attrib.items()}
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def write_junit(result: RunResult, path: str | Path) -> None:
    write_text(path, render_junit(result))
