"""Issue 8 on a real server: the server's clock decides, the gate rules a reviewer expects,
strict input, replay that verifies the record, and /v1/decisions that never answers 500.

Ledger-specific behaviour runs on SQLite and on PostgreSQL (tests/postgres.py).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crossgate.ledger.records import compute_hash
from tests.candidates import current, promote, what_if
from tests.conftest import REPO, LiveServer, seeded_store, start_server, stop_server
from tests.postgres import postgres_server, postgres_url  # noqa: F401  (pytest fixtures)

EXTREMES = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "2262-01-01T00:00:00Z",
            "1677-12-31T23:59:59Z"]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def codes(output: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v["code"], v["item"]) for v in output["violations"]}


def error_paths(answer: Any) -> set[str]:
    return {e["path"] for e in answer.json()["errors"]}


# --- 1. the server's clock -----------------------------------------------------------------

def test_as_of_is_a_dry_run_what_if_and_refused_on_a_recorded_request(
        fresh_server: LiveServer) -> None:
    body = what_if("high_pass")
    with fresh_server.client("ci") as ci:
        promoted = len(promote(ci, current("high_pass")))
        refused = ci.post("/v1/gate/decide", json=body)
        dry = ci.post("/v1/gate/decide", params={"dry_run": "true"}, json=body)
        before = datetime.now(UTC)
        recorded = ci.post("/v1/gate/decide", json=current("high_pass"))
        after = datetime.now(UTC)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input"
    assert error_paths(refused) == {"$.as_of"}
    assert dry.status_code == 200
    assert dry.json()["what_if"] is True and dry.json()["allow"] is True
    assert dry.json()["recorded"] is None
    assert recorded.status_code == 200
    out = recorded.json()
    assert out["what_if"] is False and out["allow"] is True, out["violations"]
    assert out["recorded"]["seq"] == promoted + 1  # the refused request recorded nothing
    with fresh_server.client("auditor") as auditor:
        record = auditor.get(f"/v1/decisions/{out['decision_id']}").json()
    # The decision instant is the server's clock while the request ran, not a midnight.
    ns = record["input"]["as_of_ns"]
    assert int(before.timestamp() * 1e6) * 1000 <= ns <= int(after.timestamp() * 1e6) * 1000
    assert record["input"]["as_of"] == datetime.fromtimestamp(ns / 1e9, UTC).date().isoformat()


def test_a_stale_audit_cannot_be_made_fresh_by_the_callers_date(server: LiveServer) -> None:
    # The first attack: an as_of in the past turned a stale NYC bias audit into an allow.
    body = current("nyc_hiring_old_bias_audit")
    body["as_of"] = "2025-06-01"
    with server.client("ci") as ci:
        assert ci.post("/v1/gate/decide", json=body).status_code == 422
        del body["as_of"]
        now = ci.post("/v1/gate/decide", json=body).json()
    assert now["allow"] is False
    assert ("stale_evidence", "ev:bias_audit") in codes(now)


def test_future_dated_evidence_approvals_and_exceptions(server: LiveServer) -> None:
    now = datetime.now(UTC)
    body = current("high_waived_red_team")
    red_team_gone = body["exceptions"][0]["item"]
    assert red_team_gone == "ev:red_team_exercise"
    guard = next(e for e in body["evidence"] if e["type"] == "ev:guardrails_tested")
    guard["collected_at"] = "2099-01-01T00:00:00Z"  # the issue: 2099 counted as fresh
    body["approvals"][1]["approved_at"] = stamp(now + timedelta(minutes=30))
    body["exceptions"][0]["approved_at"] = stamp(now + timedelta(days=1))
    # Within the five-minute skew is not future-dated.
    body["approvals"][0]["approved_at"] = stamp(now + timedelta(seconds=60))
    with server.client("ci") as ci:
        out = ci.post("/v1/gate/decide", json=body).json()
    found = codes(out)
    assert out["allow"] is False
    assert ("future_dated", "ev:guardrails_tested") in found
    assert ("future_dated", body["approvals"][1]["role"]) in found
    assert ("future_dated", "ev:red_team_exercise") in found
    assert ("future_dated", body["approvals"][0]["role"]) not in found
    message = next(v["message"] for v in out["violations"]
                   if v["code"] == "future_dated" and v["item"] == "ev:guardrails_tested")
    assert guard["id"] in message
    # Future-dated evidence counts for nothing: it is missing and satisfies nothing.
    assert ("missing_evidence", "ev:guardrails_tested") in found
    assert guard["id"] not in out["satisfied"]
    # The future-dated exception waives nothing, and nothing waives future_dated.
    assert out["waived"] == []
    assert ("missing_evidence", "ev:red_team_exercise") in found


@pytest.mark.parametrize("where", ["collected_at", "approved_at", "expires_at",
                                   "exception_approved_at", "as_of"])
@pytest.mark.parametrize("value", EXTREMES)
def test_extreme_timestamps_are_422_naming_the_path(server: LiveServer, where: str,
                                                    value: str) -> None:
    body = current("high_waived_red_team")
    params = {}
    if where == "collected_at":
        body["evidence"][2]["collected_at"] = value
        path = "$.evidence[2].collected_at"
    elif where == "approved_at":
        body["approvals"][0]["approved_at"] = value
        path = "$.approvals[0].approved_at"
    elif where == "expires_at":
        body["exceptions"][0]["expires_at"] = value
        path = "$.exceptions[0].expires_at"
    elif where == "exception_approved_at":
        body["exceptions"][0]["approved_at"] = value
        path = "$.exceptions[0].approved_at"
    else:
        body["as_of"] = value[:10]
        params = {"dry_run": "true"}
        path = "$.as_of"
    with server.client("ci") as ci:
        answer = ci.post("/v1/gate/decide", json=body, params=params)
    assert answer.status_code == 422, answer.text[:300]
    assert path in error_paths(answer)


# --- 4. strict input -------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "path"), [
    (lambda b: b["system"].update(personal_data="true"), "$.system.personal_data"),
    (lambda b: b["system"].update(user_facing=1), "$.system.user_facing"),
    (lambda b: b["evidence"][0].update(collected_at=1793523600), "$.evidence[0].collected_at"),
    (lambda b: b["approvals"][0].update(approved_at=1793523600.0), "$.approvals[0].approved_at"),
    (lambda b: b["release"].update(version=14), "$.release.version"),
    (lambda b: b["system"].update(risk_tier=3), "$.system.risk_tier"),
    (lambda b: b["evidence"][7]["metrics"].update(hallucination_rate="0.01"),
     "$.evidence[7].metrics.hallucination_rate"),
    (lambda b: b["approvals"][0].update(note="x"), "$.approvals[0].note"),
    (lambda b: b.update(approvals=b["approvals"] * 51), "$.approvals"),
])
def test_loose_input_is_422_naming_the_path(server: LiveServer, change: Any, path: str) -> None:
    body = current("high_pass")
    change(body)
    with server.client("ci") as ci:
        answer = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"})
    assert answer.status_code == 422
    assert path in error_paths(answer), answer.json()


# --- 3. gate rules ---------------------------------------------------------------------------

def test_one_person_in_two_approval_roles_is_separation_of_duties(server: LiveServer) -> None:
    body = current("high_pass")
    body["approvals"][1]["approver"] = body["approvals"][0]["approver"].upper()
    with server.client("ci") as ci:
        out = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
    assert out["allow"] is False
    assert ("separation_of_duties", "product_lead") in codes(out)
    assert ("separation_of_duties", "ml_lead") in codes(out)


def _critical_with_open_finding() -> dict[str, Any]:
    body = current("critical_pass")
    compliance = next(a for a in body["approvals"] if a["role"] == "compliance")
    body["findings"].append({"id": "SEC-99", "severity": "critical", "status": "open"})
    expires = stamp(datetime.now(UTC) + timedelta(days=30))
    body["exceptions"] = [{"item": "SEC-99", "approved_by": compliance["approver"],
                           "risk_acceptance": "Mitigated by a WAF rule until the fix ships.",
                           "expires_at": expires}]
    return body


def test_exceptions_cannot_waive_blocking_criteria_by_default(server: LiveServer) -> None:
    body = _critical_with_open_finding()
    with server.client("ci") as ci:
        out = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
    assert out["allow"] is False
    assert ("open_finding", "SEC-99") in codes(out)
    invalid = next(v for v in out["violations"] if v["code"] == "invalid_exception")
    assert invalid["item"] == "SEC-99" and "blocking criterion" in invalid["message"]
    assert out["waived"] == []


def test_exception_expiry_is_bounded_by_the_profile(server: LiveServer) -> None:
    now = datetime.now(UTC)
    body = current("high_waived_red_team")
    exception = body["exceptions"][0]
    exception["expires_at"] = stamp(now + timedelta(days=91))
    with server.client("ci") as ci:
        too_long = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
        exception["expires_at"] = stamp(now + timedelta(days=80))
        exception["approved_at"] = stamp(now - timedelta(days=20))
        from_approval = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
        exception["approved_at"] = stamp(now - timedelta(days=5))
        fine = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
    assert ("invalid_exception", "ev:red_team_exercise") in codes(too_long)
    assert "90 days" in next(v["message"] for v in too_long["violations"]
                             if v["code"] == "invalid_exception")
    assert ("invalid_exception", "ev:red_team_exercise") in codes(from_approval)
    assert fine["allow"] is True, fine["violations"]
    assert [w["item"] for w in fine["waived"]] == ["ev:red_team_exercise"]


def test_profile_values_change_by_import(tmp_path: Path) -> None:
    """Blocking waivers, their signer, the skew and the exception maximum are graph data."""
    data_dir = tmp_path / "data"
    profile = (REPO / "crosswalks" / "gate_deployment.ttl").read_text()
    changed = (profile.replace("cg:allowsBlockingWaivers false", "cg:allowsBlockingWaivers true")
               .replace("cg:clockSkewSeconds 300", "cg:clockSkewSeconds 7200")
               .replace("cg:maxExceptionDays 90", "cg:maxExceptionDays 120"))
    assert changed.count("true") > profile.count("true")
    for part in ("graph", "snapshots"):
        shutil.copytree(seeded_store() / part, data_dir / part)
    path = tmp_path / "profile.ttl"
    path.write_text(changed)
    done = subprocess.run([sys.executable, "-m", "crossgate.cli", "load", str(path),
                           "--graph", "https://w3id.org/crossgate/graph/shipped/gate_deployment",
                           "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    live = start_server(data_dir)
    try:
        body = _critical_with_open_finding()
        body["exceptions"][0]["expires_at"] = stamp(datetime.now(UTC) + timedelta(days=100))
        body["approvals"][0]["approved_at"] = stamp(datetime.now(UTC) + timedelta(hours=1))
        with live.client("ci") as ci:
            promote(ci, body)
            signed = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
            body["exceptions"][0]["approved_by"] = "cro@example.com"
            unsigned = ci.post("/v1/gate/decide", json=body, params={"dry_run": "true"}).json()
            tiers = ci.get("/v1/data/crossgate/profiles/deployment").json()["result"]
    finally:
        stop_server(live)
    assert tiers["allow_blocking_waivers"] is True and tiers["clock_skew_s"] == 7200
    assert signed["allow"] is True, signed["violations"]
    assert signed["waived"][0]["suppressed"] == ["open_finding"]
    invalid = next(v for v in unsigned["violations"] if v["code"] == "invalid_exception")
    assert "compliance approver" in invalid["message"]


def test_every_decision_names_the_token_that_asked(fresh_server: LiveServer) -> None:
    with fresh_server.client("ci") as ci:
        out = ci.post("/v1/gate/decide", json=current("low_pass")).json()
    assert out["requested_by"] == {"name": "test ci", "role": "ci"}
    with fresh_server.client("auditor") as auditor:
        record = auditor.get(f"/v1/decisions/{out['decision_id']}").json()
        listed = auditor.get("/v1/decisions").json()["decisions"]
        replayed = auditor.post(f"/v1/decisions/{out['decision_id']}/replay").json()
    assert record["output"]["requested_by"] == {"name": "test ci", "role": "ci"}
    assert listed[0]["requested_by"] == {"name": "test ci", "role": "ci"}
    assert replayed["identical"] is True, replayed["differences"]


# --- 2. replay verifies the record; 5. /v1/decisions parameters (SQLite and PostgreSQL) -----

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, Any]]:
    """A server and a function running SQL on its ledger table with the append-only triggers off."""
    if request.param == "sqlite":
        live = start_server(tmp_path / "data")

        def raw(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            db = sqlite3.connect(live.data_dir / "ledger.sqlite")
            try:
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
                    db.execute(f"DROP TRIGGER {name}")
                rows = db.execute(sql.replace("%s", "?").replace("{table}", "ledger"),
                                  params).fetchall()
                db.commit()
                return rows
            finally:
                db.close()
    else:
        import psycopg

        url = request.getfixturevalue("postgres_url")
        live = start_server(tmp_path / "data", env={"CROSSGATE_LEDGER_URL": url})

        def raw(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("ALTER TABLE crossgate_ledger DISABLE TRIGGER USER")
                cursor = conn.execute(sql.replace("{table}", "crossgate_ledger"), params)
                return cursor.fetchall() if cursor.description else []
    yield live, raw
    stop_server(live)


def test_replay_verifies_the_record_first(ledger_server: tuple[LiveServer, Any]) -> None:
    live, raw = ledger_server
    ids = []
    with live.client("ci") as ci:
        # LOW needs no earlier stage, so seq 1-4 are these four decisions.
        for name in ("low_pass", "low_pass", "high_missing_red_team", "low_pass"):
            answer = ci.post("/v1/gate/decide", json=current(name))
            answer.raise_for_status()
            ids.append(answer.json()["decision_id"])
    with live.client("auditor") as auditor:
        before = auditor.post(f"/v1/decisions/{ids[1]}/replay").json()
        assert before["verified"] == {"hash": True, "chain": True}
        assert before["original_outcome"] == "allow" and before["identical"] is True
        # The issue: edit the outcome column of seq 2 directly.
        raw("UPDATE {table} SET outcome = 'deny' WHERE seq = 2")
        edited = auditor.post(f"/v1/decisions/{ids[1]}/replay")
        assert edited.status_code == 409
        body = edited.json()
        assert body["code"] == "resource_conflict"
        assert body["verified"] == {"hash": False, "chain": True} and body["seq"] == 2
        assert body["errors"][0]["path"] == "hash" and "seq 2" in body["message"]
        for untouched in (ids[0], ids[2], ids[3]):
            fine = auditor.post(f"/v1/decisions/{untouched}/replay")
            assert fine.status_code == 200, fine.text[:300]
            assert fine.json()["verified"] == {"hash": True, "chain": True}
        # An edit that recomputes the hash keeps seq 3's own hash but breaks the chain.
        columns = ("seq", "recorded_at", "kind", "decision_id", "system_id", "gate", "outcome",
                   "policy_revision", "data_revision", "input", "output", "prev_hash")
        row = raw("SELECT " + ", ".join(columns) + " FROM {table} WHERE seq = 3")[0]
        fields = dict(zip(columns, row, strict=True))
        fields["outcome"] = "allow"
        fields["input"] = json.loads(fields["input"])
        fields["output"] = json.loads(fields["output"])
        raw("UPDATE {table} SET outcome = 'allow', hash = %s WHERE seq = 3",
            (compute_hash(fields),))
        rehashed = auditor.post(f"/v1/decisions/{ids[2]}/replay")
        assert rehashed.status_code == 409
        assert rehashed.json()["verified"] == {"hash": True, "chain": False}
        assert rehashed.json()["errors"][0]["path"] == "chain"
        assert "seq 4" in rehashed.json()["errors"][0]["message"]
        after = auditor.post(f"/v1/decisions/{ids[3]}/replay")
        assert after.status_code == 409 and after.json()["verified"]["chain"] is False
        assert auditor.post(f"/v1/decisions/{ids[0]}/replay").status_code == 200


def test_decisions_parameters_are_422_never_500(ledger_server: tuple[LiveServer, Any]) -> None:
    live, _ = ledger_server
    with live.client("ci") as ci:
        for _ in range(3):
            ci.post("/v1/gate/decide", json=current("low_pass")).raise_for_status()
    bad = [
        ({"offset": str(2**63)}, "offset"), ({"offset": str(2**64 + 5)}, "offset"),
        ({"offset": "-1"}, "offset"), ({"limit": "0"}, "limit"), ({"limit": "10001"}, "limit"),
        ({"since": "9999-12-31T23:59:59-05:00"}, "since"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"until": "9999-12-31T23:59:59-05:00"}, "until"),
        ({"until": "0001-01-01T00:00:00+05:00"}, "until"),
        ({"since": "yesterday"}, "since"), ({"until": "2026-13-45"}, "until"),
        ({"outcome": "allowed"}, "outcome"),
    ]
    with live.client("auditor") as auditor:
        for params, name in bad:
            answer = auditor.get("/v1/decisions", params=params)
            assert answer.status_code == 422, (params, answer.status_code, answer.text[:200])
            assert name in error_paths(answer), (params, answer.json())
        unknown = auditor.get("/v1/decisions", params={"outcome": "allowed"}).json()
        assert "'allow'" in unknown["errors"][0]["message"]
        assert "'deny'" in unknown["errors"][0]["message"]
        edge = auditor.get("/v1/decisions", params={"offset": str(2**63 - 1)})
        assert edge.status_code == 200 and edge.json()["decisions"] == []
        window = auditor.get("/v1/decisions", params={"since": "2000-01-01T00:00:00+05:00",
                                                      "until": "2261-12-31T00:00:00-05:00"})
        assert len(window.json()["decisions"]) == 3


def test_lists_return_every_row_by_default(fresh_server: LiveServer) -> None:
    with fresh_server.client("ci") as ci:
        body = current("low_pass")
        for _ in range(105):
            ci.post("/v1/gate/decide", json=body).raise_for_status()
    with fresh_server.client("auditor") as auditor:
        listed = auditor.get("/v1/decisions").json()
        page = auditor.get("/v1/decisions", params={"limit": 10, "offset": 100}).json()
    assert len(listed["decisions"]) == 105 and listed["limit"] == 10_000
    assert [d["seq"] for d in page["decisions"]] == [5, 4, 3, 2, 1]


# --- 5. the API description --------------------------------------------------------------------

def test_openapi_describes_what_the_gate_endpoints_return(server: LiveServer) -> None:
    with server.client() as anonymous:
        spec = anonymous.get("/openapi.json").json()

    def schema(path: str, method: str, status: str) -> str:
        content = spec["paths"][path][method]["responses"][status]["content"]
        return str(content["application/json"]["schema"].get("$ref", ""))

    assert schema("/v1/gate/decide", "post", "200").endswith("/Decision")
    assert schema("/v1/gate/decide", "post", "422").endswith("/ErrorBody")
    assert schema("/v1/decisions", "get", "200").endswith("/DecisionList")
    assert schema("/v1/decisions/{decision_id}", "get", "200").endswith("/DecisionRecord")
    assert schema("/v1/decisions/{decision_id}/replay", "post", "200").endswith("/Replay")
    assert schema("/v1/decisions/{decision_id}/replay", "post", "409").endswith("/ErrorBody")
    assert schema("/v1/ledger/verify", "get", "200").endswith("/LedgerVerification")
    decision = spec["components"]["schemas"]["Decision"]["properties"]
    # Null on an engine error or a dry run: the description must say so.
    assert {"type": "null"} in decision["decision_id"]["anyOf"]
    assert {"type": "null"} in decision["recorded"]["anyOf"]


@pytest.mark.parametrize(("good", "bad"), [
    ("cg:clockSkewSeconds 300", "cg:clockSkewSeconds -5"),
    ("cg:maxExceptionDays 90", "cg:maxExceptionDays 0"),
    ("cg:allowsBlockingWaivers false", 'cg:allowsBlockingWaivers "maybe"'),
    ('cg:blockingWaiverRole "compliance"', 'cg:blockingWaiverRole "Compliance Officer"'),
])
def test_profile_values_are_validated_on_import(tmp_path: Path, good: str, bad: str) -> None:
    data_dir = tmp_path / "data"
    for part in ("graph", "snapshots"):
        shutil.copytree(seeded_store() / part, data_dir / part)
    profile = (REPO / "crosswalks" / "gate_deployment.ttl").read_text()
    assert good in profile
    path = tmp_path / "profile.ttl"
    path.write_text(profile.replace(good, bad))
    done = subprocess.run([sys.executable, "-m", "crossgate.cli", "load", str(path),
                           "--graph", "https://w3id.org/crossgate/graph/shipped/gate_deployment",
                           "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert done.returncode != 0
    assert bad.split()[0] in done.stdout + done.stderr


def test_nul_is_refused_by_the_gate_and_matches_nothing_in_the_ledger(
        ledger_server: tuple[LiveServer, Any]) -> None:
    live, _ = ledger_server
    body = current("low_pass")
    body["system"]["id"] = "sys\x00tem"
    with live.client("ci") as ci:
        refused = ci.post("/v1/gate/decide", json=body)
    assert refused.status_code == 422 and "$.system.id" in error_paths(refused)
    with live.client("auditor") as auditor:
        listed = auditor.get("/v1/decisions", params={"system": "a\x00b"})
        one = auditor.get("/v1/decisions/a%00b")
        replayed = auditor.post("/v1/decisions/a%00b/replay")
    assert listed.status_code == 200 and listed.json()["decisions"] == []
    assert one.status_code == 404 and replayed.status_code == 404
