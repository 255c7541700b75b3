"""A gate decision as the reports CI systems show: text for a log, JSON, JUnit XML, SARIF 2.1.0
and GitHub workflow commands with a job summary (docs/ci.md).

Every format reads the decision (the gate contract's output) and the candidate it answered, and
nothing else: `Report` gathers what they share. Each renderer takes the report and a `colour`
flag (only text uses it) and returns the text to write.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from crossgate.reports import github, junit, sarif, text
from crossgate.reports.model import Report


def _json(report: Report, colour: bool = False, **_: object) -> str:
    return json.dumps(report.decision, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": _json,
    "junit": junit.render,
    "sarif": sarif.render,
    "github": github.render,
}

__all__ = ["FORMATS", "Report"]
