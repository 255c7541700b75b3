"""Workbooks in crossgate's own layout, and any sheet or CSV whose headers the aliases know.

A sheet is read as `mappings`, `requirements`, `frameworks` or `gate_profile` by its name when
the name says so, otherwise by whichever kind its header row matches best. This is also how
STRM/OLIR mapping sheets and legal teams' own workbooks are read: their headers are aliases.
Each data row becomes entries (one per target for a mapping row) or located issues.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crossgate.sheets import aliases, values
from crossgate.sheets.export_model import SAFE_PREFIX, unneutralise
from crossgate.sheets.model import Entry, KnownState, ParsedFile, gate_entry_id, mapping_id
from crossgate.sheets.reader import (
    HeaderProblem,
    RawSheet,
    Table,
    fill_merged_data,
    find_table,
    is_note_row,
    letter,
)
from crossgate.sheets.validate import Issue, error, warning

ALL_KINDS = ("mappings", "requirements", "frameworks", "gate_profile")
READ_ORDER = ("frameworks", "requirements", "mappings", "gate_profile")


@dataclass(frozen=True)
class ReadOptions:
    """How to read ids that are not written as short ids.

    source_prefix / target_prefix: a mapping's bare source or target ("GOVERN 1.1") gets this
    prefix; id_prefix does the same for a requirements sheet's ids.
    """

    source_prefix: str | None = None
    target_prefix: str | None = None
    id_prefix: str | None = None
    always_prefix: bool = False  # ids are local ids even when they hold a colon


def parse_sheets(sheets: list[RawSheet], known: KnownState, options: ReadOptions,
                 parsed: ParsedFile) -> None:
    """Read every sheet that holds one of the known tables into `parsed`.

    Frameworks are read first, then requirements, mappings and gate entries, so that a
    requirement may name a framework by a title defined in the same file.
    """
    tables: list[Table] = []
    for sheet in sheets:
        if aliases.is_skipped_sheet(sheet.name):
            continue
        hint = aliases.sheet_kind_from_name(sheet.name)
        found = find_table(sheet, (hint,) if hint else ALL_KINDS)
        if found is None:
            if hint:
                parsed.issues.append(error(sheet.name, None, None, None,
                                           f"no header row found in the first rows of sheet "
                                           f"{sheet.name!r}; expected columns such as "
                                           f"{_expected(hint)}"))
            elif any(any(not values.is_blank(v) for v in row) for row in sheet.rows):
                parsed.issues.append(warning(sheet.name, None, None, None,
                                             "sheet not read: no header row of a known "
                                             "table (mappings, requirements, frameworks, "
                                             "gate_profile) was found"))
            continue
        if isinstance(found, HeaderProblem):
            if hint or len(sheets) == 1:
                for missing in found.missing:
                    parsed.issues.append(error(
                        sheet.name, (found.header_row or 0) + 1, None, None,
                        f"required column {missing!r} is missing; accepted headers: "
                        f"{', '.join(aliases.SHEET_HEADERS[found.kind][missing])}"))
            else:
                parsed.issues.append(warning(sheet.name, None, None, None,
                                             f"sheet not read: it looks like {found.kind} "
                                             f"but lacks {', '.join(found.missing)}"))
            continue
        tables.append(found)
    for table in sorted(tables, key=lambda t: READ_ORDER.index(t.kind)):
        read_table(table, known, options, parsed)


def _rows(numbers: list[int]) -> str:
    """"3 rows (5, 6, 9)" / "1 row (5)", at most 20 numbers shown."""
    shown = ", ".join(map(str, numbers[:20])) + (", ..." if len(numbers) > 20 else "")
    return f"{len(numbers)} row{'s' if len(numbers) > 1 else ''} ({shown})"


def _expected(kind: str) -> str:
    return ", ".join(repr(aliases.SHEET_HEADERS[kind][name][0])
                     for name in aliases.REQUIRED_FIELDS[kind])


def read_table(table: Table, known: KnownState, options: ReadOptions,
               parsed: ParsedFile) -> None:
    fill_merged_data(table)
    for col, header in table.unused_columns:
        parsed.issues.append(warning(table.name, table.header_row + 1, letter(col), header,
                                     "column not used: its header is not one crossgate "
                                     "knows (see the template's README sheet)"))
    for col, header, field_name in table.shadowed_columns:
        parsed.issues.append(warning(table.name, table.header_row + 1, letter(col), header,
                                     f"column not used: {table.letter(field_name)} already "
                                     f"gives the {field_name.replace('_', ' ')}"))
    reader = _ROW_READERS[table.kind]
    unmapped: list[int] = []
    derived: list[int] = []
    for index, row in table.data_rows():
        if is_note_row(table, row):
            continue
        parsed.rows_read += 1
        context = _Row(table, index, row, parsed.issues)
        if context.cell_problems():
            continue
        reader(context, known, options, parsed)
        if context.unmapped:
            unmapped.append(context.number)
        if context.derived:
            derived.append(context.number)
    if derived:
        parsed.issues.append(warning(
            table.name, derived[0], table.letter("derived"), "yes",
            f"skipped {_rows(derived)} marked derived: crossgate derives these mappings from "
            "chains of mappings (see the path column); change the mappings on the path "
            "instead"))
    if unmapped:
        shown = ", ".join(map(str, unmapped[:20])) + (", ..." if len(unmapped) > 20 else "")
        parsed.issues.append(warning(
            table.name, unmapped[0], table.letter("targets"), None,
            f"{len(unmapped)} row{'s' if len(unmapped) > 1 else ''} with a source but no "
            f"target and no relation skipped (not mapped yet?): row{'s' if len(unmapped) > 1 else ''} "
            f"{shown}"))


class _Row:
    """One data row being read: typed access to its fields, issues located on its cells."""

    def __init__(self, table: Table, index: int, row: list[Any], issues: list[Issue]) -> None:
        self.table, self.index, self.row, self.issues = table, index, row, issues
        self.number = index + 1
        self.failed = False
        self.unmapped = False  # a mapping row with a source only: skipped, reported once
        self.derived = False  # a mapping row a crossgate export marks derived: skipped

    def cell_problems(self) -> bool:
        """Excel error cells and formulas without a saved value in the columns read."""
        sheet = self.table.sheet
        if not sheet.error_cells and not sheet.uncached_formulas:
            return False
        found = False
        for field_name, cols in self.table.columns.items():
            for col in cols:
                shown = sheet.error_cells.get((self.index, col))
                if shown is not None:
                    found = True
                    self.issues.append(error(sheet.name, self.number, letter(col), shown,
                                             f"the {field_name.replace('_', ' ')} cell shows "
                                             f"the Excel error {shown}: fix the formula or "
                                             "type the value"))
                elif (self.index, col) in sheet.uncached_formulas:
                    found = True
                    self.issues.append(error(sheet.name, self.number, letter(col), None,
                                             "this formula has no saved result (formulas are "
                                             "never computed on import): open and save the "
                                             "file in Excel or LibreOffice, or type the "
                                             "value"))
        return found

    def raw(self, field_name: str) -> tuple[Any, str | None]:
        """The field's cell value and column letter. Text a crossgate export defused with a
        leading apostrophe ('=..., '-2) is read as it was before (export_model.neutralise)."""
        value, col = self.table.get(self.row, field_name)
        if type(value) is str and value[:1] == SAFE_PREFIX:
            value = unneutralise(value)
        return value, letter(col) if col is not None else self.table.letter(field_name)

    def text(self, field_name: str) -> str | None:
        value, _ = self.raw(field_name)
        return values.text(value) or None

    def fail(self, field_name: str, value: Any, message: str) -> None:
        _, column = self.raw(field_name)
        self.issues.append(error(self.table.name, self.number, column, value, message))
        self.failed = True

    def warn(self, field_name: str, value: Any, message: str) -> None:
        _, column = self.raw(field_name)
        self.issues.append(warning(self.table.name, self.number, column, value, message))

    def parse(self, field_name: str, convert: Callable[[Any], Any]) -> Any:
        """The field converted, None when blank, None plus an error when it cannot be."""
        value, _ = self.raw(field_name)
        if values.is_blank(value):
            return None
        try:
            return convert(value)
        except values.BadValue as problem:
            self.fail(field_name, values.text(value), str(problem))
            return None

    def columns(self, *field_names: str) -> dict[str, str]:
        """Field -> column letter (the table's first column for that field)."""
        letters = self.table.letters
        return {name: letters[name] for name in field_names if name in letters}

    def put(self, fields: dict[str, Any], field_name: str, value: Any) -> None:
        """Set a field when its column exists: None then means "the cell is empty"."""
        if self.table.has(field_name):
            fields[field_name] = value


# ---------------------------------------------------------------------------------------------


def _relation(value: Any) -> str:
    relation = aliases.canonical_relation(value)
    if relation is None:
        raise values.BadValue(f"unknown relation {values.text(value)!r}; use one of "
                              f"{', '.join(aliases.RELATIONS)} (or equal-to, subset-of, "
                              "superset-of, intersects-with, not related to, ...)")
    return relation


def _strength(value: Any) -> int:
    try:
        return values.integer(value, 0, 10)
    except values.BadValue as problem:
        raise values.BadValue(f"strength must be a whole number from 0 to 10: {problem}") from None


def _rationale_type(value: Any) -> str:
    kind = aliases.canonical_rationale_type(value)
    if kind is None:
        raise values.BadValue(f"unknown rationale type {values.text(value)!r}; use one of "
                              f"{', '.join(aliases.RATIONALE_TYPES)}")
    return kind


_YES = ("yes", "y", "true", "1", "x")
_NO = ("no", "n", "false", "0")


def _flag(value: Any) -> bool:
    word = values.text(value).lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise values.BadValue(f"derived must be yes or no, not {values.text(value)!r}")


def read_mapping_row(row: _Row, known: KnownState, options: ReadOptions,
                     parsed: ParsedFile) -> None:
    if row.table.has("derived"):
        # Rows a crossgate export computed from chains of mappings: for reading, not import.
        is_derived = row.parse("derived", _flag)
        if row.failed:
            return
        if is_derived:
            row.derived = True
            return
    source_raw, _ = row.raw("source")
    targets = [(part, col) for value, col in row.table.get_all(row.row, "targets")
               for part in values.split_list(value)]
    relation_raw, _ = row.raw("relation")
    if values.is_blank(source_raw):
        if targets or not values.is_blank(relation_raw):
            row.fail("source", None, "no source: every mapping row needs a source id")
        return
    if not targets:
        if values.is_blank(relation_raw):
            row.unmapped = True
        else:
            row.fail("targets", None, "no target: a relation is given but no target id")
        return
    if len(values.split_list(source_raw)) > 1:
        row.fail("source", values.text(source_raw), "one source per row (several targets "
                 "may share a row, separated by ';' or line breaks)")
        return
    try:
        source = values.short_id(source_raw, options.source_prefix, options.always_prefix)
    except values.BadValue as problem:
        row.fail("source", values.text(source_raw), str(problem))
        source = None
    if values.is_blank(relation_raw):
        row.fail("relation", None, "no relation: use one of " + ", ".join(aliases.RELATIONS))
    relation = row.parse("relation", _relation)
    strength = row.parse("strength", _strength)
    rationale = row.text("rationale")
    rationale_type = row.parse("rationale_type", _rationale_type)
    if rationale and aliases.canonical_rationale_type(rationale) and rationale_type is None:
        # CISO Assistant and STRM sheets put syntactic/semantic/functional under "rationale".
        rationale_type, rationale = aliases.canonical_rationale_type(rationale), None
    parsed_targets = []
    for part, col in targets:
        try:
            parsed_targets.append((values.short_id(part, options.target_prefix,
                                                   options.always_prefix), col))
        except values.BadValue as problem:
            row.issues.append(error(row.table.name, row.number, letter(col), part,
                                    str(problem)))
            row.failed = True
    if row.failed or source is None or relation is None:
        return
    columns = row.columns("source", "relation", "strength", "rationale", "rationale_type")
    for target, col in parsed_targets:
        fields: dict[str, Any] = {"source": source, "target": target, "relation": relation}
        row.put(fields, "strength", strength)
        if row.table.has("rationale") or row.table.has("rationale_type"):
            fields["rationale"] = rationale
            fields["rationale_type"] = rationale_type
        parsed.entries.append(Entry("mapping", mapping_id(source, target), fields,
                                    row.table.name, row.number,
                                    {**columns, "target": letter(col) or ""}))


def _legal_status(value: Any) -> str:
    status = aliases.canonical_legal_status(value)
    if status is None:
        raise values.BadValue(f"unknown legal status {values.text(value)!r}; use one of "
                              f"{', '.join(aliases.LEGAL_STATUSES)}")
    return status


def _date(value: Any) -> str:
    return values.date(value).isoformat()


def _kind(value: Any) -> str:
    kind = aliases.canonical_kind(value)
    if kind is None:
        raise values.BadValue(f"unknown kind {values.text(value)!r}; use obligation, control, "
                              "policy or evidence")
    return kind


def _id(prefix: str | None = None) -> Callable[[Any], str]:
    return lambda value: values.short_id(value, prefix)


def _framework(known: KnownState, parsed: ParsedFile) -> Callable[[Any], str]:
    """A framework by short id (fw:...) or by its exact title."""
    def convert(value: Any) -> str:
        raw = values.text(value)
        if raw.lower().startswith("fw:"):
            return values.short_id(raw)
        wanted = raw.casefold()
        for short_id, fields in known.frameworks.items():
            if str(fields.get("title") or "").casefold() == wanted:
                return short_id
        for entry in parsed.of_kind("framework"):
            if str(entry.fields.get("title") or "").casefold() == wanted:
                return entry.id
        raise values.BadValue(f"unknown framework {raw!r}: give its id (fw:...) or its exact "
                              "title")
    return convert


def _list(convert: Callable[[str], str | None], what: str) -> Callable[[Any], tuple[str, ...]]:
    def parse(value: Any) -> tuple[str, ...]:
        items = []
        for part in values.split_list(value, commas=True):
            item = convert(part)
            if item is None:
                raise values.BadValue(f"unknown {what} {part!r}")
            items.append(item)
        return tuple(sorted(set(items)))
    return parse


_LIST_CONVERTERS: dict[str, Callable[[Any], tuple[str, ...]]] = {
    "jurisdictions": _list(aliases.canonical_jurisdiction,
                           "jurisdiction code (EU, US-CO, US-NYC, ORG, ...)"),
    "roles": _list(aliases.canonical_role, "role (" + ", ".join(aliases.ROLES) + ")"),
    "risk_classes": _list(aliases.canonical_risk_class,
                          "risk class (" + ", ".join(aliases.RISK_CLASSES) + ")"),
    "use_cases": _list(aliases.canonical_use_case,
                       "use case (a lower-case tag such as employment)"),
    "tiers": _list(aliases.canonical_tier, "tier (LOW, MEDIUM, HIGH, CRITICAL)"),
}


def read_requirement_row(row: _Row, known: KnownState, options: ReadOptions,
                         parsed: ParsedFile) -> None:
    id_raw, _ = row.raw("id")
    if values.is_blank(id_raw):
        row.fail("id", None, "no id: every requirement row needs an id (prefix:local)")
        return
    short_id = row.parse("id", _id(options.id_prefix))
    fields: dict[str, Any] = {}
    for name in ("title", "summary", "citation"):
        row.put(fields, name, row.text(name))
    converters: dict[str, Callable[[Any], Any]] = {
        "framework": _framework(known, parsed), "kind": _kind, "legal_status": _legal_status,
        "applies_from": _date, "applies_to": _date, "replaced_by": _id(),
        "part_of": _id(options.id_prefix), **_LIST_CONVERTERS}
    for name, convert in converters.items():
        row.put(fields, name, row.parse(name, convert))
    if row.failed or short_id is None:
        return
    columns = row.columns("id", *fields)
    parsed.entries.append(Entry("requirement", short_id, fields, row.table.name, row.number,
                                columns))


def read_framework_row(row: _Row, known: KnownState, options: ReadOptions,
                       parsed: ParsedFile) -> None:
    short_id = row.parse("id", _id())
    fields: dict[str, Any] = {}
    for name in ("title", "summary", "publisher"):
        row.put(fields, name, row.text(name))
    row.put(fields, "jurisdiction", row.parse("jurisdiction", _jurisdiction))
    if short_id not in known.frameworks:
        if not fields.get("title"):
            row.fail("title", None, "a new framework needs a title")
        if not fields.get("jurisdiction") and not row.failed:
            row.fail("jurisdiction", None, "a new framework needs a jurisdiction code (EU, "
                     "US-CO, ...; ORG for an organisation's own or a non-statutory framework)")
    if row.failed or short_id is None:
        return
    parsed.entries.append(Entry("framework", short_id, fields, row.table.name, row.number,
                                row.columns("id", *fields)))


_GATE_REQUIRED = {
    "item": ("item", "min_tier"),
    "approval": ("role", "min_tier"),
    "threshold": ("item", "metric", "max_value"),
    "blocking_finding": ("severity", "status"),
    "strategy": ("tier", "strategy"),
    "near_miss_ratio": ("value",),
}
_GATE_FIELDS = {
    "item": ("item", "min_tier", "condition", "max_age_days", "control", "title",
             "remediation"),
    "approval": ("role", "scope", "min_tier"),
    "threshold": ("item", "metric", "max_value"),
    "blocking_finding": ("severity", "status"),
    "strategy": ("tier", "strategy"),
}


def _tier(value: Any) -> str:
    tier = aliases.canonical_tier(value)
    if tier is None:
        raise values.BadValue(f"unknown tier {values.text(value)!r}; use LOW, MEDIUM, HIGH "
                              "or CRITICAL")
    return tier


def _jurisdiction(value: Any) -> str:
    code = aliases.canonical_jurisdiction(value)
    if code is None:
        raise values.BadValue(f"not a jurisdiction code: {values.text(value)!r} (EU, US-CO, "
                              "US-NYC, ORG, ...)")
    return code


def _one_of(choices: tuple[str, ...], what: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        word = _word(value)
        if word not in choices:
            raise values.BadValue(f"unknown {what} {values.text(value)!r}; use one of "
                                  f"{', '.join(choices)}")
        return word
    return convert


def _matching(pattern: str, what: str, transform: Callable[[Any], str]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        word = transform(value)
        if not re.match(pattern, word):
            raise values.BadValue(f"not a valid {what}: {values.text(value)!r}")
        return word
    return convert


def _word(value: Any) -> str:
    return values.text(value).strip().lower().replace(" ", "_")


def _ratio(value: Any) -> float:
    number = values.decimal(value)
    if not 0 <= number <= 1:
        raise values.BadValue(f"expected a ratio from 0 to 1, found {number:g}")
    return number


def read_gate_row(row: _Row, known: KnownState, options: ReadOptions,
                  parsed: ParsedFile) -> None:
    gate = row.text("gate")
    entry_raw = row.text("entry")
    if not gate:
        row.fail("gate", None, "no gate name (e.g. deployment)")
        return
    entry_kind = aliases.canonical_gate_entry(entry_raw) if entry_raw else None
    if entry_kind is None:
        row.fail("entry", entry_raw, "unknown entry; use item, approval, threshold, "
                 "blocking finding, strategy or near miss ratio")
        return
    for name in _GATE_REQUIRED[entry_kind]:
        if not row.table.has(name) or values.is_blank(row.raw(name)[0]):
            row.fail(name, None, f"a {entry_kind.replace('_', ' ')} entry needs "
                     f"{name.replace('_', ' ')}")
    if row.failed:
        return
    converters: dict[str, Callable[[Any], Any]] = {
        "item": _id("ev"), "control": _id("ctrl"), "min_tier": _tier, "tier": _tier,
        "max_age_days": lambda v: values.integer(v, 1, 100_000),
        "max_value": values.decimal,
        "role": _one_of(aliases.APPROVER_ROLES, "approver role"),
        "scope": _one_of(aliases.APPROVAL_SCOPES, "approval scope"),
        "severity": _one_of(aliases.SEVERITIES, "severity"),
        "status": _matching(aliases.FINDING_STATUS_PATTERN, "finding status", _word),
        "condition": _one_of(aliases.GATE_CONDITIONS, "condition"),
        "strategy": _one_of(aliases.STRATEGIES, "strategy"),
        "metric": _matching(aliases.METRIC_PATTERN, "metric name",
                            lambda v: values.text(v).replace(" ", "_")),
        "title": lambda v: values.text(v), "remediation": lambda v: values.text(v),
    }
    fields: dict[str, Any] = {"gate": _word(gate)}
    columns = row.columns("gate", "entry")
    if entry_kind == "near_miss_ratio":
        fields["entry"] = "profile"
        fields["near_miss_ratio"] = row.parse("value", _ratio)
        columns["near_miss_ratio"] = row.raw("value")[1] or ""
    else:
        fields["entry"] = entry_kind
        for name in _GATE_FIELDS[entry_kind]:
            row.put(fields, name, row.parse(name, converters[name]))
            if row.table.has(name):
                columns[name] = row.raw(name)[1] or ""
    if row.failed:
        return
    parsed.entries.append(Entry("gate", gate_entry_id(fields), fields, row.table.name,
                                row.number, columns))


_ROW_READERS = {
    "mappings": read_mapping_row,
    "requirements": read_requirement_row,
    "frameworks": read_framework_row,
    "gate_profile": read_gate_row,
}
