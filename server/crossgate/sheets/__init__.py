"""Spreadsheet import and export.

Import (plan.py, commit.py and the modules they use): `plan_import` reads an uploaded xlsx,
csv or OSCAL catalog, checks it and computes the diff against the graph's current state (pure,
no store); `commit.commit_plan` writes a plan as one revision; `template.write_template`
writes the documented template workbook. Export: the export_*.py modules.

Names are imported on first use so that importing one export module does not load the
import side.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ImportPlan": "crossgate.sheets.plan",
    "plan_import": "crossgate.sheets.plan",
    "KnownState": "crossgate.sheets.model",
    "Issue": "crossgate.sheets.validate",
    "LimitExceeded": "crossgate.sheets.limits",
    "Limits": "crossgate.sheets.limits",
    "ReadOptions": "crossgate.sheets.workbook",
    "write_template": "crossgate.sheets.template",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crossgate.sheets' has no attribute {name!r}")
    return getattr(import_module(module), name)
