"""Workbooks, CSV files, OSCAL catalogs and zip bombs for the import tests and benchmark.

Every builder returns bytes (or writes a path) of a real file written with xlsxwriter or
openpyxl, so the import code reads exactly what Excel users upload.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import openpyxl
import xlsxwriter

from crossgate.sheets.model import KnownState

# ---------------------------------------------------------------------------------------------
# The graph state most tests start from


def known_state() -> KnownState:
    frameworks = {
        "fw:eu-ai-act": {"title": "EU AI Act", "jurisdiction": "EU"},
        "fw:ctrl": {"title": "crossgate control library"},
        "fw:iso42001": {"title": "ISO/IEC 42001:2023"},
    }
    requirements = {
        "euaia:art-9": {"title": "Risk management system", "framework": "fw:eu-ai-act",
                        "kind": "obligation", "legal_status": "in_force",
                        "applies_from": "2027-12-02", "roles": ("provider",)},
        "euaia:art-10": {"title": "Data governance", "framework": "fw:eu-ai-act",
                         "kind": "obligation"},
        "euaia:art-12": {"title": "Record keeping", "framework": "fw:eu-ai-act",
                         "kind": "obligation"},
        "euaia:art-26": {"title": "Deployer obligations", "framework": "fw:eu-ai-act",
                         "kind": "obligation"},
        "euaia:art-26-6": {"title": "Deployers keep logs", "framework": "fw:eu-ai-act",
                           "kind": "obligation", "part_of": "euaia:art-26"},
        "ctrl:RM-001": {"title": "Risk register", "framework": "fw:ctrl", "kind": "control"},
        "ctrl:DG-002": {"title": "Dataset review", "framework": "fw:ctrl", "kind": "control"},
        "ctrl:LOG-003": {"title": "Log retention", "framework": "fw:ctrl", "kind": "control"},
        "iso42001:6.1.2": {"title": "AI risk assessment", "framework": "fw:iso42001",
                           "kind": "control"},
        "iso42001:A.6.2.8": {"title": "Event logs", "framework": "fw:iso42001",
                             "kind": "control"},
    }
    mappings = {
        ("euaia:art-9", "ctrl:RM-001"): {"relation": "intersects", "strength": 6},
        ("euaia:art-12", "ctrl:LOG-003"): {"relation": "subset"},
    }
    return KnownState(frameworks=frameworks, requirements=requirements, mappings=mappings,
                      other_ids={"ev:risk_classification", "ev:evaluation_results"})


# ---------------------------------------------------------------------------------------------
# xlsx helpers


def xlsx_bytes(build: Callable[[xlsxwriter.Workbook], None]) -> bytes:
    stream = io.BytesIO()
    workbook = xlsxwriter.Workbook(stream, {"in_memory": True})
    build(workbook)
    workbook.close()
    return stream.getvalue()


def simple_workbook(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    """One sheet per key, rows written from A1 as given (None leaves a cell empty)."""
    def build(workbook: xlsxwriter.Workbook) -> None:
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for name, rows in sheets.items():
            sheet = workbook.add_worksheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, dt.date):
                        sheet.write_datetime(r, c, value, date_format)
                    else:
                        sheet.write(r, c, value)
    return xlsx_bytes(build)


def mapping_rows_workbook(rows: Iterable[Sequence[Any]], *, constant_memory: bool = False,
                          path: str | None = None) -> bytes | None:
    """A `mappings` sheet with the template's headers and the given rows."""
    header = ("Source", "Targets", "Relation", "Strength", "Rationale", "Rationale type")
    target: Any = path or io.BytesIO()
    options = {"constant_memory": True} if constant_memory else {"in_memory": True}
    workbook = xlsxwriter.Workbook(target, options)
    sheet = workbook.add_worksheet("mappings")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return None if path else target.getvalue()


