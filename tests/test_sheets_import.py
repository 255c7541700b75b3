"""Spreadsheet import: real xlsx/csv/JSON files in, located issues and a graph diff out.

Files are written with xlsxwriter or openpyxl (tests/sheets_factory.py) and read back through
the same path an upload takes. The store tests at the end commit, re-plan, list and revert
imports on a real on-disk pyoxigraph store.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

from crossgate.graph import vocab as V
from crossgate.graph.ids import to_iri
from crossgate.graph.store import EmbeddedStore
from crossgate.sheets import (
    KnownState,
    LimitExceeded,
    Limits,
    ReadOptions,
    aliases,
    limits,
    plan_import,
    values,
)
from crossgate.sheets.commit import (
    ImportRefused,
    commit_plan,
    import_history,
    known_state,
    plan_against_store,
    revert_import,
)
from crossgate.sheets.model import mapping_id
from crossgate.sheets.plan import ImportPlan, normalise
from crossgate.sheets.template import SHEETS, write_template
from tests import sheets_factory as F

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parents[1]


def plan(data: bytes, name: str = "upload.xlsx", known: KnownState | None = None,
         **kwargs: Any) -> ImportPlan:
    return plan_import(data, name, known if known is not None else F.known_state(),
                       who="legal@example.com", now=NOW, **kwargs)


def mappings_of(result: ImportPlan) -> dict[tuple[str, str], dict[str, Any]]:
    """(source, target) -> after-fields of every added or changed mapping."""
    return {(i["after"]["source"], i["after"]["target"]): i["after"]
            for i in result.diff["added"] + result.diff["changed"] if i["kind"] == "mapping"}


def items(result: ImportPlan, kind: str, change: str = "added") -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in result.diff[change] if i["kind"] == kind}


def located(result: ImportPlan) -> list[tuple[Any, ...]]:
    return [(e.sheet, e.row, e.column, e.value) for e in result.errors]


def apply(known: KnownState, result: ImportPlan) -> KnownState:
    """What the graph looks like after committing `result` (for re-import tests)."""
    for item in result.changes():
        kind, after = item["kind"], item["after"]
        if kind == "mapping":
            key = ((after or item["before"])["source"], (after or item["before"])["target"])
            if after is None:
                known.mappings.pop(key, None)
            else:
                known.mappings[key] = {k: v for k, v in after.items()
                                       if k not in ("source", "target")}
        else:
            table = {"framework": known.frameworks, "requirement": known.requirements,
                     "gate": known.gate}[kind]
            if after is None:
                table.pop(item["id"], None)
            else:
                table[item["id"]] = dict(after)
    known._lower = None
    return known


# ---------------------------------------------------------------------------------------------
# Aliases and values


@pytest.mark.parametrize(("spelling", "relation"), [
    ("equal", "equal"), ("Equal", "equal"), ("equal-to", "equal"), ("Equal To", "equal"),
    ("EQUAL_TO", "equal"), ("skos:exactMatch", "equal"),
    ("superset", "superset"), ("superset-of", "superset"), ("Superset of", "superset"),
    ("subset", "subset"), ("subset-of", "subset"), ("subset of", "subset"),
    ("SUBSET OF", "subset"), ("skos:broadMatch", "subset"),
    ("intersects", "intersects"), ("intersects-with", "intersects"),
    ("Intersects With", "intersects"), ("intersect", "intersects"),
    ("equivalent-to", "intersects"), ("Equivalent To", "intersects"),
    ("related", "related"), ("related-to", "related"), ("Related", "related"),
    ("not_related", "not_related"), ("not related", "not_related"),
    ("not related to", "not_related"), ("Not Related To", "not_related"),
    ("no-relationship", "not_related"), ("No Relationship", "not_related"),
    ("  subset of  ", "subset"),
])
def test_relation_aliases(spelling: str, relation: str) -> None:
    assert aliases.canonical_relation(spelling) == relation


@pytest.mark.parametrize("spelling", ["subsett", "equals-ish", "", "overlaps", "none"])
def test_unknown_relations(spelling: str) -> None:
    assert aliases.canonical_relation(spelling) is None


@pytest.mark.parametrize(("header", "field"), [
    ("  Source ID ", "source"), ("FOCAL ID", "source"), ("from", "source"),
    ("FDE #", "source"), ("source_node_id", "source"),
    ("Target(s)", "targets"), ("Reference ID", "targets"), ("TO", "targets"),
    ("target_node_id", "targets"),
    ("RELATIONSHIP*", "relation"), ("STRM Relationship", "relation"), ("Mapping", "relation"),
    ("Strength of\nRelationship:", "strength"), ("Confidence", "strength"),
    ("Strength (0-10)", "strength"), ("strength_of_relationship", "strength"),
    ("Justification", "rationale"), ("Rationale type", "rationale_type"),
    ("STRM Rationale", "rationale_type"),
])
def test_mapping_header_aliases(header: str, field: str) -> None:
    match = aliases.match_header(header, aliases.MAPPING_HEADERS)
    assert match is not None and match[0] == field


def test_notes_is_not_rationale() -> None:
    assert aliases.match_header("Notes", aliases.MAPPING_HEADERS) is None
    assert aliases.is_ignored_header("Notes (optional)")
    assert aliases.is_ignored_header(" notes ")


@pytest.mark.parametrize(("header", "field"), [
    ("Requirement ID", "id"), ("Ref", "id"), ("Identifier", "id"), ("Name", "title"),
    ("Description", "summary"), ("Reference", "citation"), ("Status", "legal_status"),
    ("Effective Date", "applies_from"), ("Effective", "applies_from"),
    ("Applies to", "applies_to"), ("Jurisdiction(s)", "jurisdictions"),
    ("Actor", "roles"), ("Role(s)", "roles"), ("Risk class", "risk_classes"),
    ("Use cases", "use_cases"),
])
def test_requirement_header_aliases(header: str, field: str) -> None:
    match = aliases.match_header(header, aliases.REQUIREMENT_HEADERS)
    assert match is not None and match[0] == field


@pytest.mark.parametrize(("cell", "expected"), [
    (dt.date(2026, 8, 2), "2026-08-02"), (dt.datetime(2026, 8, 2, 0, 0), "2026-08-02"),
    (46236.0, "2026-08-02"), ("46236", "2026-08-02"), ("2026-08-02", "2026-08-02"),
    ("2 August 2026", "2026-08-02"), ("Aug 2, 2026", "2026-08-02"),
    ("02.08.2026", "2026-08-02"), ("13/08/2026", "2026-08-13"), ("08/13/2026", "2026-08-13"),
])
def test_dates(cell: Any, expected: str) -> None:
    assert values.date(cell).isoformat() == expected


@pytest.mark.parametrize("cell", ["03/04/2026", "31/31/2027", "soon", 7.0, "2026-02-30"])
def test_bad_dates(cell: Any) -> None:
    with pytest.raises(values.BadValue):
        values.date(cell)


@pytest.mark.parametrize(("cell", "expected"), [(7.0, 7), (7, 7), ("7", 7), ("7.0", 7),
                                                 (0.0, 0), (10.0, 10)])
def test_whole_numbers(cell: Any, expected: int) -> None:
    assert values.integer(cell, 0, 10) == expected


@pytest.mark.parametrize("cell", [7.5, "7.5", "seven", True, 11, -1])
def test_bad_whole_numbers(cell: Any) -> None:
    with pytest.raises(values.BadValue):
        values.integer(cell, 0, 10)


def test_short_ids() -> None:
    assert values.short_id(" EUAIA:art-9 ") == "euaia:art-9"
    assert values.short_id("GOVERN 1.1", "nist-ai-rmf") == "nist-ai-rmf:GOVERN 1.1"
    assert values.short_id("euaia:art-9", "x") == "euaia:art-9"
    assert values.short_id("a:b", "x", always=True) == "x:a:b"
    with pytest.raises(values.BadValue):
        values.short_id("EU AI Act Art 9")


def test_mapping_ids_are_deterministic() -> None:
    assert mapping_id("euaia:art-9", "ctrl:RM-001") == mapping_id("euaia:art-9", "ctrl:RM-001")
    assert mapping_id("euaia:art-9", "ctrl:RM-001") != mapping_id("ctrl:RM-001", "euaia:art-9")
    assert mapping_id("a:b", "c:d").startswith("map:") and len(mapping_id("a:b", "c:d")) == 20


# ---------------------------------------------------------------------------------------------
# The template


def test_template_has_documented_sheets_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(str(path))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["README", "frameworks", "requirements", "mappings",
                               "gate_profile"]
    headers = [c.value for c in book["mappings"][1]]
    assert headers[:3] == ["Source*", "Targets*", "Relation*"]
    lists = [dv for dv in book["mappings"].data_validations.dataValidation if dv.type == "list"]
    assert any("intersects" in (dv.formula1 or "") for dv in lists)
    assert any(dv.type == "whole" for dv in book["mappings"].data_validations.dataValidation)
    readme = " ".join(str(c.value) for row in book["README"].iter_rows() for c in row if c.value)
    for columns in SHEETS.values():
        for column in columns:
            assert column.meaning in readme
    # every header of the template is understood as the field it documents
    for sheet, columns in SHEETS.items():
        table = aliases.SHEET_HEADERS[sheet]
        for column in columns:
            assert (aliases.match_header(column.header, table) is not None
                    or aliases.is_ignored_header(column.header)), column.header


def test_template_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(str(path))
    empty = plan(path.read_bytes(), "template.xlsx")
    assert [e.message for e in empty.errors] == [
        "nothing to import: no sheet holds mappings, requirements, frameworks or gate profile "
        "entries"]

    book = openpyxl.load_workbook(path)
    book["frameworks"].append(["fw:acme-policy", "ACME AI policy", "ORG", "ACME Legal",
                               "Our own rules"])
    book["requirements"].append([
        "pol:acme-1", "Register every AI system", "fw:acme-policy", "policy", "ACME 1",
        None, dt.date(2026, 1, 1), None, None, None, "EU; US-CO", "deployer", None,
        "employment", "HIGH, CRITICAL", "Keep an inventory.", "draft"])
    book["mappings"].append(["pol:acme-1", "euaia:art-26; ctrl:RM-001", "intersects", 6,
                             "Both ask for an inventory", "semantic", "checked by Ana"])
    book["gate_profile"].append(["deployment", "threshold", "ev:evaluation_results", None,
                                 None, None, None, "hallucination_rate", 0.03])
    stream = io.BytesIO()
    book.save(stream)
    result = plan(stream.getvalue(), "template.xlsx")
    assert result.ok, result.summary_text()
    assert not result.warnings, result.summary_text()
    assert items(result, "framework")["fw:acme-policy"]["after"] == {
        "title": "ACME AI policy", "summary": "Our own rules", "jurisdiction": "ORG",
        "publisher": "ACME Legal"}
    assert items(result, "requirement")["pol:acme-1"]["after"] == {
        "title": "Register every AI system", "summary": "Keep an inventory.",
        "framework": "fw:acme-policy", "kind": "policy", "citation": "ACME 1",
        "applies_from": "2026-01-01", "jurisdictions": ("EU", "US-CO"), "roles": ("deployer",),
        "use_cases": ("employment",), "tiers": ("CRITICAL", "HIGH")}
    assert mappings_of(result) == {
        ("pol:acme-1", target): {"source": "pol:acme-1", "target": target,
                                 "relation": "intersects", "strength": 6,
                                 "rationale": "Both ask for an inventory",
                                 "rationale_type": "semantic"}
        for target in ("euaia:art-26", "ctrl:RM-001")}
    gate = items(result, "gate")["gate:deployment-threshold-hallucination-rate"]["after"]
    assert gate == {"gate": "deployment", "entry": "threshold",
                    "item": "ev:evaluation_results", "metric": "hallucination_rate",
                    "max_value": 0.03}
    # committed and uploaded again, nothing changes
    again = plan(stream.getvalue(), "template.xlsx", apply(F.known_state(), result))
    assert again.ok and again.empty, again.summary_text()


# ---------------------------------------------------------------------------------------------
# A legal team's own workbook


def test_legal_team_workbook() -> None:
    result = plan(F.legal_team_workbook(), "EU crosswalk v3.xlsx")
    assert result.ok, result.summary_text()
    assert not result.warnings, result.summary_text()
    found = mappings_of(result)
    assert {key: (m["relation"], m.get("strength")) for key, m in found.items()} == {
        ("euaia:art-9", "ctrl:RM-001"): ("intersects", 7),
        ("euaia:art-9", "ctrl:DG-002"): ("intersects", 7),
        ("euaia:art-10", "ctrl:DG-002"): ("subset", 8),   # strength from a formula's cache
        ("euaia:art-10", "iso42001:6.1.2"): ("related", None),  # source from a merged cell
        ("euaia:art-26-6", "ctrl:LOG-003"): ("equal", 8),
        ("euaia:art-26-6", "iso42001:A.6.2.8"): ("equal", 8),
    }
    assert found[("euaia:art-9", "ctrl:DG-002")]["rationale"] == (
        "Both require a documented risk process")
    # the known mapping changes (strength 6 -> 7, rationale added), the others are new
    changed = items(result, "mapping", "changed")
    assert list(changed) == [mapping_id("euaia:art-9", "ctrl:RM-001")]
    assert changed[mapping_id("euaia:art-9", "ctrl:RM-001")]["before"] == {
        "source": "euaia:art-9", "target": "ctrl:RM-001", "relation": "intersects",
        "strength": 6}
    origins = {(i["after"]["source"], i["after"]["target"]): i["origin"]
               for i in result.diff["added"] if i["kind"] == "mapping"}
    assert origins[("euaia:art-10", "iso42001:6.1.2")] == {"sheet": "EU AI Act crosswalk",
                                                           "row": 8}
    assert origins[("euaia:art-26-6", "iso42001:A.6.2.8")]["row"] == 9
    requirements = items(result, "requirement")
    assert requirements["euaia:art-27"]["after"]["applies_from"] == "2027-12-02"  # real date
    assert requirements["euaia:art-50-1"]["after"]["applies_from"] == "2026-08-02"  # "2 August"
    assert requirements["euaia:art-4"]["after"]["applies_from"] == "2025-02-02"  # serial
    assert requirements["euaia:art-50-1"]["after"]["framework"] == "fw:eu-ai-act"  # by title
    assert requirements["euaia:art-50-1"]["after"]["roles"] == ("deployer", "provider")
    assert requirements["euaia:art-27"]["after"]["legal_status"] == "upcoming"
    assert "euaia:art-9" not in items(result, "requirement", "changed")  # same as the graph


def test_legal_team_workbook_reimported_unchanged_is_empty() -> None:
    first = plan(F.legal_team_workbook())
    again = plan(F.legal_team_workbook(), known=apply(F.known_state(), first))
    assert again.ok and again.empty
    assert again.diff == {"added": [], "changed": [], "removed": []}
    assert "No change" in again.summary_text()


def test_errors_are_located_by_sheet_row_column_and_value() -> None:
    result = plan(F.errors_workbook(), "bad.xlsx")
    assert not result.ok
    assert located(result) == [
        ("mappings", 2, "C", "subsett"),
        ("mappings", 3, "D", "7.5"),
        ("mappings", 4, "B", "ctrl:NOPE-1"),
        ("mappings", 5, "A", "EU AI Act Art 9"),
        ("mappings", 6, "B", "euaia:art-10"),
        ("mappings", 8, "B", "ctrl:DG-002"),
        ("mappings", 9, "D", "11"),
        ("mappings", 10, "B", "iso42001:a.6.2.8"),
        ("requirements", 2, "D", "in-ish force"),
        ("requirements", 3, "E", "31/31/2027"),
        ("requirements", 4, None, None),  # the sheet has no citation column to point at
        ("requirements", 4, "B", None),
    ]
    messages = [e.message for e in result.errors]
    assert "unknown relation 'subsett'" in messages[0]
    assert "whole number" in messages[1]
    assert "unknown id 'ctrl:NOPE-1'" in messages[2]
    assert "prefix:local" in messages[3]
    assert "mapped to itself" in messages[4]
    assert "conflicting duplicate" in messages[5] and "row 7" in messages[5]
    assert "from 0 to 10" in messages[6]
    assert "did you mean 'iso42001:A.6.2.8'" in messages[7]
    assert "unknown legal status" in messages[8]
    assert "needs a citation" in messages[10]
    assert "needs a title" in messages[11]
    assert [(w.sheet, w.row, w.column) for w in result.warnings] == [("mappings", 12, "B")]
    assert "duplicate" in result.warnings[0].message
    payload = result.to_json()
    assert set(payload) >= {"errors", "warnings", "diff", "counts", "file"}
    assert all(set(e) == {"path", "sheet", "row", "column", "value", "message"}
               for e in payload["errors"])
    assert payload["errors"][0]["path"] == "mappings!C2"
    assert payload["file"]["sha256"] and payload["counts"]["errors"] == 12
    json.dumps(payload)  # serialisable as is
    text = result.summary_text()
    assert "mappings!C2 [subsett]" in text and "nothing can be committed" in text
    with pytest.raises(ValueError):
        result.to_sparql_update()


def test_missing_required_column_is_a_sheet_level_error() -> None:
    result = plan(F.missing_column_workbook())
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("mappings", 1, None)]
    assert "'relation' is missing" in result.errors[0].message
    assert "relationship" in result.errors[0].message


def test_error_cells_and_formulas_without_saved_value() -> None:
    def build(workbook: xlsxwriter.Workbook) -> None:
        sheet = workbook.add_worksheet("mappings")
        sheet.write_row(0, 0, ("Source", "Target", "Relation", "Strength"))
        sheet.write_row(1, 0, ("euaia:art-9",))
        sheet.write_formula(1, 1, "=VLOOKUP(A2,lookup!A:B,2,FALSE)", None, "#N/A")
        sheet.write_row(1, 2, ("subset", 5))
        sheet.write_row(2, 0, ("euaia:art-10", "ctrl:DG-002", "subset"))
        sheet.write_formula(2, 3, "=1/0", None, "#DIV/0!")
    result = plan(F.xlsx_bytes(build))
    assert located(result) == [("mappings", 2, "B", "#N/A"), ("mappings", 3, "D", "#DIV/0!")]
    assert "Excel error #N/A" in result.errors[0].message

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "mappings"
    sheet.append(["Source", "Target", "Relation"])
    sheet.append(["euaia:art-9", '=CONCAT("ctrl:", "RM-001")', "subset"])
    stream = io.BytesIO()
    book.save(stream)
    result = plan(stream.getvalue())
    assert located(result) == [("mappings", 2, "B", None)]
    assert "no saved result" in result.errors[0].message


def test_unknown_columns_are_reported_and_left_out() -> None:
    data = F.simple_workbook({"mappings": [
        ("Source", "Target", "Relation", "Reviewer", "Notes"),
        ("euaia:art-9", "ctrl:DG-002", "subset", "Ana", "fine")]})
    result = plan(data)
    assert result.ok
    assert [(w.sheet, w.row, w.column, w.value) for w in result.warnings] == [
        ("mappings", 1, "D", "Reviewer")]


def test_sheet_detected_by_headers_when_its_name_says_nothing() -> None:
    data = F.simple_workbook({"Sheet1": [
        ("Crosswalk, draft",), (),
        ("From", "To", "Mapping", "Confidence"),
        ("euaia:art-9", "ctrl:DG-002", "Subset Of", 4.0)]})
    result = plan(data)
    assert result.ok
    assert mappings_of(result)[("euaia:art-9", "ctrl:DG-002")]["strength"] == 4


# ---------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize(("delimiter", "bom", "encoding"), [
    (",", False, "utf-8"), (";", True, "utf-8"), ("\t", False, "utf-8"),
    (",", False, "cp1252")])
def test_csv_variants(delimiter: str, bom: bool, encoding: str) -> None:
    data = F.csv_bytes([
        ("Source ID", "Target ID", "Relationship", "Strength", "Rationale"),
        ("euaia:art-9", "ctrl:RM-001;ctrl:DG-002", "intersects-with", "7",
         "Überprüfung der Risiken"),
        ("euaia:art-26-6", "ctrl:LOG-003\niso42001:A.6.2.8", "equal to", "", ""),
    ], delimiter=delimiter, bom=bom, encoding=encoding)
    result = plan(data, "mappings.csv")
    assert result.ok, result.summary_text()
    found = mappings_of(result)
    assert set(found) == {("euaia:art-9", "ctrl:RM-001"), ("euaia:art-9", "ctrl:DG-002"),
                          ("euaia:art-26-6", "ctrl:LOG-003"),
                          ("euaia:art-26-6", "iso42001:A.6.2.8")}
    assert found[("euaia:art-9", "ctrl:DG-002")]["rationale"] == "Überprüfung der Risiken"
    assert bool(result.warnings) == (encoding != "utf-8")
    assert result.format == "csv"


def test_csv_errors_name_the_file_as_sheet() -> None:
    data = F.csv_bytes([("source", "target", "relation"), ("euaia:art-9", "ctrl:X-1", "meh")])
    result = plan(data, "m.csv")
    assert located(result) == [("m.csv", 2, "C", "meh")]


def test_strm_sheet_with_bare_ids_and_prefixes() -> None:
    data = F.simple_workbook({"STRM": [
        ("FDE #", "Focal Document Element", "STRM Rationale", "STRM Relationship", "SCF #",
         "Strength of Relationship (optional)", "Notes (optional)"),
        ("art-9", "Risk management system", "Semantic", "Intersects With", "RM-001", 5, ""),
        ("art-12", "Record keeping", "Functional", "Subset Of", "LOG-003", 8, "")]})
    result = plan(data, options=ReadOptions(source_prefix="euaia", target_prefix="ctrl"))
    assert result.ok, result.summary_text()
    found = mappings_of(result)
    assert found[("euaia:art-9", "ctrl:RM-001")]["rationale_type"] == "semantic"
    assert found[("euaia:art-12", "ctrl:LOG-003")]["relation"] == "subset"
    # "Focal Document Element" (a description) lost to "FDE #" (the id) and is reported
    assert [(w.column, w.value) for w in result.warnings] == [("B", "Focal Document Element")]


# ---------------------------------------------------------------------------------------------
# CISO Assistant libraries and OSCAL catalogs


def test_ciso_assistant_framework_library() -> None:
    result = plan(F.ciso_framework_workbook(), "demo-ai.xlsx")
    assert result.ok, result.summary_text()
    assert result.format == "ciso-assistant-framework"
    assert items(result, "framework")["fw:demo-ai"]["after"]["title"] == "Demo AI framework"
    requirements = {k: v["after"] for k, v in items(result, "requirement").items()}
    assert set(requirements) == {"demo-ai:gov", "demo-ai:gov-1", "demo-ai:gov-1.1",
                                 "demo-ai:gov-2", "demo-ai:map", "demo-ai:map-1"}
    assert requirements["demo-ai:gov-1.1"]["part_of"] == "demo-ai:gov-1"
    assert requirements["demo-ai:gov-1.1"]["citation"] == "GOV 1.1"
    # a heading without ref_id is skipped; its children hang on the node above it
    assert requirements["demo-ai:gov-2"]["part_of"] == "demo-ai:gov"
    assert "part_of" not in requirements["demo-ai:gov"]
    assert requirements["demo-ai:map-1"]["summary"] == "Context is known"
    assert {r["kind"] for r in requirements.values()} == {"control"}


def test_ciso_assistant_mapping_set_onto_known_framework() -> None:
    result = plan(F.ciso_mapping_workbook(), "mapping.xlsx",
                  prefix_map={"iso42001-2023": "iso42001"})
    assert result.ok, result.summary_text()
    assert result.format == "ciso-assistant-mapping"
    found = mappings_of(result)
    assert found == {
        ("demo-ai:gov-1", "iso42001:6.1.2"): {
            "source": "demo-ai:gov-1", "target": "iso42001:6.1.2", "relation": "intersects",
            "strength": 6, "rationale_type": "semantic"},
        ("demo-ai:gov-1.1", "iso42001:6.1.2"): {
            "source": "demo-ai:gov-1.1", "target": "iso42001:6.1.2", "relation": "subset",
            "rationale_type": "syntactic"},
        # lower-case node id landed on the graph's own spelling
        ("demo-ai:gov-2", "iso42001:A.6.2.8"): {
            "source": "demo-ai:gov-2", "target": "iso42001:A.6.2.8",
            "relation": "not_related", "strength": 0},
    }
    # the source framework is unknown, so it is created from the `source` sheet
    assert "fw:demo-ai" in items(result, "framework")
    assert "demo-ai:map-1" in items(result, "requirement")
    assert "fw:iso42001" not in items(result, "framework")
    assert [w.row for w in result.warnings] == [5]  # the unmapped placeholder row


def test_ciso_assistant_mapping_set_creates_both_frameworks_when_unknown() -> None:
    result = plan(F.ciso_mapping_workbook(rows=[("gov-1", "6.1.2", "equal", "", 10)]),
                  "mapping.xlsx")
    assert result.ok, result.summary_text()
    assert set(items(result, "framework")) == {"fw:demo-ai", "fw:iso42001-2023"}
    assert set(mappings_of(result)) == {("demo-ai:gov-1", "iso42001-2023:6.1.2")}


def test_ciso_assistant_mapping_set_replace_removes_within_its_pair() -> None:
    known = F.known_state()
    known.frameworks["fw:demo-ai"] = {"title": "Demo", "jurisdiction": "ORG"}
    for node in ("gov-1", "gov-2", "gov-9"):
        known.requirements[f"demo-ai:{node}"] = {"title": node, "framework": "fw:demo-ai",
                                                 "kind": "control"}
    known.mappings[("demo-ai:gov-9", "iso42001:6.1.2")] = {"relation": "equal"}
    result = plan(F.ciso_mapping_workbook(with_sides=False,
                                          rows=[("gov-1", "6.1.2", "equal", "", None)]),
                  known=known, prefix_map={"iso42001-2023": "iso42001"}, mode="replace")
    assert result.ok, result.summary_text()
    assert [(i["kind"], i["id"]) for i in result.diff["removed"]] == [
        ("mapping", mapping_id("demo-ai:gov-9", "iso42001:6.1.2"))]
    merged = plan(F.ciso_mapping_workbook(with_sides=False,
                                          rows=[("gov-1", "6.1.2", "equal", "", None)]),
                  known=known, prefix_map={"iso42001-2023": "iso42001"})
    assert merged.diff["removed"] == []


def test_oscal_catalog() -> None:
    result = plan(F.oscal_catalog(), "catalog.json")
    assert result.ok, result.summary_text()
    assert result.format == "oscal-catalog"
    framework = items(result, "framework")["fw:demo-security-catalog"]["after"]
    assert framework["title"] == "Demo Security Catalog"
    assert framework["publisher"] == "Example Standards Body"
    requirements = {k: v["after"] for k, v in items(result, "requirement").items()}
    assert set(requirements) == {"demo-security-catalog:ac", "demo-security-catalog:ac-1",
                                 "demo-security-catalog:ac-1.1", "demo-security-catalog:ac-2",
                                 "demo-security-catalog:top-1"}
    ac1 = requirements["demo-security-catalog:ac-1"]
    assert ac1["part_of"] == "demo-security-catalog:ac"
    assert ac1["citation"] == "AC-1"
    assert ac1["summary"] == "a. Develop a policy for [ac-1_prm_1]."
    assert requirements["demo-security-catalog:ac-1.1"]["part_of"] == (
        "demo-security-catalog:ac-1")
    assert requirements["demo-security-catalog:ac-2"]["legal_status"] == "repealed"
    chosen = plan(F.oscal_catalog(), "catalog.json", prefix="dsc")
    assert "dsc:ac-1" in items(chosen, "requirement")
    assert "fw:dsc" in items(chosen, "framework")


def test_json_that_is_not_a_catalog() -> None:
    result = plan(b'{"profile": {}}', "profile.json")
    assert not result.ok and "not an OSCAL catalog" in result.errors[0].message


# ---------------------------------------------------------------------------------------------
# Limits


def test_declared_zip_bomb_is_refused_without_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = F.zip_bomb_declared()
    assert len(bomb) < 1024 * 1024

    def never(*_args: Any) -> None:
        raise AssertionError("the archive was inflated")
    monkeypatch.setattr(limits, "_inflate_bounded", never)
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as refused:
        plan(bomb, "bomb.xlsx")
    assert refused.value.status == 413
    assert time.monotonic() - started < 1


def test_compression_ratio_bound() -> None:
    with pytest.raises(LimitExceeded) as refused:
        plan(F.zip_bomb_declared(64 * 1024 * 1024), "bomb.xlsx")
    assert refused.value.status == 400 and "zip bomb" in refused.value.message


def test_zip_that_lies_about_its_size_stops_at_the_declared_size() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as refused:
        plan(F.zip_bomb_lying(), "liar.xlsx")
    assert refused.value.status == 400 and "expands beyond" in refused.value.message
    assert time.monotonic() - started < 1


def test_other_upload_limits() -> None:
    with pytest.raises(LimitExceeded) as refused:
        plan(F.zip_many_entries(), "many.xlsx")
    assert refused.value.status == 400 and "entries" in refused.value.message
    with pytest.raises(LimitExceeded) as refused:
        plan(F.legal_team_workbook(), limits=Limits(max_upload_bytes=1000))
    assert refused.value.status == 413
    rows = [("euaia:art-9", "ctrl:RM-001", "subset")] * 20
    with pytest.raises(LimitExceeded) as refused:
        plan(F.mapping_rows_workbook(rows), limits=Limits(max_rows=10))
    assert refused.value.status == 413 and "rows" in refused.value.message
    with pytest.raises(LimitExceeded) as refused:
        plan(F.mapping_rows_workbook(rows), limits=Limits(max_cells=30))
    assert "cells" in refused.value.message
    with pytest.raises(LimitExceeded) as refused:
        plan(F.csv_bytes([("source", "target", "relation"), *rows]), "m.csv",
             limits=Limits(max_rows=10))
    assert refused.value.status == 413
    with pytest.raises(LimitExceeded) as refused:
        plan(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls")
    assert "password" in refused.value.message
    with pytest.raises(LimitExceeded):
        plan(b"PK\x03\x04 not really a zip", "broken.xlsx")


def test_limits_from_settings() -> None:
    from crossgate.config import Settings

    configured = Limits.from_settings(Settings(max_rows=12, max_upload_bytes=345))
    assert configured.max_rows == 12 and configured.max_upload_bytes == 345


# ---------------------------------------------------------------------------------------------
# Diff semantics


def test_merge_keeps_and_replace_clears_empty_cells() -> None:
    data = F.simple_workbook({"mappings": [
        ("Source", "Target", "Relation", "Strength"),
        ("euaia:art-9", "ctrl:RM-001", "intersects", None)]})
    merged = plan(data)
    assert merged.ok and merged.empty  # strength 6 is kept
    replaced = plan(data, mode="replace")
    changed = items(replaced, "mapping", "changed")[mapping_id("euaia:art-9", "ctrl:RM-001")]
    assert changed["before"]["strength"] == 6 and "strength" not in changed["after"]


def test_replace_removes_what_the_file_no_longer_says() -> None:
    known = F.known_state()
    known.mappings[("euaia:art-10", "ctrl:DG-002")] = {"relation": "subset"}
    known.mappings[("euaia:art-26-6", "iso42001:A.6.2.8")] = {"relation": "related"}
    data = F.simple_workbook({
        "requirements": [("ID", "Title", "Framework", "Kind"),
                         ("ctrl:RM-001", "Risk register", "fw:ctrl", "control"),
                         ("ctrl:DG-002", "Dataset review", "fw:ctrl", "control")],
        "mappings": [("Source", "Target", "Relation"),
                     ("euaia:art-9", "ctrl:RM-001", "intersects")]})
    merged = plan(data, known=known)
    assert merged.diff["removed"] == []
    result = plan(data, known=known, mode="replace")
    assert result.ok, result.summary_text()
    removed = [(i["kind"], i["id"]) for i in result.diff["removed"]]
    # ctrl:LOG-003 is not in the file's complete list of fw:ctrl; its mapping goes with it;
    # the mapping between fw:eu-ai-act and fw:ctrl the file no longer has goes; the mapping
    # into iso42001 is another framework pair and stays
    assert removed == [
        ("requirement", "ctrl:LOG-003"),
        ("mapping", mapping_id("euaia:art-12", "ctrl:LOG-003")),
        ("mapping", mapping_id("euaia:art-10", "ctrl:DG-002")),
    ] or sorted(removed) == sorted([
        ("requirement", "ctrl:LOG-003"),
        ("mapping", mapping_id("euaia:art-12", "ctrl:LOG-003")),
        ("mapping", mapping_id("euaia:art-10", "ctrl:DG-002"))])
    assert all(i["after"] is None and i["before"] for i in result.diff["removed"])
    assert "- mapping euaia:art-10 -> ctrl:DG-002" in result.summary_text()


def test_known_mapping_node_id_is_reused() -> None:
    known = F.known_state()
    known.mappings[("euaia:art-9", "ctrl:RM-001")]["id"] = "map:shipped-art9-rm001"
    data = F.simple_workbook({"mappings": [("Source", "Target", "Relation"),
                                           ("euaia:art-9", "ctrl:RM-001", "subset")]})
    result = plan(data, known=known)
    assert [i["id"] for i in result.diff["changed"]] == ["map:shipped-art9-rm001"]
    subject = URIRef(to_iri("map:shipped-art9-rm001"))
    graph = Graph().parse(data=result.to_ntriples(), format="nt")
    assert (subject, URIRef(str(V.RELATION_P)), URIRef(str(V.RELATIONS["subset"]))) in graph
    assert (to_iri("map:shipped-art9-rm001"), None, None) in result.deletions()


def test_rdf_has_provenance_on_every_mapping() -> None:
    result = plan(F.legal_team_workbook(), "crosswalk.xlsx")
    graph = Graph().parse(data=result.to_ntriples(), format="nt")
    mapping_nodes = set(graph.subjects(URIRef(str(V.RDF.type)), URIRef(str(V.MAPPING))))
    assert len(mapping_nodes) == 6
    for node in mapping_nodes:
        for predicate in (V.AUTHOR, V.CREATED, V.SOURCE_DOC, V.SOURCE_FILE_SHA256,
                          V.SOURCE_SHEET, V.SOURCE_ROW, V.IMPORT_ID, V.SOURCE, V.TARGET,
                          V.RELATION_P, V.SHORT_ID):
            assert graph.value(node, URIRef(str(predicate))) is not None, (node, predicate)
        assert graph.value(node, URIRef(str(V.AUTHOR))) == Literal("legal@example.com")
        assert graph.value(node, URIRef(str(V.SOURCE_DOC))) == Literal("crosswalk.xlsx")
        assert str(graph.value(node, URIRef(str(V.SOURCE_FILE_SHA256)))) == result.sha256
    node = URIRef(to_iri(mapping_id("euaia:art-10", "iso42001:6.1.2")))
    assert int(graph.value(node, URIRef(str(V.SOURCE_ROW)))) == 8
    assert str(graph.value(node, URIRef(str(V.SOURCE_SHEET)))) == "EU AI Act crosswalk"
    update = result.to_sparql_update()
    assert update.startswith("DELETE WHERE") and "INSERT DATA { GRAPH <" + result.graph in update


def test_gate_profile_sheet() -> None:
    known = F.known_state()
    known.gate = {
        "gate:deployment": {"gate": "deployment", "entry": "profile", "near_miss_ratio": 0.1},
        "gate:deployment-threshold-hallucination-rate": {
            "gate": "deployment", "entry": "threshold", "item": "ev:evaluation_results",
            "metric": "hallucination_rate", "max_value": 0.05},
        "gate:deployment-item-risk-classification": {
            "gate": "deployment", "entry": "item", "item": "ev:risk_classification",
            "min_tier": "LOW", "max_age_days": 365, "title": "Risk classification"},
    }
    data = F.simple_workbook({"gate_profile": [
        ("Gate", "Entry", "Item", "Min tier", "Max age days", "Metric", "Max", "Value",
         "Title", "Role", "Scope"),
        ("deployment", "threshold", "ev:evaluation_results", None, None,
         "hallucination_rate", 0.03),
        ("deployment", "near miss ratio", None, None, None, None, None, 0.2),
        ("deployment", "item", "ev:risk_classification", "low", 180),
        ("deployment", "approval", None, "HIGH", None, None, None, None, None, "ml_lead",
         "technical"),
        ("deployment", "approval", None, "HIGH", None, None, None, None, None, "chief",
         "technical"),
        ("deployment", "item", "ev:new_check", "MEDIUM", 30)]})
    result = plan(data, known=known, mode="replace")
    assert located(result) == [("gate_profile", 6, "J", "chief"),
                               ("gate_profile", 7, "I", None)]
    changed = items(result, "gate", "changed")
    assert changed["gate:deployment-threshold-hallucination-rate"]["after"]["max_value"] == 0.03
    assert changed["gate:deployment"]["after"]["near_miss_ratio"] == 0.2
    assert changed["gate:deployment-item-risk-classification"]["after"]["max_age_days"] == 180
    assert list(items(result, "gate")) == ["gate:deployment-approval-ml-lead"]
    assert result.diff["removed"] == []


# ---------------------------------------------------------------------------------------------
# Property: what is written is what is read


_IDS = sorted(F.known_state().requirements)
_SPELLINGS = sorted(aliases.RELATION_ALIASES)
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=40).map(str.strip).filter(bool)


@st.composite
def mapping_tables(draw: st.DrawFn) -> list[tuple[str, str, str, Any, str | None]]:
    pairs = draw(st.lists(st.tuples(st.sampled_from(_IDS), st.sampled_from(_IDS))
                          .filter(lambda p: p[0] != p[1]), min_size=1, max_size=25,
                          unique=True))
    rows = []
    for source, target in pairs:
        spelling = draw(st.sampled_from(_SPELLINGS))
        strength = draw(st.one_of(st.none(), st.integers(0, 10),
                                  st.integers(0, 10).map(float)))
        rationale = draw(st.one_of(st.none(), _TEXT.filter(
            lambda t: aliases.canonical_rationale_type(t) is None and not t.startswith(
                ("#", "//", "=")))))
        rows.append((source, target, spelling, strength, rationale))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=mapping_tables(), group=st.booleans(), separator=st.sampled_from(["; ", "\n"]))
def test_written_mappings_read_back_the_same(
        table: list[tuple[str, str, str, Any, str | None]], group: bool,
        separator: str) -> None:
    rows: list[tuple[Any, ...]] = []
    if group:
        # rows that agree on everything but the target share one row, targets in one cell
        grouped: dict[tuple[Any, ...], list[str]] = {}
        for source, target, spelling, strength, rationale in table:
            grouped.setdefault((source, spelling, strength, rationale), []).append(target)
        for (source, spelling, strength, rationale), targets in grouped.items():
            rows.append((source, separator.join(targets), spelling, strength, rationale))
    else:
        rows = list(table)
    data = F.mapping_rows_workbook(rows)
    assert data is not None
    result = plan(data, known=KnownState(requirements=F.known_state().requirements))
    assert result.ok, result.summary_text()
    expected = {(s, t): {"source": s, "target": t,
                         "relation": aliases.canonical_relation(spelling),
                         **({"strength": int(strength)} if strength is not None else {}),
                         **({"rationale": values.text(rationale)} if rationale else {})}
                for s, t, spelling, strength, rationale in table}
    assert mappings_of(result) == expected


# ---------------------------------------------------------------------------------------------
# Commit, history and revert on a real store


SHIPPED = "https://w3id.org/crossgate/graph/shipped/test"


def _shipped_ntriples() -> str:
    """A small shipped graph: the test state's frameworks, requirements and mappings."""
    from crossgate.sheets import rdf

    state = F.known_state()
    prov = rdf.Provenance("shipped", "crossgate content team", NOW, "content", "0" * 64)
    lines: list[str] = []
    for kind, table in (("framework", state.frameworks), ("requirement", state.requirements)):
        for short_id, fields in table.items():
            item = {"kind": kind, "id": short_id, "before": None,
                    "after": normalise(kind, {**fields, **({"jurisdiction": "ORG"} if kind ==
                                              "framework" and "jurisdiction" not in fields
                                              else {})})}
            lines.extend(line for line in rdf.item_triples(item, prov)
                         if "wasDerivedFrom" not in line)
    for (source, target), fields in state.mappings.items():
        item = {"kind": "mapping", "id": mapping_id(source, target), "before": None,
                "after": normalise("mapping", {**fields, "source": source, "target": target})}
        lines.extend(rdf.item_triples(item, prov))
    return "\n".join(lines) + "\n"


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    graph_store = EmbeddedStore(tmp_path / "graph")
    graph_store.commit({SHIPPED: _shipped_ntriples()}, "shipped content", "crossgate")
    yield graph_store
    graph_store.close()


