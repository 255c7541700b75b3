"""Planning an import: read the file, check it, and compute what would change in the graph.

`plan_import` is the one entry point. It needs no store: the graph's current state comes in
as plain data (model.KnownState). The plan it returns lists every error and warning located
on its cell, the diff (added / changed / removed, each with before and after), and renders
the RDF a commit writes. A plan with errors must not be committed.

Modes: "merge" (default) adds and changes; an empty cell keeps the value the graph has.
"replace" makes the file the whole truth for what it covers: the frameworks whose
requirements it lists, the (source framework, target framework) pairs its mappings join (or a
CISO Assistant mapping set declares), and the gate profiles it names. What the graph has there
and the file does not is removed (with the mappings of removed requirements), and an empty
cell clears the value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from crossgate.graph.vocab import GRAPH_BASE
from crossgate.sheets import ciso_assistant, oscal_catalog, rdf, reader
from crossgate.sheets.limits import Limits
from crossgate.sheets.model import (
    FIELDS,
    KIND_ORDER,
    LIST_FIELDS,
    Entry,
    KnownState,
    ParsedFile,
    mapping_id,
)
from crossgate.sheets.validate import (
    ERROR,
    WARNING,
    Issue,
    at,
    error,
    known_gate_ids,
    run_checks,
    sort_issues,
    warning,
)
from crossgate.sheets.workbook import ReadOptions, parse_sheets

MODES = ("merge", "replace")
_SUMMARY_LINES = 40


@dataclass
class ImportPlan:
    """The outcome of planning one file. Commit it only when `ok`."""

    file_name: str
    sha256: str
    mode: str
    who: str
    created: dt.datetime
    import_id: str
    format: str
    issues: list[Issue]
    diff: dict[str, list[dict[str, Any]]]
    rows_read: int = 0
    entry_counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def empty(self) -> bool:
        return not any(self.diff.values())

    @property
    def graph(self) -> str:
        """The named graph this import writes."""
        return GRAPH_BASE + "import/" + self.import_id

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows_read, **self.entry_counts,
                "added": len(self.diff["added"]), "changed": len(self.diff["changed"]),
                "removed": len(self.diff["removed"]), "errors": len(self.errors),
                "warnings": len(self.warnings)}

    def to_json(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "mode": self.mode,
            "format": self.format,
            "ok": self.ok,
            "errors": [issue.to_dict() for issue in self.errors],
            "warnings": [issue.to_dict() for issue in self.warnings],
            "diff": {name: [_jsonable(item) for item in items]
                     for name, items in self.diff.items()},
            "counts": self.counts(),
            "file": {"name": self.file_name, "sha256": self.sha256},
        }

    def provenance(self) -> rdf.Provenance:
        return rdf.Provenance(self.import_id, self.who, self.created, self.file_name,
                              self.sha256)

    def changes(self) -> Iterator[dict[str, Any]]:
        yield from self.diff["added"]
        yield from self.diff["changed"]
        yield from self.diff["removed"]

    def ntriples_lines(self) -> Iterator[str]:
        """The import graph's triples as N-Triples lines (no trailing newline)."""
        yield from rdf.ntriples(self.changes(), self.provenance())

    def to_ntriples(self) -> str:
        return "\n".join(self.ntriples_lines()) + "\n"

    def deletions(self) -> list[rdf.Pattern]:
        """(subject, predicate | None, object | None) patterns to delete from every graph."""
        return rdf.deletions(self.changes())

    def to_sparql_update(self) -> str:
        """Deletions and the insert of the import graph as one SPARQL Update."""
        if not self.ok:
            raise ValueError("this import has errors and cannot be committed")
        return rdf.sparql_update(self.graph, self.deletions(), self.ntriples_lines())

    def summary_text(self) -> str:
        return _summary(self)