def legal_team_workbook() -> bytes:
    """A mapping workbook the way a legal team keeps one.

    Sheet "EU AI Act crosswalk": two title rows, a blank row, a header row whose "Target(s)"
    header is merged over two columns (C:D), mixed-case headers with trailing spaces and a
    '*', a Notes column, a section heading row, a source merged down over two rows, targets
    separated by ';' and by a line break, a strength computed by a formula (cached value
    written by xlsxwriter), a strength written as 8.0.
    Sheet "Obligations": requirements with dates as real dates, ISO strings, "2 August 2026"
    and an Excel serial number, and a legal status in words.
    """
    def build(workbook: xlsxwriter.Workbook) -> None:
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
        merge = workbook.add_format({"bold": True, "align": "center"})
        sheet = workbook.add_worksheet("EU AI Act crosswalk")
        sheet.write(0, 0, "EU AI Act to internal controls crosswalk", bold)
        sheet.write(1, 0, "Owner: Legal & Compliance, reviewed 2026-10-01")
        # header on row 4 (index 3)
        sheet.write(3, 0, "  Source ID ", bold)
        sheet.write(3, 1, "RELATIONSHIP*", bold)
        sheet.merge_range(3, 2, 3, 3, "Target(s)", merge)
        sheet.write(3, 4, "Strength of Relationship:", bold)
        sheet.write(3, 5, "Justification", bold)
        sheet.write(3, 6, "Notes", bold)
        # row 5: section heading, one cell
        sheet.write(4, 0, "Chapter III - High-risk AI systems")
        # row 6: two targets separated by ';'
        sheet.write_row(5, 0, ("euaia:art-9", "Intersects-With", "ctrl:RM-001; ctrl:DG-002",
                               None, 7.0, "Both require a documented risk process",
                               "check with DPO"))
        # rows 7-8: source merged down; second target column used; strength by formula
        sheet.merge_range(6, 0, 7, 0, "euaia:art-10")
        sheet.write_row(6, 1, ("subset of", "ctrl:DG-002"))
        sheet.write_formula(6, 4, "=4+4", None, 8)
        sheet.write_row(7, 1, ("related", None, "iso42001:6.1.2"))
        sheet.write(7, 4, "")
        # row 9: targets separated by a line break, strength 8.0
        sheet.write_row(8, 0, ("euaia:art-26-6", "equal to", "ctrl:LOG-003\niso42001:A.6.2.8",
                               None, 8.0, None, "two targets, one per line"))
        # rows 10-11: blank, then a note in the Notes column only
        sheet.write(10, 6, "remaining articles to be mapped in Q1")

        req = workbook.add_worksheet("Obligations")
        req.write(0, 0, "Obligations tracked by Legal", bold)
        req.write_row(2, 0, ("Requirement ID", "Title ", "Framework", "Legal Status",
                             "Effective Date", "Applies to", "Actor", "Jurisdiction(s)",
                             "Reference", "Notes"), bold)
        req.write_row(3, 0, ("euaia:art-27", "Fundamental rights impact assessment",
                             "fw:eu-ai-act", "Upcoming"))
        req.write_datetime(3, 4, dt.datetime(2027, 12, 2), date_format)
        req.write_row(3, 6, ("deployer", "EU", "Art. 27"))
        req.write_row(4, 0, ("euaia:art-50-1", "Tell people they talk to an AI",
                             "EU AI Act", "in force", "2 August 2026", None,
                             "provider; deployer", "EU", "Art. 50(1)"))
        req.write_row(5, 0, ("euaia:art-9", None, None, "In force", "2027-12-02"))
        req.write_row(6, 0, ("euaia:art-4", "AI literacy", "fw:eu-ai-act", "in_force"))
        req.write_number(6, 4, 45690)  # Excel serial number for 2025-02-02
        req.write(6, 8, "Art. 4")
    return xlsx_bytes(build)


def errors_workbook() -> bytes:
    """A mappings sheet with one mistake per row, and a requirements sheet with bad values."""
    return simple_workbook({
        "mappings": [
            ("Source", "Target", "Relation", "Strength", "Rationale"),
            ("euaia:art-9", "ctrl:RM-001", "subsett", 5, None),             # 2 relation
            ("euaia:art-9", "ctrl:DG-002", "subset", 7.5, None),            # 3 strength
            ("euaia:art-9", "ctrl:NOPE-1", "subset", 3, None),              # 4 unknown id
            ("EU AI Act Art 9", "ctrl:DG-002", "subset", 3, None),          # 5 malformed
            ("euaia:art-10", "euaia:art-10", "equal", 10, None),           # 6 self
            ("euaia:art-10", "ctrl:DG-002", "subset", 4, None),            # 7 ok
            ("euaia:art-10", "ctrl:DG-002", "superset", 4, None),          # 8 conflict
            ("euaia:art-12", "ctrl:LOG-003", "subset", 11, None),           # 9 strength
            ("euaia:art-12", "iso42001:a.6.2.8", "intersects", None, None),  # 10 case
            ("euaia:art-26-6", "ctrl:LOG-003", "equal", 9, "same"),        # 11 ok
            ("euaia:art-26-6", "ctrl:LOG-003", "equal", 9, "same"),        # 12 exact dup
        ],
        "requirements": [
            ("ID", "Title", "Framework", "Legal status", "Applies from"),
            ("euaia:art-99", "Imaginary", "fw:eu-ai-act", "in-ish force", "2027-12-02"),
            ("euaia:art-98", "Imaginary too", "fw:eu-ai-act", "upcoming", "31/31/2027"),
            ("euaia:art-97", None, "fw:eu-ai-act", "upcoming", None),
        ],
    })