def test_known_state_from_store(store: EmbeddedStore) -> None:
    state = known_state(store)
    expected = F.known_state()
    assert set(state.requirements) == set(expected.requirements)
    assert normalise("requirement", state.requirements["euaia:art-9"]) == normalise(
        "requirement", expected.requirements["euaia:art-9"])
    assert {k: normalise("mapping", v) for k, v in state.mappings.items()} == {
        k: normalise("mapping", v) for k, v in expected.mappings.items()}
    assert state.mappings[("euaia:art-9", "ctrl:RM-001")]["id"] == mapping_id(
        "euaia:art-9", "ctrl:RM-001")


def _relations(store: EmbeddedStore, source: str, target: str) -> list[str]:
    rows = store.select(
        f"SELECT ?rel WHERE {{ ?m <{V.SOURCE}> <{to_iri(source)}> ; "
        f"<{V.TARGET}> <{to_iri(target)}> ; <{V.RELATION_P}> ?rel }}")
    return sorted(row["rel"].rsplit("#", 1)[-1] for row in rows)


def _strengths(store: EmbeddedStore, source: str, target: str) -> list[str]:
    node = to_iri(mapping_id(source, target))
    rows = store.select(f"SELECT ?s WHERE {{ <{node}> <{V.STRENGTH}> ?s }}")
    return sorted(row["s"] for row in rows)