def plan_import(data: bytes, filename: str, known: KnownState, mode: str = "merge",
                who: str = "unknown", now: dt.datetime | None = None, *,
                limits: Limits | None = None, options: ReadOptions | None = None,
                prefix: str | None = None, prefix_map: dict[str, str] | None = None,
                ) -> ImportPlan:
    """Read, check and diff one uploaded file against the graph's known state.

    data/filename: the upload (xlsx, csv, or OSCAL catalog JSON; told apart by name and
    content). mode: "merge" or "replace". who/now: provenance (now defaults to the current
    UTC time). limits: upload limits (LimitExceeded is raised, before parsing, when one is
    exceeded). options: prefixes for bare ids in mapping sheets (STRM, OLIR). prefix: the id
    prefix for an OSCAL catalog's controls (default: derived from its title). prefix_map:
    CISO Assistant framework prefix (derived from its node base URN) -> crossgate prefix, to
    land a library on ids the graph already has.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    limits = limits or Limits()
    options = options or ReadOptions()
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    sha256 = hashlib.sha256(data).hexdigest()
    parsed = parse_file(data, filename, known, limits, options, prefix, prefix_map)
    run_checks(parsed, known)
    diff = compute_diff(parsed, known, mode)
    entry_counts = {f"{kind}s": sum(1 for e in parsed.entries if e.kind == kind)
                    for kind in KIND_ORDER}
    entry_counts["gate_entries"] = entry_counts.pop("gates")
    import_id = f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{sha256[:12]}"
    return ImportPlan(filename, sha256, mode, who, now, import_id, parsed.format,
                      sort_issues(parsed.issues), diff, parsed.rows_read, entry_counts)


def parse_file(data: bytes, filename: str, known: KnownState, limits: Limits,
               options: ReadOptions, prefix: str | None = None,
               prefix_map: dict[str, str] | None = None) -> ParsedFile:
    """The file's entries and value-level issues (no cross-row checks yet)."""
    if oscal_catalog.looks_like_json(filename, data):
        return oscal_catalog.parse(data, filename, known, limits, prefix)
    if reader.is_csv(filename, data):
        sheet, notes = reader.read_csv(data, filename, limits)
        parsed = ParsedFile("csv")
        parsed.issues.extend(warning(filename, None, None, None, note) for note in notes)
        parse_sheets([sheet], known, options, parsed)
        return parsed
    sheets = reader.read_xlsx(data, limits)
    if ciso_assistant.is_library(sheets):
        return ciso_assistant.parse(sheets, known, prefix_map or {})
    parsed = ParsedFile("crossgate")
    parse_sheets(sheets, known, options, parsed)
    if not parsed.entries and not any(i.severity == ERROR for i in parsed.issues):
        parsed.issues.append(error(None, None, None, None,
                                   "nothing to import: no sheet holds mappings, requirements, "
                                   "frameworks or gate profile entries"))
    return parsed


# ---------------------------------------------------------------------------------------------
# Diff


