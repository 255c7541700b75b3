"""Issues (errors and warnings, each located on a cell) and the checks across rows.

Value checks (a relation spelled wrongly, a strength of 7.5, a date that is not one) happen
while a row is read (workbook.py, ciso_assistant.py); the checks here need every entry of the
file and the graph's known state: unknown ids, duplicates, self-mappings, what a new
requirement must have. Any error makes the import uncommittable; warnings do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crossgate.sheets.model import (
    KIND_BY_PREFIX,
    Entry,
    KnownState,
    ParsedFile,
    gate_entry_id,
)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    """Something wrong with a file, located as Excel shows it.

    row is the Excel row number (1-based), column a letter; both None for a sheet-level or
    file-level issue (then `sheet` may also be None).
    """

    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, Any]:
        # `path` is the error shape's locator (DESIGN.md "Errors"): sheet!cell where there is one.
        return {"path": self.location(), "sheet": self.sheet, "row": self.row,
                "column": self.column, "value": self.value, "message": self.message}

    def location(self) -> str:
        where = self.sheet or "file"
        if self.row is not None and self.column is not None:
            where += f"!{self.column}{self.row}"
        elif self.row is not None:
            where += f" row {self.row}"
        elif self.column is not None:
            where += f" column {self.column}"
        return where


def error(sheet: str | None, row: int | None, column: str | None, value: Any,
          message: str) -> Issue:
    return Issue(sheet, row, column, _shown(value), message, ERROR)


def warning(sheet: str | None, row: int | None, column: str | None, value: Any,
            message: str) -> Issue:
    return Issue(sheet, row, column, _shown(value), message, WARNING)


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple | list):
        return "; ".join(str(v) for v in value)
    return str(value)


def at(entry: Entry, field_name: str, message: str, value: Any = None,
       severity: str = ERROR) -> Issue:
    """An issue on the cell an entry's field came from."""
    shown = entry.fields.get(field_name) if value is None else value
    return Issue(entry.sheet, entry.row, entry.column(field_name), _shown(shown), message,
                 severity)


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    def key(issue: Issue) -> tuple[Any, ...]:
        return (issue.severity != ERROR, issue.sheet or "", issue.row or 0,
                len(issue.column or ""), issue.column or "", issue.message)
    return sorted(issues, key=key)


# ---------------------------------------------------------------------------------------------
# Checks across entries


def run_checks(parsed: ParsedFile, known: KnownState) -> None:
    """All cross-row checks; appends to parsed.issues and marks bad entries invalid."""
    defined = {entry.id for entry in parsed.entries if entry.kind in ("framework",
                                                                      "requirement")}
    check_frameworks(parsed)
    check_requirements(parsed, known, defined)
    check_mappings(parsed, known, defined)
    check_gate(parsed, known, defined)


def _exists(short_id: str, known: KnownState, defined: set[str]) -> bool:
    return short_id in defined or known.has(short_id)


def _unknown(short_id: str, known: KnownState, what: str) -> str:
    hint = known.lower_index().get(short_id.lower())
    message = f"unknown {what} {short_id!r}: it is neither in the graph nor defined in this file"
    if hint and hint != short_id:
        message += f" (did you mean {hint!r}? ids are case-sensitive)"
    return message


def _duplicates(entries: list[Entry], what: str, issues: list[Issue],
                identity_field: str) -> None:
    """Second and later entries with one id: identical -> warning, different -> error."""
    first: dict[str, Entry] = {}
    for entry in entries:
        seen = first.get(entry.id)
        if seen is None:
            first[entry.id] = entry
            continue
        entry.valid = False
        where = f"{seen.sheet} row {seen.row}" if seen.row else seen.sheet
        if _comparable(seen.fields) == _comparable(entry.fields):
            issues.append(at(entry, identity_field, f"duplicate {what}: the same as {where}; "
                             "this row is ignored", severity=WARNING))
        else:
            differing = sorted(name for name in set(seen.fields) | set(entry.fields)
                               if seen.fields.get(name) != entry.fields.get(name))
            issues.append(at(entry, identity_field, f"conflicting duplicate {what}: {where} "
                             f"gives a different {', '.join(differing)}"))
            seen.valid = False