def missing_column_workbook() -> bytes:
    return simple_workbook({"mappings": [("Source", "Target", "Strength"),
                                         ("euaia:art-9", "ctrl:RM-001", 5)]})


def csv_bytes(rows: Sequence[Sequence[Any]], delimiter: str = ",", bom: bool = False,
              encoding: str = "utf-8") -> bytes:
    import csv
    stream = io.StringIO(newline="")
    csv.writer(stream, delimiter=delimiter).writerows(rows)
    data = stream.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


# ---------------------------------------------------------------------------------------------
# CISO Assistant v2 libraries (layout of intuitem's convert_library_v2 / prepare_mapping_v2)


def _key_values(sheet: Any, pairs: Sequence[tuple[str, str]]) -> None:
    for key, value in pairs:
        sheet.append([key, value])


def ciso_framework_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _key_values(workbook.create_sheet("library_meta"), [
        ("type", "library"), ("urn", "urn:example:risk:library:demo-ai"), ("version", "1"),
        ("locale", "en"), ("ref_id", "demo-ai"), ("name", "Demo AI framework"),
        ("description", "A small framework for tests"), ("copyright", "none"),
        ("provider", "Example Org"), ("packager", "example")])
    _key_values(workbook.create_sheet("framework_meta"), [
        ("type", "framework"), ("urn", "urn:example:risk:framework:demo-ai"),
        ("ref_id", "demo-ai"), ("name", "Demo AI framework"),
        ("description", "A small framework"), ("base_urn", "urn:example:risk:req_node:demo-ai")])
    content = workbook.create_sheet("framework_content")
    content.append(["assessable", "depth", "ref_id", "name", "description"])
    content.append([None, 1, "GOV", "Governance", None])
    content.append(["x", 2, "GOV 1", "Policy", "An AI policy exists"])
    content.append(["x", 3, "GOV 1.1", "Policy review", "Reviewed yearly"])
    content.append([None, 2, None, "Heading without ref_id", None])
    content.append(["x", 3, "GOV 2", "Roles", "Roles are assigned"])
    content.append([None, 1, "MAP", "Mapping", None])
    content.append(["x", 2, "MAP 1", "Context", "Context is known"])
    return _save(workbook)


