"""Imports over HTTP and the CLI, against a real `crossgate serve` and real files.

The template is downloaded from the server, filled with openpyxl and uploaded back; broken
workbooks are written with xlsxwriter. Mutating tests run on a server of their own
(fresh_server) or on a copy of the seeded store (CLI).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
import xlsxwriter

from tests.conftest import LiveServer, seeded_store

NEW = [  # (source, target, relation, strength, rationale): pairs the shipped content lacks
    ("ctrl:OPS-001", "euaia:art-4", "related", 3, "Operators of the fallback modes need training."),
    ("ctrl:SUP-001", "euaia:art-4", "intersects", 4, "=Provenance records are part of literacy"),
]


def template_bytes(server: LiveServer) -> bytes:
    response = server.client("legal").get("/v1/templates/crosswalk.xlsx")
    assert response.status_code == 200, response.text
    return response.content


def filled_template(server: LiveServer, path: Path, rows: list[tuple]) -> Path:
    """The server's template with `rows` written into its mappings sheet (openpyxl)."""
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(server)))
    sheet = book["mappings"]
    column = {str(c.value).rstrip("*").lower(): c.column for c in sheet[1] if c.value}
    for r, (source, target, relation, strength, rationale) in enumerate(rows, start=2):
        sheet.cell(r, column["source"], source)
        sheet.cell(r, column["targets"], target)
        sheet.cell(r, column["relation"], relation)
        sheet.cell(r, column["strength"], strength)
        cell = sheet.cell(r, column["rationale"])
        cell.value = rationale
        cell.data_type = "s"  # text, even when it starts with "="
    book.save(path)
    return path


