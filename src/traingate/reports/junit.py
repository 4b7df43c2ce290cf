"""JUnit XML: one testcase per check, so CI systems show the gate like a test suite."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from traingate.reports.files import write_text
from traingate.reports.sanitize import visible
from traingate.results.model import RunResult


def render_junit(result: RunResult) -> str:
    failures = sum(1 for c in result.checks if c.status == "failed")
    errors = sum(1 for c in result.checks if c.status == "errored")
    suite = ET.Element("testsuite", name=f"traingate.{result.contract.name}", tests=str(len(result.checks)),
                       failures=str(failures), errors=str(errors), skipped="0",
                       time=f"{result.timings.get('total', 0.0):.3f}", timestamp=result.started_at)
    props = ET.SubElement(suite, "properties")
    for name, value in (("contract_version", result.contract.version), ("contract_sha256", result.contract.sha256),
                        ("dataset_fingerprint", result.dataset.fingerprint), ("verdict", result.gate.verdict)):
        ET.SubElement(props, "property", name=name, value=value)
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", classname=f"{check.group}.{check.type}", name=check.id,
                             time=f"{result.timings.get(check.id, 0.0):.3f}")
        lines = [check.message] + [f"{s.file}:{s.line} [{s.reason}] {s.excerpt}" for s in check.samples]
        if check.status == "failed":
            tag = "failure" if check.severity == "error" else "skipped" if check.severity == "info" else "failure"
            node = ET.SubElement(case, tag, message=f"[{check.severity}] {check.message}", type=check.severity)
            node.text = "\n".join(lines)
        elif check.status == "errored":
            ET.SubElement(case, "error", message=check.error or "errored", type="errored").text = check.error
        else:
            ET.SubElement(case, "system-out").text = check.message
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