def test_commit_replan_history_and_revert(store: EmbeddedStore, tmp_path: Path) -> None:
    data = F.legal_team_workbook()
    result, base = plan_against_store(store, data, "crosswalk.xlsx", who="ana@example.com",
                                      now=NOW)
    assert result.ok and not result.empty, result.summary_text()
    done = commit_plan(store, result, base, record_dir=tmp_path / "imports")
    assert done.revision == base + 1
    assert done.rewritten_graphs == (SHIPPED,)  # the changed mapping left the shipped graph
    assert store.head().graphs.keys() == {SHIPPED, result.graph}
    assert _relations(store, "euaia:art-9", "ctrl:RM-001") == ["intersects"]  # one, not two
    assert _strengths(store, "euaia:art-9", "ctrl:RM-001") == ["7"]
    assert _relations(store, "euaia:art-10", "ctrl:DG-002") == ["subset"]
    record = json.loads((tmp_path / "imports" / f"{result.import_id}.json").read_text())
    assert record["revision"] == done.revision

    again, base2 = plan_against_store(store, data, "crosswalk.xlsx", who="ana@example.com")
    assert again.ok and again.empty, again.summary_text()
    with pytest.raises(ImportRefused) as refused:
        commit_plan(store, again, base2)
    assert refused.value.status == 409
    with pytest.raises(ImportRefused) as refused:
        commit_plan(store, result, base)  # stale: the head moved
    assert refused.value.status == 409

    history = import_history(store)
    assert [(h.import_id, h.revision, h.file_name, h.added, h.changed) for h in history] == [
        (result.import_id, done.revision, "crosswalk.xlsx", 8, 1)]

    reverted = revert_import(store, result.import_id, "ana@example.com")
    assert reverted.graphs == store.revision(base).graphs
    assert _relations(store, "euaia:art-10", "ctrl:DG-002") == []
    assert _strengths(store, "euaia:art-9", "ctrl:RM-001") == ["6"]
    assert import_history(store)[0].reverted_in == reverted.number
    with pytest.raises(ImportRefused) as refused:
        revert_import(store, result.import_id, "ana@example.com")
    assert refused.value.status == 409
    with pytest.raises(ImportRefused) as refused:
        revert_import(store, "no-such-import", "ana@example.com")
    assert refused.value.status == 404