def broken_workbook(path: Path) -> Path:
    """A mappings sheet with one error per row, and a requirements sheet with one more."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("mappings")
    sheet.write_row(0, 0, ("Source", "Targets", "Relation", "Strength", "Rationale"))
    sheet.write_row(1, 0, ("ctrl:OPS-001", "euaia:art-4", "subsett", 3, "typo in relation"))
    sheet.write_row(2, 0, ("ctrl:OPS-001", "euaia:art-99x", "equal", 3, "unknown target"))
    sheet.write_row(3, 0, ("ctrl:SUP-001", "euaia:art-4", "subset", 11, "strength too high"))
    sheet.write_row(4, 0, ("ctrl:SUP-001", "ctrl:SUP-001", "equal", 10, "mapped to itself"))
    sheet.write_row(5, 0, ("ctrl:SUP-001", "euaia:art-9", "equal", 9, "a valid row"))
    reqs = book.add_worksheet("requirements")
    reqs.write_row(0, 0, ("ID", "Title", "Applies from"))
    reqs.write_row(1, 0, ("ctrl:NEW-001", "A new control", "03/04/2026"))
    book.close()
    return path


def upload(server: LiveServer, path: Path, role: str = "legal",
           **params: str) -> httpx.Response:
    with server.client(role) as client:
        return client.post("/v1/imports", params=params,
                           files={"file": (path.name, path.read_bytes())})


def revision(server: LiveServer) -> int:
    return int(httpx.get(server.url + "/healthz").json()["revision"])


def outgoing(server: LiveServer, req_id: str) -> dict[str, dict]:
    response = server.client("analyst").get(f"/v1/requirements/{req_id}")
    assert response.status_code == 200, response.text
    return {m["target"]: m for m in response.json()["outgoing"]}


# ---------------------------------------------------------------------------------------------
# Read-only checks on the shared server


def test_template_download_is_the_import_template(server: LiveServer) -> None:
    for role in ("legal", "analyst", "auditor"):
        response = server.client(role).get("/v1/templates/crosswalk.xlsx")
        assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert {"README", "frameworks", "requirements", "mappings", "gate_profile"} <= set(
        book.sheetnames)
    assert server.client("ci").get("/v1/templates/crosswalk.xlsx").status_code == 403


def test_roles(server: LiveServer, tmp_path: Path) -> None:
    path = filled_template(server, tmp_path / "crosswalk.xlsx", NEW)
    for role in ("analyst", "auditor", "ci"):
        response = upload(server, path, role, dry_run="true")
        assert response.status_code == 403, (role, response.text)
        assert "legal" in response.json()["message"]
    assert httpx.post(server.url + "/v1/imports", files={"file": ("x.xlsx", b"x")}
                      ).status_code == 401
    assert server.client("analyst").get("/v1/imports").status_code == 403
    assert server.client("auditor").get("/v1/imports").status_code == 200
    assert server.client("analyst").post("/v1/imports/x/revert").status_code == 403
    assert server.client("auditor").post("/v1/imports/x/revert").status_code == 403


def test_dry_run_shows_the_diff_and_writes_nothing(server: LiveServer, tmp_path: Path) -> None:
    before = revision(server)
    path = filled_template(server, tmp_path / "crosswalk.xlsx", NEW)
    response = upload(server, path, dry_run="true")
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["ok"] and plan["errors"] == [] and plan["dry_run"] and not plan["committed"]
    added = {(i["after"]["source"], i["after"]["target"]): i for i in plan["diff"]["added"]}
    assert set(added) == {(s, t) for s, t, *_ in NEW}
    item = added[("ctrl:SUP-001", "euaia:art-4")]
    assert item["after"]["relation"] == "intersects" and item["after"]["strength"] == 4
    assert item["after"]["rationale"] == NEW[1][4]
    assert item["origin"] == {"sheet": "mappings", "row": 3}
    assert plan["diff"]["changed"] == [] and plan["diff"]["removed"] == []
    assert "2 added" in plan["summary"]
    assert revision(server) == before == plan["base_revision"]
    assert "euaia:art-4" not in outgoing(server, "ctrl:OPS-001")


def test_errors_are_located_and_nothing_is_written(server: LiveServer, tmp_path: Path) -> None:
    before = revision(server)
    path = broken_workbook(tmp_path / "broken.xlsx")
    for params in ({}, {"dry_run": "true"}):
        response = upload(server, path, **params)
        assert response.status_code == 422, response.text
        plan = response.json()
        assert not plan["ok"] and not plan["committed"]
        assert plan["code"] == "invalid_input" and plan["message"]
        errors = plan["errors"]
        for error in errors:
            assert set(error) == {"path", "sheet", "row", "column", "value", "message"}
            if error["row"] is not None and error["column"] is not None:
                assert error["path"] == f"{error['sheet']}!{error['column']}{error['row']}"
        where = {(e["sheet"], e["row"], e["column"]): e for e in errors}
        assert where[("mappings", 2, "C")]["value"] == "subsett"
        assert "unknown relation" in where[("mappings", 2, "C")]["message"]
        assert where[("mappings", 3, "B")]["value"] == "euaia:art-99x"
        assert "unknown id" in where[("mappings", 3, "B")]["message"]
        assert where[("mappings", 4, "D")]["value"] == "11"
        assert "strength" in where[("mappings", 4, "D")]["message"]
        assert any(e["sheet"] == "mappings" and e["row"] == 5 and "itself" in e["message"]
                   for e in errors)
        assert where[("requirements", 2, "C")]["value"] == "03/04/2026"
        assert "ambiguous" in where[("requirements", 2, "C")]["message"]
        # the valid row still shows in the diff: what the error-free rows would change
        assert [(i["after"]["source"], i["after"]["target"]) for i in plan["diff"]["added"]
                ] == [("ctrl:SUP-001", "euaia:art-9")]
    assert revision(server) == before


def test_oversize_upload_is_refused(server: LiveServer) -> None:
    limit = 20 * 1024 * 1024  # Settings.max_upload_bytes
    before = revision(server)
    with server.client("legal") as client:
        # declared: the multipart body is larger than the limit plus framing, refused unread
        response = client.post("/v1/imports", files={"file": ("big.csv", b"a" * (limit + 2**17))})
        assert response.status_code == 413, response.text
        assert "limit" in response.json()["message"]
        # streamed without a length: refused once the file part passes the limit

        def body() -> Iterator[bytes]:
            yield (b'--b0undary\r\nContent-Disposition: form-data; name="file"; '
                   b'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n')
            for _ in range(21):
                yield b"a" * 2**20
            yield b"\r\n--b0undary--\r\n"

        response = client.post("/v1/imports", content=body(),
                               headers={"Content-Type": "multipart/form-data; boundary=b0undary"})
        assert response.status_code == 413, response.text
        # no file at all
        response = client.post("/v1/imports", files={"other": ("x.csv", b"a,b")})
        assert response.status_code == 422
        response = client.post("/v1/imports", content=b"{}",
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 415
        response = client.post("/v1/imports", params={"mode": "upsert"},
                               files={"file": ("x.csv", b"a,b")})
        assert response.status_code == 422
    assert revision(server) == before


def test_unknown_import(server: LiveServer) -> None:
    assert server.client("auditor").get("/v1/imports/20200101T000000Z-000000000000"
                                        ).status_code == 404
    assert server.client("auditor").get("/v1/imports/..%2F..%2Ftokens").status_code == 404
    response = server.client("legal").post("/v1/imports/20200101T000000Z-000000000000/revert")
    assert response.status_code == 404
    assert "no import" in response.json()["message"]


# ---------------------------------------------------------------------------------------------
# Commit, re-import, revert on a server of its own


def test_commit_reimport_and_revert(fresh_server: LiveServer, tmp_path: Path) -> None:
    server = fresh_server
    path = filled_template(server, tmp_path / "legal crosswalk.xlsx", NEW)
    base = revision(server)

    response = upload(server, path)
    assert response.status_code == 201, response.text
    done = response.json()
    import_id = done["import_id"]
    assert done["committed"] and done["revision"] == base + 1 == revision(server)
    assert response.headers["location"] == f"/v1/imports/{import_id}"
    assert len(done["diff"]["added"]) == 2

    # the mapping is in the graph, with its provenance
    mapping = outgoing(server, "ctrl:SUP-001")["euaia:art-4"]
    assert mapping["relation"] == "intersects" and mapping["strength"] == 4
    assert mapping["rationale"] == NEW[1][4]
    assert (mapping["import_id"], mapping["sheet"], mapping["row"]) == (import_id, "mappings", 3)
    assert mapping["author"] == "test legal"
    assert mapping["source_doc"] == "legal crosswalk.xlsx"
    assert outgoing(server, "ctrl:OPS-001")["euaia:art-4"]["row"] == 2

    # history and the recorded plan
    history = server.client("auditor").get("/v1/imports").json()["imports"]
    assert history[0]["import_id"] == import_id and history[0]["author"] == "test legal"
    assert history[0]["added"] == 2 and history[0]["reverted_in"] is None
    record = server.client("auditor").get(f"/v1/imports/{import_id}").json()
    assert record["recorded"] and record["revision"] == base + 1
    assert len(record["diff"]["added"]) == 2
    assert (server.data_dir / "imports" / f"{import_id}.json").is_file()

    # the same file again: nothing changes, not an error
    again = upload(server, path)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["diff"] == {"added": [], "changed": [], "removed": []}
    assert not body["committed"] and body["revision"] == base + 1 == revision(server)
    assert "No change" in body["summary"]

    # a broken file leaves the graph alone
    assert upload(server, broken_workbook(tmp_path / "broken.xlsx")).status_code == 422
    assert revision(server) == base + 1

    # revert
    reverted = server.client("legal").post(f"/v1/imports/{import_id}/revert")
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["revision"] == base + 2 == revision(server)
    assert "euaia:art-4" not in outgoing(server, "ctrl:SUP-001")
    assert "euaia:art-4" not in outgoing(server, "ctrl:OPS-001")
    history = server.client("legal").get("/v1/imports").json()["imports"]
    assert history[0]["reverted_in"] == base + 2
    assert server.client("auditor").get(f"/v1/imports/{import_id}").json()["reverted_in"] \
        == base + 2
    twice = server.client("legal").post(f"/v1/imports/{import_id}/revert")
    assert twice.status_code == 409 and "already reverted" in twice.json()["message"]


# ---------------------------------------------------------------------------------------------
# CLI, on a copy of the seeded store


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(seeded_store() / "graph", target / "graph")
    return target


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crossgate.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_template_import_list_revert(data_dir: Path, tmp_path: Path) -> None:
    dd = ("--data-dir", str(data_dir))
    template = tmp_path / "template.xlsx"
    run = cli("template", "-o", str(template))
    assert run.returncode == 0, run.stderr
    book = openpyxl.load_workbook(template)
    sheet = book["mappings"]
    for r, (source, target, relation, strength, _) in enumerate(NEW, start=2):
        for c, value in enumerate((source, target, relation, strength), start=1):
            sheet.cell(r, c, value)
    filled = tmp_path / "filled.xlsx"
    book.save(filled)

    run = cli("import", str(filled), "--dry-run", *dd)
    assert run.returncode == 0, run.stderr
    assert "Changes: 2 added" in run.stdout and "Dry run: nothing was written" in run.stdout

    run = cli("import", str(filled), "--json", "--who", "ana@example.com", *dd)
    assert run.returncode == 0, run.stderr
    done = json.loads(run.stdout)
    assert done["committed"] and len(done["diff"]["added"]) == 2
    import_id = done["import_id"]
    assert (data_dir / "imports" / f"{import_id}.json").is_file()

    run = cli("import", "list", *dd)
    assert run.returncode == 0 and import_id in run.stdout and "ana@example.com" in run.stdout

    run = cli("import", str(filled), *dd)
    assert run.returncode == 0 and "No change" in run.stdout

    broken = broken_workbook(tmp_path / "broken.xlsx")
    run = cli("import", str(broken), *dd)
    assert run.returncode == 2
    lines = run.stderr.splitlines()
    assert "mappings!C2: unknown relation 'subsett'" in run.stderr
    assert any(line.startswith("mappings!C2: ") and line.endswith(" (subsett)") for line in lines)
    assert any(line.startswith("mappings!D4: ") and line.endswith(" (11)") for line in lines)
    assert any(line.startswith("requirements!C2: ") and line.endswith(" (03/04/2026)")
               for line in lines)
    assert "error: broken.xlsx: 5 error(s); nothing was written" in run.stderr

    run = cli("import", "revert", import_id, *dd)
    assert run.returncode == 0, run.stderr
    assert f"reverted import {import_id}" in run.stdout
    run = cli("import", "revert", import_id, *dd)
    assert run.returncode == 1 and "already reverted" in run.stderr
    listed = json.loads(cli("import", "list", "--json", *dd).stdout)
    assert listed[0]["import_id"] == import_id and listed[0]["reverted_in"] is not None


def test_csv_field_over_128_kib_is_read_not_a_500(server: LiveServer) -> None:
    """Python's csv module refuses a field over 128 KiB by default ("field larger than field
    limit", a 500 before): fields up to the upload limit are read and validated like others."""
    import csv as csv_module
    import io

    rationale = "r" * (200 * 1024)
    stream = io.StringIO()
    csv_module.writer(stream).writerows([
        ("source", "target", "relation", "rationale"),
        ("ctrl:SUP-001", "euaia:art-9", "equal", rationale),
    ])
    with server.client("legal") as client:
        response = client.post("/v1/imports", params={"dry_run": "true"},
                               files={"file": ("long.csv", stream.getvalue().encode())})
    assert response.status_code == 200, response.text[:500]
    plan = response.json()
    assert plan["errors"] == [] and plan["dry_run"] is True
    changed = plan["diff"]["added"] + plan["diff"]["changed"]
    assert changed, plan["diff"]