def ciso_mapping_workbook(with_sides: bool = True, rows: Sequence[Sequence[Any]] | None = None,
                          ) -> bytes:
    """A requirement mapping set from demo-ai to the test graph's iso42001 (whose prefix the
    test maps with prefix_map) as prepare_mapping_v2 lays it out, filled in."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    _key_values(workbook.create_sheet("library_meta"), [
        ("type", "library"), ("urn", "urn:example:risk:library:mapping-demo-ai-and-iso42001"),
        ("version", "1"), ("locale", "en"), ("ref_id", "mapping-demo-ai-and-iso42001"),
        ("name", "demo-ai <-> iso42001"), ("description", "Mapping"), ("copyright", "none"),
        ("provider", "Example Org"), ("packager", "example")])
    _key_values(workbook.create_sheet("mappings_meta"), [
        ("type", "requirement_mapping_set"),
        ("urn", "urn:example:risk:req_mapping_set:mapping-demo-ai-and-iso42001"),
        ("ref_id", "mapping-demo-ai-and-iso42001"), ("name", "demo-ai <-> iso42001"),
        ("description", "Mapping between Demo AI and ISO 42001"),
        ("source_framework_urn", "urn:example:risk:framework:demo-ai"),
        ("target_framework_urn", "urn:intuitem:risk:framework:iso42001-2023"),
        ("source_node_base_urn", "urn:example:risk:req_node:demo-ai"),
        ("target_node_base_urn", "urn:intuitem:risk:req_node:iso42001-2023")])
    content = workbook.create_sheet("mappings_content")
    content.append(["source_node_id", "target_node_id", "relationship", "rationale",
                    "strength_of_relationship"])
    for row in rows if rows is not None else [
            ("gov-1", "6.1.2", "intersect", "semantic", 6),
            ("gov-1.1", "6.1.2", "subset", "syntactic", None),
            ("gov-2", "a.6.2.8", "not_related", None, 0),
            ("map-1", None, None, None, None)]:
        content.append(list(row))
    guidelines = workbook.create_sheet("guidelines")
    guidelines.append(["source_node_id", "use the last segment of the source URN"])
    if with_sides:
        source = workbook.create_sheet("source")
        source.append(["node_id", "assessable", "urn", "ref_id", "name", "description"])
        source.append([None, False, "urn:example:risk:req_node:demo-ai:gov", "GOV",
                       "Governance", None])
        for node, ref, name in (("gov-1", "GOV 1", "Policy"),
                                ("gov-1.1", "GOV 1.1", "Policy review"),
                                ("gov-2", "GOV 2", "Roles"), ("map-1", "MAP 1", "Context")):
            source.append([node, True, f"urn:example:risk:req_node:demo-ai:{node}", ref, name,
                           None])
        target = workbook.create_sheet("target")
        target.append(["node_id", "assessable", "urn", "ref_id", "name", "description"])
        target.append(["6.1.2", True, "urn:intuitem:risk:req_node:iso42001-2023:6.1.2",
                       "6.1.2", "AI risk assessment", None])
    return _save(workbook)


def _save(workbook: openpyxl.Workbook) -> bytes:
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# ---------------------------------------------------------------------------------------------
# OSCAL


def oscal_catalog() -> bytes:
    catalog = {"catalog": {
        "uuid": "8b0a6c43-2f4e-4a8d-9f3e-5d6e7f809a1b",
        "metadata": {"title": "Demo Security Catalog", "version": "1.0",
                     "oscal-version": "1.2.0", "last-modified": "2026-11-01T00:00:00Z",
                     "parties": [{"uuid": "0d3c5b1e-0000-4000-8000-000000000001",
                                  "type": "organization", "name": "Example Standards Body"}]},
        "groups": [{
            "id": "ac", "class": "family", "title": "Access Control",
            "controls": [{
                "id": "ac-1", "class": "control", "title": "Policy and Procedures",
                "props": [{"name": "label", "value": "AC-1"}],
                "parts": [{"id": "ac-1_smt", "name": "statement", "parts": [
                    {"id": "ac-1_smt.a", "name": "item",
                     "props": [{"name": "label", "value": "a."}],
                     "prose": "Develop a policy for {{ insert: param, ac-1_prm_1 }}."}]},
                    {"id": "ac-1_gdn", "name": "guidance", "prose": "Not imported."}],
                "controls": [{
                    "id": "ac-1.1", "class": "control", "title": "Automation",
                    "props": [{"name": "label", "value": "AC-1(1)"}],
                    "parts": [{"id": "ac-1.1_smt", "name": "statement",
                               "prose": "Automate it."}]}],
            }, {
                "id": "ac-2", "title": "Account Management",
                "props": [{"name": "label", "value": "AC-2"},
                          {"name": "status", "value": "withdrawn"}]}],
        }],
        "controls": [{"id": "top-1", "title": "A control outside any group"}],
    }}
    return json.dumps(catalog, indent=2).encode()


# ---------------------------------------------------------------------------------------------
# Zip bombs


def _raw_zip(entries: Sequence[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from (name, deflated bytes, declared uncompressed size, crc) entries."""
    body = io.BytesIO()
    central = io.BytesIO()
    for name, compressed, size, crc in entries:
        offset = body.tell()
        encoded = name.encode()
        body.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc,
                               len(compressed), size, len(encoded), 0))
        body.write(encoded)
        body.write(compressed)
        central.write(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0,
                                  crc, len(compressed), size, len(encoded), 0, 0, 0, 0, 0,
                                  offset))
        central.write(encoded)
    directory = central.getvalue()
    start = body.tell()
    body.write(directory)
    body.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                           len(directory), start, 0))
    return body.getvalue()


def _deflate_zeros(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


def zip_bomb_declared(size: int = 1024 * 1024 * 1024) -> bytes:
    """An "xlsx" whose sheet honestly declares `size` bytes of zeros (1 GiB by default)."""
    compressed = _deflate_zeros(64 * 1024 * 1024)  # the declared size is what is checked
    return _raw_zip([("[Content_Types].xml", zlib.compress(b"<Types/>")[2:-4], 8, 0),
                     ("xl/worksheets/sheet1.xml", compressed, size, 0)])


def zip_bomb_lying() -> bytes:
    """A sheet that declares 4 KB but inflates to 64 MB."""
    compressed = _deflate_zeros(64 * 1024 * 1024)
    return _raw_zip([("xl/worksheets/sheet1.xml", compressed, 4096, 0)])


def zip_many_entries(count: int = 5_000) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for index in range(count):
            archive.writestr(f"xl/media/e{index}.txt", b"")
    return stream.getvalue()