def normalise(kind: str, fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """Fields in canonical form: known names only, no None, lists as sorted tuples."""
    if fields is None:
        return None
    result = {}
    for name in FIELDS[kind]:
        value = fields.get(name)
        if value is None or value == () or value == []:
            continue
        if name in LIST_FIELDS:
            value = tuple(sorted(set(value))) if isinstance(value, list | tuple | set) else (
                value,)
        result[name] = value
    return result


def _merged(kind: str, before: dict[str, Any] | None, stated: dict[str, Any],
            mode: str) -> dict[str, Any]:
    after = dict(before or {})
    for name, value in stated.items():
        if value is None:
            if mode == "replace":
                after.pop(name, None)
        else:
            after[name] = value
    return normalise(kind, after) or {}


def _item(kind: str, short_id: str, before: dict[str, Any] | None,
          after: dict[str, Any] | None, entry: Entry | None) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": kind, "id": short_id, "before": before, "after": after}
    if entry is not None:
        item["origin"] = {"sheet": entry.sheet, "row": entry.row}
    return item


def compute_diff(parsed: ParsedFile, known: KnownState, mode: str) -> dict[str, list[dict]]:
    """{"added", "changed", "removed"}: items {"kind", "id", "before", "after", "origin"}."""
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    valid = [entry for entry in parsed.entries if entry.valid]

    def record(kind: str, short_id: str, before: dict | None, entry: Entry) -> None:
        after = _merged(kind, before, entry.fields, mode)
        if before is None:
            added.append(_item(kind, short_id, None, after, entry))
        elif after != before:
            changed.append(_item(kind, short_id, before, after, entry))

    for entry in valid:
        if entry.kind == "framework":
            record("framework", entry.id, normalise("framework", known.frameworks.get(
                entry.id)), entry)
        elif entry.kind == "requirement":
            record("requirement", entry.id, normalise("requirement", known.requirements.get(
                entry.id)), entry)
    gate_ids = known_gate_ids(known)
    for entry in valid:
        if entry.kind == "mapping":
            key = (entry.fields["source"], entry.fields["target"])
            existing = known.mappings.get(key)
            short_id = (existing or {}).get("id") or entry.id
            record("mapping", short_id, normalise("mapping", _with_ends(existing, key)), entry)
        elif entry.kind == "gate":
            short_id = gate_ids.get(entry.id, entry.id)
            record("gate", short_id, normalise("gate", known.gate.get(short_id)), entry)

    if mode == "replace":
        removed.extend(_removals(parsed, known, gate_ids))
        _check_replace(parsed, removed)
    order = {kind: index for index, kind in enumerate(KIND_ORDER)}
    def position(item: dict[str, Any]) -> tuple[Any, ...]:
        origin = item.get("origin") or {}
        return (order[item["kind"]], origin.get("sheet") or "", origin.get("row") or 0,
                item["id"])
    for items in (added, changed, removed):
        items.sort(key=position)
    return {"added": added, "changed": changed, "removed": removed}


def _with_ends(fields: dict[str, Any] | None, key: tuple[str, str]) -> dict[str, Any] | None:
    if fields is None:
        return None
    return {**fields, "source": key[0], "target": key[1]}


def framework_of(short_id: str, parsed_requirements: dict[str, Entry],
                 known: KnownState) -> str:
    entry = parsed_requirements.get(short_id)
    if entry is not None and entry.fields.get("framework"):
        return entry.fields["framework"]
    fields = known.requirements.get(short_id)
    if fields and fields.get("framework"):
        return fields["framework"]
    return "fw:" + short_id.split(":", 1)[0]


def _removals(parsed: ParsedFile, known: KnownState,
              known_gate_ids: dict[str, str]) -> list[dict[str, Any]]:
    removed: list[dict[str, Any]] = []
    requirements = {e.id: e for e in parsed.entries if e.kind == "requirement"}
    # requirements of the frameworks the file lists in full
    covered = {framework_of(short_id, requirements, known) for short_id in requirements}
    covered |= parsed.declared_frameworks
    gone: set[str] = set()
    for short_id, fields in known.requirements.items():
        if short_id not in requirements and fields.get("framework") in covered:
            gone.add(short_id)
            removed.append(_item("requirement", short_id, normalise("requirement", fields),
                                 None, None))
    # mappings between the framework pairs the file covers, and mappings of gone requirements
    mappings = {(e.fields["source"], e.fields["target"]) for e in parsed.entries
                if e.kind == "mapping"}
    pairs = {(framework_of(s, requirements, known), framework_of(t, requirements, known))
             for s, t in mappings} | parsed.declared_pairs
    for key, fields in known.mappings.items():
        if key in mappings:
            continue
        source, target = key
        pair = (framework_of(source, requirements, known),
                framework_of(target, requirements, known))
        if pair in pairs or source in gone or target in gone:
            removed.append(_item("mapping", fields.get("id") or mapping_id(source, target),
                                 normalise("mapping", _with_ends(fields, key)), None, None))
    # parts of the gate profiles the file names
    gates = {e.fields["gate"] for e in parsed.entries if e.kind == "gate"}
    present = {known_gate_ids.get(e.id, e.id) for e in parsed.entries if e.kind == "gate"}
    for short_id, fields in known.gate.items():
        if fields.get("gate") in gates and short_id not in present and fields.get(
                "entry") != "profile":
            removed.append(_item("gate", short_id, normalise("gate", fields), None, None))
    return removed


def _check_replace(parsed: ParsedFile, removed: list[dict[str, Any]]) -> None:
    """A mapping of this file must not point at a requirement this replace removes."""
    gone = {item["id"] for item in removed if item["kind"] == "requirement"}
    if not gone:
        return
    for entry in parsed.entries:
        if entry.kind != "mapping":
            continue
        for name in ("source", "target"):
            if entry.fields[name] in gone:
                parsed.issues.append(at(entry, name, f"{entry.fields[name]} is removed by "
                                        "this replace (its framework is listed without it), "
                                        "yet this row maps it"))


# ---------------------------------------------------------------------------------------------
# Rendering


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    return value


def _describe(item: dict[str, Any]) -> str:
    fields = item["after"] or item["before"] or {}
    if item["kind"] == "mapping":
        source, target, relation = (fields.get(name) for name in ("source", "target",
                                                                   "relation"))
        text = f"mapping {source} -> {target} ({relation}"
        if fields.get("strength") is not None:
            text += f", strength {fields['strength']}"
        return text + ")"
    title = fields.get("title")
    return f"{item['kind']} {item['id']}" + (f" {title!r}" if title else "")


def _changes(item: dict[str, Any]) -> str:
    before, after = item["before"] or {}, item["after"] or {}
    parts = []
    for name in FIELDS[item["kind"]]:
        if before.get(name) != after.get(name):
            parts.append(f"{name}: {_short(before.get(name))} -> {_short(after.get(name))}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, tuple | list):
        value = ", ".join(map(str, value))
    text = str(value)
    return json.dumps(text[:60] + "..." if len(text) > 60 else text, ensure_ascii=False)


def _summary(plan: ImportPlan) -> str:
    counts = plan.counts()
    lines = [f"Import of {plan.file_name} (sha256 {plan.sha256[:12]}), {plan.format} format, "
             f"mode {plan.mode}",
             f"Read {counts['rows']} rows: {counts['mappings']} mappings, "
             f"{counts['requirements']} requirements, {counts['frameworks']} frameworks, "
             f"{counts['gate_entries']} gate profile entries."]
    for title, issues in (("error", plan.errors), ("warning", plan.warnings)):
        if not issues:
            continue
        lines.append("")
        label = f"{len(issues)} {title}{'s' if len(issues) != 1 else ''}"
        if title == "error":
            label += ": nothing can be committed until they are fixed"
        lines.append(label)
        for issue in issues[:_SUMMARY_LINES]:
            value = f" [{issue.value}]" if issue.value not in (None, "") else ""
            lines.append(f"  {issue.location()}{value}: {issue.message}")
        if len(issues) > _SUMMARY_LINES:
            lines.append(f"  ... and {len(issues) - _SUMMARY_LINES} more")
    lines.append("")
    if plan.empty:
        lines.append("No change can be computed from the rows without errors." if plan.errors
                     else "No change: the graph already says what this file says.")
        return "\n".join(lines)
    scope = " (rows without errors only)" if plan.errors else ""
    lines.append(f"Changes{scope}: {counts['added']} added, {counts['changed']} changed, "
                 f"{counts['removed']} removed")
    for sign, name in (("+", "added"), ("~", "changed"), ("-", "removed")):
        items = plan.diff[name]
        for item in items[:_SUMMARY_LINES]:
            line = f"  {sign} {_describe(item)}"
            if name == "changed":
                line += f": {_changes(item)}"
            lines.append(line)
        if len(items) > _SUMMARY_LINES:
            lines.append(f"  {sign} ... and {len(items) - _SUMMARY_LINES} more {name}")
    return "\n".join(lines)