def test_revert_refused_when_a_later_import_touched_the_same_graph(
        store: EmbeddedStore) -> None:
    first_file = F.simple_workbook({"mappings": [("Source", "Target", "Relation"),
                                                 ("euaia:art-9", "ctrl:DG-002", "subset")]})
    first, base = plan_against_store(store, first_file, "one.xlsx", who="a")
    commit_plan(store, first, base)
    second_file = F.simple_workbook({"mappings": [("Source", "Target", "Relation"),
                                                  ("euaia:art-9", "ctrl:DG-002", "equal")]})
    second, base = plan_against_store(store, second_file, "two.xlsx", who="b",
                                      now=NOW + dt.timedelta(seconds=1))
    done = commit_plan(store, second, base)
    assert first.graph in done.rewritten_graphs
    with pytest.raises(ImportRefused) as refused:
        revert_import(store, first.import_id, "a")
    assert refused.value.status == 409 and str(done.revision) in refused.value.message
    revert_import(store, second.import_id, "b")
    revert_import(store, first.import_id, "a")
    assert _relations(store, "euaia:art-9", "ctrl:DG-002") == []


def test_commit_refuses_plans_with_errors(store: EmbeddedStore) -> None:
    result, base = plan_against_store(store, F.errors_workbook(), "bad.xlsx", who="a")
    with pytest.raises(ImportRefused) as refused:
        commit_plan(store, result, base)
    assert refused.value.status == 422 and len(refused.value.details) == 12
    assert store.head().number == base


