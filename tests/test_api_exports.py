"""Crosswalk exports over HTTP and the CLI, the view they are written from, and the round trip
export -> import: a crossgate export uploaded back changes nothing.

The shipped content maps the control library (fw:crossgate-controls) to the EU AI Act
(fw:eu-ai-act), with chains through other controls that give derived mappings.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from crossgate.graph.coverage import crosswalk_of
from crossgate.graph.model import GraphModel, Mapping, Requirement
from crossgate.graph.view import GraphView
from crossgate.sheets.crosswalk_view import UnknownFramework, crosswalk_view, natural_key
from crossgate.sheets.export_csvjson import write_crosswalk_csv
from crossgate.sheets.export_matrix import write_crosswalk_xlsx
from crossgate.sheets.export_model import (
    DETAIL_COLUMNS,
    PATH_SEPARATOR,
    CrosswalkMapping,
    CrosswalkView,
    Framework,
    neutralise,
)
from crossgate.sheets.export_model import Requirement as Req
from crossgate.sheets.model import KnownState
from crossgate.sheets.plan import plan_import
from tests.conftest import REPO, LiveServer, seeded_store

SOURCE, TARGET = "fw:crossgate-controls", "fw:eu-ai-act"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(server: LiveServer, fmt: str, role: str = "auditor", **params: str):
    return server.client(role).get("/v1/exports/crosswalk", params={
        "source": SOURCE, "target": TARGET, "format": fmt, **params})


def dry_run(server: LiveServer, name: str, data: bytes) -> dict:
    response = server.client("legal").post("/v1/imports", params={"dry_run": "true"},
                                           files={"file": (name, data)})
    assert response.status_code == 200, response.text
    return response.json()


def assert_no_change(plan: dict) -> None:
    assert plan["errors"] == []
    assert plan["diff"] == {"added": [], "changed": [], "removed": []}
    assert not any("column not used" in w["message"] or "not read" in w["message"]
                   for w in plan["warnings"]), plan["warnings"]


# ---------------------------------------------------------------------------------------------
# HTTP, on the shared server


def test_xlsx_export(server: LiveServer) -> None:
    response = export(server, "xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == (
        'attachment; filename="crosswalk_crossgate-controls_eu-ai-act.xlsx"')
    assert int(response.headers["content-length"]) == len(response.content)
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["matrix", "legend", "detail", "coverage"]
    matrix, detail, coverage = book["matrix"], book["detail"], book["coverage"]
    assert matrix.freeze_panes == "C3"
    assert detail.freeze_panes == "A2" and coverage.freeze_panes == "A2"
    rows = {matrix.cell(r, 1).value: r for r in range(3, matrix.max_row + 1)}
    cols = {matrix.cell(1, c).value: c for c in range(3, matrix.max_column + 1)}
    assert list(rows) == sorted(rows, key=natural_key) and "ctrl:CHM-002" in rows
    assert list(cols) == sorted(cols, key=natural_key) and "euaia:art-16" in cols
    assert matrix.cell(rows["ctrl:CHM-002"], cols["euaia:art-16"]).value == "⊆ 4"
    # ctrl:CHM-003 is a subset of ctrl:CHM-002, which is a subset of Art. 16: derived
    assert matrix.cell(rows["ctrl:CHM-003"], cols["euaia:art-16"]).value == "⊆ 4*"
    assert matrix.cell(rows["ctrl:CHM-003"], cols["euaia:art-16"]).font.i
    header = [c.value for c in detail[1]]
    assert tuple(header) == DETAIL_COLUMNS
    records = [dict(zip(header, (c.value for c in row), strict=True))
               for row in detail.iter_rows(min_row=2)]
    derived = [r for r in records if r["derived"] == "yes"]
    assert derived and all(r["path"].count(PATH_SEPARATOR) >= 2 for r in derived)
    assert {"source": "ctrl:CHM-003", "target": "euaia:art-16"}.items() <= next(
        r for r in derived if r["source"] == "ctrl:CHM-003").items()
    authored = [r for r in records if r["derived"] == "no"]
    assert authored and all(r["author"] and not r["path"] for r in authored)
    assert [c.value for c in coverage[1]] == ["requirement", "title", "full", "partial",
                                              "none", "status"]
    assert coverage.max_row - 1 == len(rows)
    legend = " ".join(str(c.value) for row in book["legend"].iter_rows() for c in row if c.value)
    assert "fw:crossgate-controls" in legend and "fw:eu-ai-act" in legend


def test_csv_json_and_oscal_exports(server: LiveServer) -> None:
    response = export(server, "csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(rows[0]) == DETAIL_COLUMNS
    derived = [r for r in rows if r["derived"] == "yes"]
    assert derived and all(PATH_SEPARATOR in r["path"] for r in derived)
    assert export(server, "csv", bom="true").content.startswith(b"\xef\xbb\xbf")

    response = export(server, "json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    doc = response.json()
    assert doc["source"]["id"] == SOURCE and doc["target"]["id"] == TARGET
    assert doc["revision"] == response.headers["x-crossgate-revision"]
    assert len(doc["mappings"]) == len(rows)
    assert doc["counts"] == {"mappings": len(rows), "derived": len(derived)}
    for m in doc["mappings"]:
        assert m["derived"] == (len(m["path"]) >= 3)
    assert {r["id"] for r in doc["coverage"]} == {r["id"] for r in doc["source_requirements"]}
    no_derived = export(server, "json", derived="false").json()
    assert no_derived["counts"] == {"mappings": len(rows) - len(derived), "derived": 0}

    response = export(server, "oscal")
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('.oscal.json"')
    collection = response.json()["mapping-collection"]
    assert collection["metadata"]["oscal-version"] == "1.2.0"
    methods = [m["method"] for m in collection["mappings"]]
    assert methods == ["human", "automation"]
    relationships = {map_["relationship"] for m in collection["mappings"] for map_ in m["maps"]}
    assert relationships <= {"equal-to", "superset-of", "subset-of", "intersects-with",
                             "no-relationship"}
    paths = [p for map_ in collection["mappings"][1]["maps"] for p in map_.get("props", [])
             if p["name"] == "path"]
    assert len(paths) == len(collection["mappings"][1]["maps"]) == len(derived)


def test_export_errors_and_roles(server: LiveServer) -> None:
    response = server.client("auditor").get("/v1/exports/crosswalk", params={
        "source": "fw:nope", "target": TARGET, "format": "csv"})
    # an unknown framework is an unknown filter value: 422 naming the parameter, listing the
    # known frameworks
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "source"
    assert "fw:nope" in response.json()["message"] and SOURCE in response.json()["message"]
    response = export(server, "pdf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "format"
    for role in ("legal", "analyst"):
        assert export(server, "csv", role).status_code == 200
    assert export(server, "csv", "ci").status_code == 403
    assert server.client().get("/v1/exports/crosswalk", params={
        "source": SOURCE, "target": TARGET}).status_code == 401
    # the shipped mappings run from the controls to the Act: the other way round is empty,
    # which OSCAL (at least one map) cannot express
    swapped = {"source": TARGET, "target": SOURCE}
    response = server.client("auditor").get("/v1/exports/crosswalk", params={
        **swapped, "format": "oscal"})
    assert response.status_code == 404 and "OSCAL" in response.json()["message"]
    response = server.client("auditor").get("/v1/exports/crosswalk", params={
        **swapped, "format": "json"})
    assert response.status_code == 200 and response.json()["mappings"] == []


def test_exports_import_back_without_change(server: LiveServer) -> None:
    """The exported workbook and csv, uploaded as they are: no error and an empty diff."""
    data = export(server, "xlsx").content
    plan = dry_run(server, "crosswalk.xlsx", data)
    assert_no_change(plan)
    book = openpyxl.load_workbook(io.BytesIO(data))
    derived = sum(1 for row in book["detail"].iter_rows(min_row=2, values_only=True)
                  if row[DETAIL_COLUMNS.index("derived")] == "yes")
    assert plan["counts"]["mappings"] == book["detail"].max_row - 1 - derived
    assert [w["message"] for w in plan["warnings"]] == [
        next(w["message"] for w in plan["warnings"] if "marked derived" in w["message"])]
    assert_no_change(dry_run(server, "crosswalk.csv", export(server, "csv").content))


# ---------------------------------------------------------------------------------------------
# Round trip of text a spreadsheet would run as a formula, on a server of its own


def test_formula_like_text_round_trips(fresh_server: LiveServer, tmp_path: Path) -> None:
    server = fresh_server
    rationales = {"euaia:art-4": '=HYPERLINK("http://example.com","click")',
                  "euaia:art-5": "-2 steps from the fallback",
                  "euaia:art-9": "@ops owns this",
                  "euaia:art-10": "'=already quoted"}
    path = tmp_path / "tricky.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    sheet = book.add_worksheet("mappings")
    sheet.write_row(0, 0, ("Source", "Targets", "Relation", "Strength", "Rationale"))
    for r, (target, rationale) in enumerate(rationales.items(), start=1):
        sheet.write_row(r, 0, ("ctrl:OPS-001", target, "related", 2))
        sheet.write_string(r, 4, neutralise(rationale))  # as a crossgate export writes it
    book.close()
    response = server.client("legal").post("/v1/imports", files={"file": (
        path.name, path.read_bytes())})
    assert response.status_code == 201, response.text
    stored = {m["target"]: m["rationale"] for m in server.client("analyst").get(
        "/v1/requirements/ctrl:OPS-001").json()["outgoing"]}
    assert {t: stored[t] for t in rationales} == rationales

    data = export(server, "xlsx").content
    detail = openpyxl.load_workbook(io.BytesIO(data))["detail"]
    shown = {row[1]: row[4] for row in detail.iter_rows(min_row=2, values_only=True)
             if row[0] == "ctrl:OPS-001"}
    assert {t: shown[t] for t in rationales} == {t: neutralise(r) for t, r in rationales.items()}
    assert shown["euaia:art-4"].startswith("'=")
    assert_no_change(dry_run(server, "crosswalk.xlsx", data))
    assert_no_change(dry_run(server, "crosswalk.csv", export(server, "csv").content))


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_export_crosswalk(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(seeded_store() / "graph", data_dir / "graph")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crossgate.cli", "export", "crosswalk",
                               "--source", SOURCE, *args, "--data-dir", str(data_dir)],
                              capture_output=True, text=True, timeout=120)

    out = tmp_path / "crosswalk.xlsx"
    done = run("--target", TARGET, "--format", "xlsx", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "derived" in done.stdout and str(out) in done.stdout
    assert openpyxl.load_workbook(out).sheetnames == ["matrix", "legend", "detail", "coverage"]
    out = tmp_path / "crosswalk.oscal.json"
    done = run("--target", TARGET, "--format", "oscal", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["mapping-collection"]["mappings"]
    done = run("--target", "fw:nope", "--format", "csv", "-o", str(tmp_path / "x.csv"))
    assert done.returncode == 2 and "no framework 'fw:nope'; known: " in done.stderr
    assert not (tmp_path / "x.csv").exists()


# ---------------------------------------------------------------------------------------------
# The view (no server): derived mappings, order, coverage


def _model() -> GraphView:
    def req(short_id: str, framework: str) -> Requirement:
        return Requirement(short_id, "https://example.org/" + short_id, "control",
                           short_id.upper(), None, None, framework, None, "in_force", None,
                           None, None)

    requirements = {r.id: r for r in (
        req("a:10", "fw:a"), req("a:2", "fw:a"), req("a:1", "fw:a"),
        req("b:1", "fw:b"), req("b:2", "fw:b"), req("b:3", "fw:b"), req("m:1", "fw:m"))}
    edges = [("a:1", "m:1", "equal", 8), ("m:1", "b:1", "equal", 6),
             ("a:2", "m:1", "superset", 9), ("m:1", "b:2", "subset", 7),
             ("m:1", "b:3", "intersects", None), ("a:10", "b:2", "subset", 5),
             ("b:2", "a:1", "equal", 10), ("a:2", "b:3", "related", 1)]
    mappings = [Mapping(f"https://example.org/map/{s}-{t}", s, t, rel, strength,
                        rationale=f"{s} to {t}", author="someone")
                for s, t, rel, strength in edges]
    model = GraphModel(7, {"fw:a": {"title": "A"}, "fw:b": {"title": "B"},
                           "fw:m": {"title": "M"}}, requirements, {}, mappings, {})
    return GraphView(7, model, crosswalk_of(model))


def test_crosswalk_view_derives_through_chains() -> None:
    view = crosswalk_view(_model(), "fw:a", "fw:b")
    assert [r.id for r in view.source_requirements] == ["a:1", "a:2", "a:10"]
    assert [r.id for r in view.target_requirements] == ["b:1", "b:2", "b:3"]
    assert view.source == Framework("fw:a", "A") and view.revision == "7"
    mappings = list(view.mappings)
    authored = {(m.source, m.target): m for m in mappings if not m.derived}
    # b:2 -> a:1 runs the other way: not in this view (it still carries coverage in chains)
    assert set(authored) == {("a:10", "b:2"), ("a:2", "b:3")}
    assert authored[("a:10", "b:2")].author == "someone"
    derived = {(m.source, m.target): (m.relation, m.strength, tuple(m.path))
               for m in mappings if m.derived}
    assert derived == {
        ("a:1", "b:1"): ("equal", 6, ("a:1", "m:1", "b:1")),
        ("a:1", "b:2"): ("subset", 7, ("a:1", "m:1", "b:2")),
        ("a:1", "b:3"): ("intersects", None, ("a:1", "m:1", "b:3")),
        ("a:2", "b:1"): ("superset", 6, ("a:2", "m:1", "b:1")),
        ("a:2", "b:2"): ("intersects", 7, ("a:2", "m:1", "b:2")),
        ("a:2", "b:3"): ("intersects", None, ("a:2", "m:1", "b:3")),
        ("a:10", "b:1"): ("subset", 5, ("a:10", "b:2", "a:1", "m:1", "b:1")),
        ("a:10", "b:3"): ("intersects", None, ("a:10", "b:2", "a:1", "m:1", "b:3")),
    }
    coverage = {row.id: (row.full, row.partial, row.none, row.status) for row in view.coverage
                or ()}
    assert coverage == {"a:1": (1, 2, 0, "full"), "a:2": (1, 2, 1, "full"),
                        "a:10": (0, 3, 0, "partial")}
    plain = crosswalk_view(_model(), "fw:a", "fw:b", derived=False)
    assert not any(m.derived for m in plain.mappings)
    with pytest.raises(UnknownFramework, match="known: fw:a, fw:b, fw:m"):
        crosswalk_view(_model(), "fw:a", "fw:zz")


# ---------------------------------------------------------------------------------------------
# The importer reads a crossgate export back (no server)


def _known() -> KnownState:
    return KnownState(
        frameworks={"fw:a": {"title": "A"}, "fw:b": {"title": "B"}},
        requirements={i: {"title": i, "framework": "fw:" + i[0], "kind": "control"}
                      for i in ("a:1", "a:2", "b:1", "b:2")},
        mappings={("a:1", "b:1"): {"id": "map:1", "relation": "superset", "strength": 8,
                                   "rationale": "=SUM(A1:A9) is not a formula",
                                   "rationale_type": "semantic"},
                  ("a:2", "b:2"): {"id": "map:2", "relation": "related",
                                   "rationale": "-2 is the offset; @team knows"}})


def _export_of(known: KnownState) -> CrosswalkView:
    mappings = [CrosswalkMapping(s, t, f["relation"], f.get("strength"),
                                 f.get("rationale") or "", f.get("rationale_type") or "",
                                 author="+ann", created="2026-10-01", source_doc="=file.xlsx",
                                 import_id="20261001T000000Z-abc", sheet="-x", row=3)
                for (s, t), f in known.mappings.items()]
    mappings.append(CrosswalkMapping("a:1", "b:2", "subset", 4, "derived", derived=True,
                                     path=("a:1", "b:1", "b:2")))
    return CrosswalkView(Framework("fw:a", "A"), Framework("fw:b", "B"),
                         [Req("a:1"), Req("a:2")], [Req("b:1"), Req("b:2")], mappings)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_importer_reads_an_export_back(tmp_path: Path, fmt: str) -> None:
    known = _known()
    path = tmp_path / f"crosswalk.{fmt}"
    (write_crosswalk_xlsx if fmt == "xlsx" else write_crosswalk_csv)(_export_of(known), path)
    plan = plan_import(path.read_bytes(), path.name, known)
    assert plan.errors == [] and plan.empty, plan.summary_text()
    assert plan.entry_counts["mappings"] == 2  # the derived row is skipped
    assert [(w.row, w.column, w.value) for w in plan.warnings] == [(4, "M", "yes")]
    assert "skipped 1 row (4) marked derived" in plan.warnings[0].message
    # and a changed rationale is read as written, apostrophe rule undone
    changed = _known()
    changed.mappings[("a:1", "b:1")]["rationale"] = "=SUM(A1:A8) is not a formula"
    plan = plan_import(path.read_bytes(), path.name, changed)
    assert [item["after"]["rationale"] for item in plan.diff["changed"]] == [
        "=SUM(A1:A9) is not a formula"]


def test_derived_column_and_apostrophes_in_a_users_workbook(tmp_path: Path) -> None:
    path = tmp_path / "own.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("detail")
    sheet.write_row(0, 0, ("source", "target", "relation", "rationale", "derived", "author",
                           "Import ID", "path"))
    sheet.write_row(1, 0, ("a:1", "b:2", "subset", "'=1+1", "no", "me", "", ""))
    sheet.write_row(2, 0, ("a:2", "b:1", "equal", "'quoted, not a formula", "", "me"))
    sheet.write_row(3, 0, ("a:2", "b:2", "equal", "x", "maybe"))
    sheet.write_row(4, 0, ("a:1", "b:1", "equal", "x", "YES"))
    for name in ("matrix", "legend", "coverage"):
        book.add_worksheet(name).write_row(0, 0, ("source", "target", "relation"))
    book.close()
    plan = plan_import(path.read_bytes(), path.name, _known())
    assert [(e.sheet, e.row, e.column, e.value) for e in plan.errors] == [
        ("detail", 4, "E", "maybe")]
    assert "derived must be yes or no" in plan.errors[0].message
    added = {(i["after"]["source"], i["after"]["target"]): i["after"]["rationale"]
             for i in plan.diff["added"]}
    assert added == {("a:1", "b:2"): "=1+1", ("a:2", "b:1"): "'quoted, not a formula"}
    assert [w.message for w in plan.warnings if "derived" in w.message] and not [
        w for w in plan.warnings if "not used" in w.message or "not read" in w.message]


# ---------------------------------------------------------------------------------------------
# Evidence pack: every system id the gate accepts


ODD_IDS = ["svc-🚀-émoji", "система-оценки", "名前/with slash", "line\nbreak", "nul\x00byte",
           'quote"and;semicolon', " spaced out "]


def test_evidence_pack_for_any_system_id_the_gate_accepts(fresh_server: LiveServer,
                                                          tmp_path: Path) -> None:
    """The gate records decisions for any non-empty id up to 500 characters; the pack's
    Content-Disposition (a Latin-1 header) carried the raw id and failed with a 500."""
    import urllib.parse
    import zipfile

    base = json.loads((REPO / "tests" / "fixtures" / "candidates" / "low_pass.json").read_text())
    base.pop("as_of", None)  # a recorded decision is evaluated at the server's clock
    recorded: dict[str, str] = {}
    with fresh_server.client("ci") as ci:
        for system_id in ODD_IDS:
            answer = ci.post("/v1/gate/decide",
                             json={**base, "system": {**base["system"], "id": system_id}})
            if answer.status_code == 422 and "\x00" in system_id:
                # a gate that refuses NUL (a PostgreSQL ledger cannot store it) names the id
                assert answer.json()["errors"][0]["path"] == "$.system.id"
                continue
            assert answer.status_code == 200, answer.text
            recorded[system_id] = answer.json()["decision_id"]
    assert len(recorded) >= len(ODD_IDS) - 1
    with fresh_server.client("auditor") as auditor:
        for system_id in recorded:
            stored = system_id.strip()  # the gate input strips surrounding white space
            answer = auditor.get("/v1/exports/evidence-pack", params={"system": stored})
            assert answer.status_code == 200, (system_id, answer.text)
            disposition = answer.headers["content-disposition"]
            assert disposition.isascii() and "\n" not in disposition
            exact = disposition.split("filename*=UTF-8''", 1)[1]
            assert urllib.parse.unquote(exact) == f"evidence-pack-{stored}.zip".replace("/", "_")
            fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
            assert fallback.endswith(".zip") and all(c.isalnum() or c in "._-" for c in fallback)
            pack = tmp_path / "pack.zip"
            pack.write_bytes(answer.content)
            with zipfile.ZipFile(pack) as zf:
                assert zf.testzip() is None
                manifest = json.loads(zf.read("manifest.json"))
                names = zf.namelist()
            assert manifest["system"] == stored and manifest["decisions"] == 1
            assert all(name.isascii() and ".." not in name for name in names)
            assert any(recorded[system_id] in name for name in names)


@pytest.mark.parametrize(("param", "value"), [
    ("to", "9999-12-31T23:00:00-05:00"), ("from", "0001-01-01T00:30:00+01:00"),
    ("from", "2263-01-01T00:00:00Z"), ("to", "1600-01-01T00:00:00")])
def test_evidence_pack_period_out_of_range_is_422(server: LiveServer, param: str,
                                                  value: str) -> None:
    answer = server.client("auditor").get("/v1/exports/evidence-pack",
                                          params={"system": "support-summarizer", param: value})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["path"] == param
    assert "1678" in answer.json()["message"]
