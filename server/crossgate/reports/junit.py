"""JUnit XML, as GitLab, Jenkins and the GitHub test-report actions read it: one testsuite per
gate decision, one testcase per check (required item, approval, blocking criterion, or a
violation of its own), failed with each violation's message and fix, skipped when waived."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from crossgate.reports.model import Report


def render(report: Report, colour: bool = False, **_: object) -> str:
    checks = report.checks()
    # A check whose violation is an engine error is an error (nothing was decided), not a failure.
    errors = sum(1 for c in checks if any(v.get("code") == "engine_error" for v in c.violations))
    failed = sum(1 for c in checks if c.status == "failed") - errors
    skipped = sum(1 for c in checks if c.status == "skipped")
    counts = {"tests": str(len(checks)), "failures": str(failed), "errors": str(errors),
              "skipped": str(skipped), "time": _seconds(report)}
    root = ET.Element("testsuites", {"name": "crossgate", **counts})
    suite = ET.SubElement(root, "testsuite", {
        "name": f"crossgate {report.gate} gate: {report.subject}", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(report):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    classname = f"crossgate.{report.gate}.{report.system_id}"
    for check in checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{classname}.{check.kind}", "name": check.name, "time": "0"})
        if report.candidate_path:
            case.set("file", report.candidate_path)
        for v in check.violations:
            tag = "error" if v.get("code") == "engine_error" else "failure"
            body = [str(v.get("message") or "")]
            if v.get("remediation"):
                body.append(f"fix: {v['remediation']}")
            if v.get("requirements"):
                body.append(f"requirements: {', '.join(v['requirements'])}")
            element = ET.SubElement(case, tag, {"type": str(v.get("code")),
                                                "message": str(v.get("message") or v.get("code"))})
            element.text = "\n".join(body)
        if check.status == "skipped" and check.waiver is not None:
            w = check.waiver
            ET.SubElement(case, "skipped", {"message": (
                f"waived by an exception approved by {w.get('approved_by')} until "
                f"{w.get('expires_at')}: {w.get('risk_acceptance') or ''}").strip()})
    out = ET.SubElement(suite, "system-out")
    out.text = "\n".join([*(g.summary for g in report.warning_groups()), report.recorded_words()])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _seconds(report: Report) -> str:
    elapsed = report.decision.get("elapsed_ms")
    return f"{float(elapsed) / 1000:.3f}" if isinstance(elapsed, int | float) else "0"


def _properties(report: Report) -> list[tuple[str, str]]:
    decision = report.decision
    out = [("verdict", report.verdict)]
    for key in ("decision_id", "tier", "deployment_strategy"):
        if decision.get(key) is not None:
            out.append((key, str(decision[key])))
    revision = decision.get("revision") or {}
    for key in ("policy", "data"):
        if revision.get(key):
            out.append((f"{key}_revision", str(revision[key])))
    recorded = decision.get("recorded") or {}
    if recorded.get("seq") is not None:
        out.append(("ledger_seq", str(recorded["seq"])))
        out.append(("ledger_hash", str(recorded.get("hash"))))
    return out
