"""SARIF 2.1.0 for code scanning (GitHub and others): one rule per violation code with its help
text, one result per violation, located in the candidate file at the line naming its item."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from crossgate import __version__
from crossgate.reports.codes import help_for
from crossgate.reports.model import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(report: Report, colour: bool = False, **_: object) -> str:
    codes = sorted({str(v.get("code")) for v in report.violations})
    rules = [_rule(code) for code in codes]
    index = {code: i for i, code in enumerate(codes)}
    uri = report.candidate_path or "candidate.json"
    results = []
    for v in report.violations:
        code = str(v.get("code"))
        item = v.get("item")
        result: dict[str, Any] = {
            "ruleId": code,
            "ruleIndex": index[code],
            "level": "error",
            "message": {"text": _message(v)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": report.line_of(item)},
            }}],
            # Stable across runs of the same release, so code scanning tracks one alert.
            "partialFingerprints": {"crossgateViolation/v1": hashlib.sha256(
                f"{report.gate}\0{report.system_id}\0{code}\0{item}".encode()).hexdigest()},
            "properties": {"item": item, "requirements": list(v.get("requirements") or [])},
        }
        results.append(result)
    run = {
        "tool": {"driver": {"name": "crossgate", "version": __version__, "rules": rules}},
        "automationDetails": {"id": f"crossgate/{report.gate}/{report.system_id}/"},
        "invocations": [{
            # The gate ran; whether it allowed is the results' business, not the invocation's.
            "executionSuccessful": not any(v.get("code") == "engine_error" for v in report.violations),
            "properties": {"verdict": report.verdict, "decision_id": report.decision.get("decision_id"),
                           "recorded": report.decision.get("recorded"),
                           "revision": report.decision.get("revision")},
        }],
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2,
                      ensure_ascii=False) + "\n"


def _rule(code: str) -> dict[str, Any]:
    meaning = help_for(code)
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in code.split("_")),
        "shortDescription": {"text": meaning.name},
        "fullDescription": {"text": meaning.help},
        "help": {"text": meaning.help, "markdown": f"**{meaning.name}.** {meaning.help}"},
        "defaultConfiguration": {"level": "error"},
    }


def _message(v: Any) -> str:
    text = str(v.get("message") or v.get("code"))
    if v.get("remediation"):
        text += f" Fix: {v['remediation']}"
    return text