def _comparable(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def check_frameworks(parsed: ParsedFile) -> None:
    frameworks = parsed.of_kind("framework")
    _duplicates(frameworks, "framework", parsed.issues, "id")
    for entry in frameworks:
        if not entry.id.startswith("fw:"):
            entry.valid = False
            parsed.issues.append(at(entry, "id", "a framework id starts with 'fw:' "
                                    "(e.g. fw:eu-ai-act)", value=entry.id))


def check_requirements(parsed: ParsedFile, known: KnownState, defined: set[str]) -> None:
    requirements = parsed.of_kind("requirement")
    issues = parsed.issues
    _duplicates(requirements, "requirement", issues, "id")
    frameworks_here = {e.id for e in parsed.of_kind("framework")}
    for entry in requirements:
        if not entry.valid:
            continue
        fields = entry.fields
        existing = known.requirements.get(entry.id)
        prefix = entry.id.split(":", 1)[0]
        if existing is None:
            if not fields.get("title"):
                entry.valid = False
                issues.append(at(entry, "title", f"new requirement {entry.id} needs a title"))
            if not fields.get("framework"):
                guess = f"fw:{prefix}"
                if guess in frameworks_here or guess in known.frameworks:
                    fields["framework"] = guess
                else:
                    entry.valid = False
                    issues.append(at(entry, "framework", f"new requirement {entry.id} needs "
                                     "a framework (a framework id such as fw:eu-ai-act)"))
            if not fields.get("kind"):
                fields["kind"] = KIND_BY_PREFIX.get(prefix, "obligation")
            if fields["kind"] == "obligation":
                for name, example in (("legal_status", "in_force, upcoming, ..."),
                                      ("citation", "Art. 26(6)")):
                    if not fields.get(name):
                        entry.valid = False
                        issues.append(at(entry, name, f"new legal obligation {entry.id} needs "
                                         f"a {name.replace('_', ' ')} ({example})"))
        framework = fields.get("framework")
        if framework and not (framework in frameworks_here or framework in known.frameworks):
            entry.valid = False
            issues.append(at(entry, "framework", _unknown(framework, known, "framework")))
        for name in ("part_of", "replaced_by"):
            target = fields.get(name)
            if target and not _exists(target, known, defined):
                entry.valid = False
                issues.append(at(entry, name, _unknown(target, known, "requirement")))
            if target and target == entry.id:
                entry.valid = False
                issues.append(at(entry, name, f"{entry.id} cannot refer to itself"))
        start, end = fields.get("applies_from"), fields.get("applies_to")
        if start and end and end < start:
            entry.valid = False
            issues.append(at(entry, "applies_to", f"applies to {end} is before applies from "
                             f"{start}"))
        if fields.get("legal_status") == "superseded" and not (
                fields.get("replaced_by") or (existing or {}).get("replaced_by")):
            issues.append(at(entry, "legal_status", "superseded, but 'replaced by' is not "
                             "given", severity=WARNING))


def check_mappings(parsed: ParsedFile, known: KnownState, defined: set[str]) -> None:
    mappings = parsed.of_kind("mapping")
    issues = parsed.issues
    for entry in mappings:
        source, target = entry.fields["source"], entry.fields["target"]
        if source == target:
            entry.valid = False
            issues.append(at(entry, "target", f"{source} is mapped to itself"))
            continue
        for name, value in (("source", source), ("target", target)):
            if value.startswith(("fw:", "map:", "gate:")):
                entry.valid = False
                issues.append(at(entry, name, f"{value} is not a requirement, control, policy "
                                 "statement or evidence type: a mapping joins those"))
            elif not _exists(value, known, defined):
                entry.valid = False
                issues.append(at(entry, name, _unknown(value, known, "id")))
    _duplicates([entry for entry in mappings if entry.valid], "mapping of "
                "the same source and target", issues, "target")


_NEW_GATE_NEEDS = {"item": ("title",), "approval": ("scope",)}


def check_gate(parsed: ParsedFile, known: KnownState, defined: set[str]) -> None:
    entries = parsed.of_kind("gate")
    _duplicates(entries, "gate profile entry", parsed.issues, "entry")
    existing = known_gate_ids(known)
    for entry in entries:
        if entry.id not in existing:
            for name in _NEW_GATE_NEEDS.get(entry.fields["entry"], ()):
                if not entry.fields.get(name):
                    entry.valid = False
                    parsed.issues.append(at(entry, name, f"a new gate {entry.fields['entry']} "
                                            f"needs a {name}"))
        for name in ("item", "control"):
            value = entry.fields.get(name)
            if value and not _exists(value, known, defined):
                # An evidence type a gate asks for need not be described anywhere else yet.
                severity = WARNING if name == "item" else "error"
                if severity == ERROR:
                    entry.valid = False
                parsed.issues.append(at(entry, name, _unknown(value, known, "id"),
                                        severity=severity))


def known_gate_ids(known: KnownState) -> dict[str, str]:
    """Id an entry of this file would get -> id of the same gate part in the graph."""
    ids = {}
    for short_id, fields in known.gate.items():
        try:
            ids[gate_entry_id(fields)] = short_id
        except (KeyError, TypeError):
            continue
    return ids