def test_commit_validates_small_imports_with_shacl(store: EmbeddedStore) -> None:
    data = F.simple_workbook({"mappings": [("Source", "Target", "Relation", "Strength"),
                                           ("euaia:art-9", "ctrl:DG-002", "subset", 3)]})
    result, base = plan_against_store(store, data, "small.xlsx", who="a")
    done = commit_plan(store, result, base, ontology_dir=REPO / "ontology")
    assert done.shacl_checked
    assert _relations(store, "euaia:art-9", "ctrl:DG-002") == ["subset"]


def test_import_against_the_shipped_content(tmp_path: Path) -> None:
    """Change a shipped mapping and a shipped gate threshold; the graph model sees one
    mapping with the new values, and revert brings the shipped ones back."""
    from crossgate.graph.loader import load_shipped
    from crossgate.graph.model import load_model

    shipped = EmbeddedStore(tmp_path / "graph")
    try:
        load_shipped(shipped, REPO / "ontology", REPO / "crosswalks")
        data = F.simple_workbook({
            "mappings": [("Source", "Target", "Relation", "Strength"),
                         ("ctrl:CHM-004", "ctrl:CHM-002", "intersects", 6)],
            "gate_profile": [("Gate", "Entry", "Item", "Metric", "Max"),
                             ("deployment", "threshold", "ev:evaluation_results",
                              "hallucination_rate", 0.03)]})
        result, base = plan_against_store(shipped, data, "edit.xlsx", who="ana")
        assert result.ok, result.summary_text()
        assert [(i["kind"], i["id"]) for i in result.diff["changed"]] == [
            ("mapping", "map:ctrl-CHM-004--ctrl-CHM-002"),
            ("gate", "gate:deployment-threshold-hallucination-rate")]
        commit_plan(shipped, result, base, ontology_dir=REPO / "ontology")

        def state() -> tuple[list[tuple[Any, ...]], list[Any]]:
            model = load_model(shipped, shipped.head().number)
            found = [(m.relation, m.strength, m.rationale is not None) for m in model.mappings
                     if (m.source, m.target) == ("ctrl:CHM-004", "ctrl:CHM-002")]
            return found, model.profiles["deployment"]["thresholds"]  # type: ignore[return-value]

        assert state() == ([("intersects", 6, True)], [
            {"item": "ev:evaluation_results", "metric": "hallucination_rate", "max": 0.03}])
        again, _ = plan_against_store(shipped, data, "edit.xlsx", who="ana")
        assert again.empty
        revert_import(shipped, result.import_id, "ana")
        assert state() == ([("subset", 5, True)], [
            {"item": "ev:evaluation_results", "metric": "hallucination_rate", "max": 0.05}])
    finally:
        shipped.close()
