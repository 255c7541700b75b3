"""The import template: an empty workbook whose sheets and headers crossgate reads as they are.

Sheets: README (what each column means), frameworks, requirements, mappings, gate_profile.
Relation, kind, legal status, rationale type, tier and gate entry cells offer drop-down lists;
strength accepts whole numbers 0-10; date columns are formatted as dates. The column list
below is the single description of the template: the README sheet and docs/import.md are
written from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

import xlsxwriter

from crossgate.sheets import aliases


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    meaning: str
    choices: tuple[str, ...] = ()
    whole_number: tuple[int, int] | None = None
    is_date: bool = False
    required: bool = False


_LIST_HINT = "several values separated by ';', ',' or line breaks"

SHEETS: dict[str, tuple[Column, ...]] = {
    "frameworks": (
        Column("ID", 22, "Framework id, always starting with fw: (fw:eu-ai-act).", required=True),
        Column("Title", 40, "Name of the framework, law or standard.", required=True),
        Column("Jurisdiction", 14, "Where it applies: EU, US-CO, US-NYC, ... (empty for "
               "standards)."),
        Column("Publisher", 24, "Who issues it."),
        Column("Summary", 50, "A short description in your own words."),
    ),
    "requirements": (
        Column("ID", 22, "Short id prefix:local (euaia:art-26-6, ctrl:CHM-002). A new id "
               "adds a requirement; a known id updates it.", required=True),
        Column("Title", 40, "Short title. Needed for a new requirement."),
        Column("Framework", 20, "Framework id (fw:...) or its exact title. For a new "
               "requirement it defaults to fw:<its prefix> when that framework exists."),
        Column("Kind", 14, "obligation, control, policy or evidence. Defaults from the prefix "
               "(ctrl: control, pol: policy, ev: evidence, otherwise obligation).",
               choices=("obligation", "control", "policy", "evidence")),
        Column("Citation", 22, "Where it is written: Art. 26(6), N.Y.C. Admin. Code 20-871."),
        Column("Legal status", 14, "in_force, upcoming, repealed, superseded or proposed.",
               choices=aliases.LEGAL_STATUSES),
        Column("Applies from", 14, "First day it applies (a date, or YYYY-MM-DD).",
               is_date=True),
        Column("Applies to", 14, "Last day it applies, if it ended (a date, or YYYY-MM-DD).",
               is_date=True),
        Column("Replaced by", 22, "Id of the requirement that replaced it."),
        Column("Part of", 22, "Id of the enclosing requirement (the article of a "
               "paragraph)."),
        Column("Jurisdictions", 16, f"Where it applies (EU, US-CO, ...); {_LIST_HINT}."),
        Column("Roles", 18, f"Who it binds (provider, deployer, developer, ...); "
               f"{_LIST_HINT}."),
        Column("Risk classes", 18, f"EU AI Act classes it is limited to (high-risk, ...); "
               f"{_LIST_HINT}."),
        Column("Use cases", 18, f"Use cases it is limited to (employment, ...); {_LIST_HINT}."),
        Column("Tiers", 16, f"Risk tiers it is limited to (LOW, MEDIUM, HIGH, CRITICAL); "
               f"{_LIST_HINT}."),
        Column("Summary", 50, "What it asks, in your own words (never paste the legal text)."),
        Column("Notes", 30, "Your notes. Never imported."),
    ),
    "mappings": (
        Column("Source", 22, "Id of the requirement, control, policy statement or evidence "
               "type the mapping starts from.", required=True),
        Column("Targets", 28, "Id(s) it maps to; several targets separated by ';' or line "
               "breaks give one mapping each.", required=True),
        Column("Relation", 14, "How the source's scope relates to the target's: "
               + ", ".join(aliases.RELATIONS) + " (read 'source is a subset of target').",
               choices=aliases.RELATIONS, required=True),
        Column("Strength", 10, "Optional, 0 to 10: 10 for equal, lower for partial overlaps, "
               "0 for not related.", whole_number=(0, 10)),
        Column("Rationale", 50, "Why the mapping holds. Imported with the mapping."),
        Column("Rationale type", 14, "syntactic, semantic or functional (optional).",
               choices=aliases.RATIONALE_TYPES),
        Column("Notes", 30, "Your notes. Never imported."),
    ),
    "gate_profile": (
        Column("Gate", 14, "Gate name: deployment, vendor, agent, program.", required=True),
        Column("Entry", 16, "What the row sets: item, approval, threshold, blocking finding, "
               "strategy or near miss ratio.", required=True,
               choices=("item", "approval", "threshold", "blocking finding", "strategy",
                        "near miss ratio")),
        Column("Item", 26, "Evidence type id (ev:...) for an item or a threshold."),
        Column("Min tier", 12, "Lowest tier the item or approval applies to.",
               choices=aliases.TIERS),
        Column("Condition", 16, "System flag that must be true for the item "
               "(personal_data, user_facing, ...)."),
        Column("Max age days", 12, "How old the evidence may be, in days.",
               whole_number=(0, 100_000)),
        Column("Control", 20, "Control id (ctrl:...) the item evidences."),
        Column("Metric", 22, "Metric name of a threshold (hallucination_rate)."),
        Column("Max", 10, "Highest allowed value of the metric."),
        Column("Role", 16, "Approver role (ml_lead, product_lead, compliance)."),
        Column("Scope", 14, "Approval scope (technical, business, compliance)."),
        Column("Severity", 12, "Finding severity that blocks (critical)."),
        Column("Status", 12, "Finding status that blocks (open)."),
        Column("Tier", 12, "Tier a strategy applies to.", choices=aliases.TIERS),
        Column("Strategy", 20, "Deployment strategy for that tier (direct, limited, canary, "
               "shadow-then-canary)."),
        Column("Value", 10, "The near miss ratio (0 to 1)."),
        Column("Title", 30, "Title of an item."),
        Column("Remediation", 40, "What to do when the item is missing."),
        Column("Notes", 30, "Your notes. Never imported."),
    ),
}

_README = (
    "How to use this workbook",
    "",
    "Fill the sheets you need and leave the others empty; upload the file to crossgate "
    "(dry run first: it shows every problem with its sheet, row and column, and what would "
    "change). Nothing is written until you commit, and a commit can be reverted.",
    "The header row may move (title rows above it are fine), columns may be reordered, and "
    "headers are matched ignoring case, spaces and a trailing '*' or ':'. Columns crossgate "
    "does not know are reported and left out; 'Notes' columns are never imported.",
    "Ids are short ids prefix:local. A mapping row with several targets makes one mapping per "
    "target. Formulas are not computed: the value Excel saved with the file is read.",
    "Merge (the default) adds and updates; an empty cell keeps what the graph has. Replace "
    "makes this file the whole truth for the frameworks, framework pairs and gates it covers: "
    "what is missing from it is removed, and an empty cell clears the value.",
)


def write_template(target: str | IO[bytes]) -> None:
    """Write the template workbook to a path or a binary stream."""
    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDE5F0", "border": 1,
                                "text_wrap": True, "valign": "top"})
    required = workbook.add_format({"bold": True, "bg_color": "#F6D9A8", "border": 1,
                                    "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    title = workbook.add_format({"bold": True, "font_size": 14})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})

    readme = workbook.add_worksheet("README")
    readme.set_column(0, 0, 18)
    readme.set_column(1, 1, 22)
    readme.set_column(2, 2, 90)
    readme.write(0, 0, "crossgate import template", title)
    row = 2
    for line in _README:
        readme.write(row, 0, line, wrap if line else None)
        row += 1
    row += 1
    readme.write_row(row, 0, ("Sheet", "Column", "What it holds"), bold)
    row += 1
    for sheet_name, columns in SHEETS.items():
        for column in columns:
            header = column.header + (" (required)" if column.required else "")
            readme.write_row(row, 0, (sheet_name, header, column.meaning), wrap)
            row += 1

    for sheet_name, columns in SHEETS.items():
        sheet = workbook.add_worksheet(sheet_name)
        sheet.freeze_panes(1, 0)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width, date if column.is_date else None)
            label = column.header + ("*" if column.required else "")
            sheet.write(0, index, label, required if column.required else bold)
            sheet.write_comment(0, index, column.meaning, {"x_scale": 2, "y_scale": 1.5})
            if column.choices:
                sheet.data_validation(1, index, 10_000, index, {
                    "validate": "list", "source": list(column.choices),
                    "error_type": "warning",
                    "error_message": "Expected one of: " + ", ".join(column.choices)})
            elif column.whole_number:
                low, high = column.whole_number
                sheet.data_validation(1, index, 10_000, index, {
                    "validate": "integer", "criteria": "between", "minimum": low,
                    "maximum": high, "error_message": f"A whole number from {low} to {high}"})
    workbook.close()


def readme_rows() -> list[tuple[str, str, str]]:
    """(sheet, column, meaning) for every template column, e.g. for documentation."""
    return [(sheet, column.header, column.meaning) for sheet, columns in SHEETS.items()
            for column in columns]
