"""Gate decisions end to end: real server, real content, real ledger, real bundles."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.candidates import CANDIDATES, current, earlier_stages, passing_at, promote
from tests.conftest import REPO, LiveServer, start_server, stop_server


def candidate(name: str) -> dict[str, Any]:
    """A fixture moved to today: what a recorded request may send."""
    return current(name)


def test_decide_records_and_lists(fresh_server: LiveServer) -> None:
    with fresh_server.client("ci") as ci:
        before = len(promote(ci, candidate("high_pass")))  # development, staging
        allow = ci.post("/v1/gate/decide", json=candidate("high_pass")).json()
        deny = ci.post("/v1/gate/decide", json=candidate("high_missing_red_team")).json()
        dry = ci.post("/v1/gate/decide", params={"dry_run": "true"},
                      json=candidate("high_pass")).json()
    assert allow["allow"] is True and allow["violations"] == []
    assert allow["tier"] == "HIGH" and allow["deployment_strategy"] == "canary"
    assert allow["recorded"]["seq"] == before + 1 and len(allow["recorded"]["hash"]) == 64
    assert allow["revision"]["history"] == before  # the history it read: the two promotions
    assert allow["lifecycle"]["stage_order"]["seq"] == before
    assert allow["satisfied"], "evidence reaches requirements through the crosswalk"
    some = next(iter(allow["satisfied"].values()))
    assert any(r.startswith("euaia:") for reqs in allow["satisfied"].values() for r in reqs), some
    assert deny["allow"] is False and deny["recorded"]["seq"] == before + 2
    codes = {(v["code"], v["item"]) for v in deny["violations"]}
    assert ("missing_evidence", "ev:red_team_exercise") in codes
    assert all(v["remediation"] for v in deny["violations"])
    assert dry["recorded"] is None
    with fresh_server.client("auditor") as auditor:
        listed = auditor.get("/v1/decisions").json()["decisions"]
        assert [d["outcome"] for d in listed] == ["deny", "allow"] + ["allow"] * before
        denies = auditor.get("/v1/decisions", params={"outcome": "deny"}).json()["decisions"]
        assert [d["decision_id"] for d in denies] == [deny["decision_id"]]
        one = auditor.get(f"/v1/decisions/{allow['decision_id']}").json()
        assert one["input"]["as_of"] and one["output"]["allow"] is True
        assert auditor.get("/v1/ledger/verify").json()["ok"] is True
    with fresh_server.client("ci") as ci:
        assert ci.get("/v1/ledger/verify").status_code == 403


def test_bad_input_is_422_with_json_paths(server: LiveServer) -> None:
    body = candidate("high_pass")
    body["system"]["risk_tier"] = "EXTREME"
    body["evidence"][0]["colour"] = "blue"
    del body["release"]["deployer"]
    with server.client("ci") as ci:
        answer = ci.post("/v1/gate/decide", json=body)
    assert answer.status_code == 422
    paths = {e["path"] for e in answer.json()["errors"]}
    assert {"$.system.risk_tier", "$.evidence[0].colour", "$.release.deployer"} <= paths


def test_ledger_edit_is_detected(fresh_server: LiveServer, tmp_path: Path) -> None:
    with fresh_server.client("ci") as ci:
        promote(ci, candidate("high_pass"))  # seq 1 and 2, both allowed
        for name in ("low_pass", "high_pass", "high_missing_red_team"):
            ci.post("/v1/gate/decide", json=candidate(name)).raise_for_status()
    db = sqlite3.connect(fresh_server.data_dir / "ledger.sqlite")
    triggers = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    for name in triggers:
        db.execute(f"DROP TRIGGER {name}")
    text = db.execute("SELECT output FROM ledger WHERE seq = 2").fetchone()[0]
    db.execute("UPDATE ledger SET output = ? WHERE seq = 2",
               (text.replace('"allow":true', '"allow":false', 1),))
    db.commit()
    db.close()
    with fresh_server.client("auditor") as auditor:
        result = auditor.get("/v1/ledger/verify").json()
    assert result["ok"] is False and result["first_bad_seq"] == 2
    cli = subprocess.run([sys.executable, "-m", "crossgate.cli", "ledger", "verify",
                          "--data-dir", str(fresh_server.data_dir)],
                         capture_output=True, text=True)
    assert cli.returncode == 1 and "seq 2" in cli.stdout + cli.stderr


def test_replay_after_the_graph_changed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    live = start_server(data_dir)
    try:
        with live.client("ci") as ci:
            near = candidate("high_hallucination_near_limit")
            promote(ci, near)
            original = ci.post("/v1/gate/decide", json=near).json()
        assert original["allow"] is True
    finally:
        stop_server(live)
    # Tighten the hallucination threshold in the graph: the same input now fails.
    profile = (REPO / "crosswalks" / "gate_deployment.ttl").read_text()
    stricter = tmp_path / "stricter.ttl"
    stricter.write_text(profile.replace("0.05", "0.01"))
    assert stricter.read_text() != profile
    done = subprocess.run([sys.executable, "-m", "crossgate.cli", "load", str(stricter),
                           "--graph", "https://w3id.org/crossgate/graph/shipped/gate_deployment",
                           "--data-dir", str(data_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    live = start_server(data_dir)
    try:
        with live.client("ci") as ci:
            now = ci.post("/v1/gate/decide", json=near).json()
        assert now["allow"] is False
        assert now["revision"]["data"] != original["revision"]["data"]
        with live.client("auditor") as auditor:
            replayed = auditor.post(f"/v1/decisions/{original['decision_id']}/replay").json()
        assert replayed["identical"] is True, replayed["differences"]
        assert replayed["outcome"]["allow"] is True
        assert replayed["revision"] == original["revision"]
    finally:
        stop_server(live)


def test_opa_data_api_and_bundle(server: LiveServer) -> None:
    with server.client("ci") as ci:
        answer = ci.post("/v1/data/crossgate/gate/deployment/decision",
                         json={"input": candidate("high_missing_red_team")})
        assert answer.status_code == 200
        assert answer.json()["result"]["allow"] is False
        undefined = ci.post("/v1/data/crossgate/gate/deployment/no_such_rule",
                            json={"input": {}})
        assert undefined.status_code == 200 and "result" not in undefined.json()
        tiers = ci.get("/v1/data/crossgate/profiles/deployment/tiers").json()
        assert tiers["result"] == ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
        bundle = ci.get("/bundles/crossgate.tar.gz")
        assert bundle.status_code == 200 and bundle.headers["etag"]
        again = ci.get("/bundles/crossgate.tar.gz",
                       headers={"If-None-Match": bundle.headers["etag"]})
        assert again.status_code == 304
    with tarfile.open(fileobj=io.BytesIO(bundle.content), mode="r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile(".manifest").read())  # type: ignore[union-attr]
        data = json.loads(tar.extractfile("data.json").read())  # type: ignore[union-attr]
    assert manifest["roots"] == ["crossgate"] and manifest["revision"]
    assert "deployment" in data["crossgate"]["profiles"]
    assert any(n.endswith(".rego") for n in names)
    assert not any(n.endswith("_test.rego") for n in names)


def test_metrics(server: LiveServer) -> None:
    with server.client("ci") as ci:
        ci.post("/v1/gate/decide", json=candidate("high_missing_red_team")).raise_for_status()
        text = ci.get("/metrics").text
    assert 'crossgate_decisions_total{gate="deployment",outcome="deny"}' in text
    assert 'crossgate_decision_violations_total{code="missing_evidence",gate="deployment"}' in text
    assert "crossgate_decision_latency_seconds_bucket" in text
    assert "crossgate_graph_revision" in text and "policy_revision=" in text
    assert httpx.get(server.url + "/metrics").status_code == 401


def promote_locally(body: dict[str, Any], data_dir: Path, work: Path) -> None:
    """candidates.promote through the CLI on a local data directory."""
    for stage in earlier_stages(body):
        probe = work / f"probe-{stage}.json"
        probe.write_text(json.dumps({**body, "release": {**body["release"], "stage": stage}}))
        dry = subprocess.run([sys.executable, "-m", "crossgate.cli", "gate", "check", str(probe),
                              "--json", "--data-dir", str(data_dir), "--dry-run"],
                             capture_output=True, text=True)
        step = work / f"step-{stage}.json"
        step.write_text(json.dumps(passing_at(body, stage, json.loads(dry.stdout)["required"])))
        done = subprocess.run([sys.executable, "-m", "crossgate.cli", "gate", "check", str(step),
                               "--data-dir", str(data_dir)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", ["high_pass", "high_missing_red_team"])
def test_cli_gate_check_against_server_and_locally(server: LiveServer, name: str,
                                                   tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(candidate(name)))
    expected = 0 if name == "high_pass" else 1
    remote = subprocess.run(
        [sys.executable, "-m", "crossgate.cli", "gate", "check", str(path), "--server",
         server.url, "--token", server.tokens["ci"], "--dry-run"],
        capture_output=True, text=True)
    assert remote.returncode == expected, remote.stderr
    assert ("ALLOW" if expected == 0 else "DENY") in remote.stdout
    promote_locally(candidate(name), tmp_path / "local", tmp_path)
    as_json = subprocess.run(
        [sys.executable, "-m", "crossgate.cli", "gate", "check", str(path), "--json",
         "--data-dir", str(tmp_path / "local"), "--dry-run"], capture_output=True, text=True)
    assert as_json.returncode == expected, as_json.stderr
    assert json.loads(as_json.stdout)["allow"] is (expected == 0)


def test_cli_gate_check_exit_2(server: LiveServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"gate": "deployment", "system": {"id": "x"}}))
    run = subprocess.run([sys.executable, "-m", "crossgate.cli", "gate", "check", str(bad),
                          "--server", server.url, "--token", server.tokens["ci"]],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "$.system.risk_tier" in run.stderr
    down = subprocess.run([sys.executable, "-m", "crossgate.cli", "gate", "check",
                           str(CANDIDATES / "high_pass.json"), "--server",
                           "http://127.0.0.1:9", "--token", "x"], capture_output=True, text=True)
    assert down.returncode == 3, down.stderr  # the gate is down: no verdict


def test_evidence_pack(fresh_server: LiveServer, tmp_path: Path) -> None:
    import hashlib
    import zipfile

    with fresh_server.client("ci") as ci:
        for name in ("high_missing_red_team", "high_pass", "low_pass"):
            ci.post("/v1/gate/decide", json=candidate(name)).raise_for_status()
    with fresh_server.client("auditor") as auditor:
        answer = auditor.get("/v1/exports/evidence-pack", params={"system": "support-summarizer"})
        assert auditor.get("/v1/exports/evidence-pack",
                           params={"system": "nobody"}).status_code == 404
    with fresh_server.client("ci") as ci:
        assert ci.get("/v1/exports/evidence-pack",
                      params={"system": "support-summarizer"}).status_code == 403
    assert answer.status_code == 200
    pack = tmp_path / "pack.zip"
    pack.write_bytes(answer.content)
    with zipfile.ZipFile(pack) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
        decisions = sorted(n for n in names if n.startswith("decisions/"))
        index = json.loads(zf.read("evidence_index.json"))
        verification = json.loads(zf.read("ledger_verification.json"))
    assert len(decisions) == 2 and manifest["decisions"] == 2  # low_pass is another system
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert any(n.startswith("bundles/") and n.endswith(".tar.gz") for n in names)
    assert verification["ok"] is True
    assert all(e["sha256"] for e in index)
    assert any(e["requirements_satisfied"] for e in index)


def test_readme_ci_example_works_as_written(fresh_server: LiveServer, tmp_path: Path) -> None:
    """README.md's CI example, command by command, on whatever day it runs: the output is the
    README's but for the decision id and hash and the counts and dates of warnings, which move
    as obligations come into force."""
    readme = (REPO / "README.md").read_text()
    commands = readme.split("A CI job asks the gate", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert "python -m tests.candidates high_missing_red_team > candidate.json" in commands
    assert "crossgate gate check candidate.json" in commands
    built = subprocess.run([sys.executable, "-m", "tests.candidates", "high_missing_red_team"],
                           cwd=REPO, capture_output=True, text=True, check=True)
    (tmp_path / "candidate.json").write_text(built.stdout)
    run = subprocess.run(
        [sys.executable, "-m", "crossgate.cli", "gate", "check", "candidate.json"], cwd=tmp_path,
        env={**os.environ, "CROSSGATE_URL": fresh_server.url,
             "CROSSGATE_TOKEN": fresh_server.tokens["ci"]},
        capture_output=True, text=True)
    assert run.returncode == 1, run.stderr
    shown = readme.split("```text\n", 1)[1].split("```", 1)[0]

    def shape(text: str) -> list[str]:
        text = re.sub(r"decision \S+ recorded as ledger #\d+ \(hash \w+\)", "decision ID", text)
        text = re.sub(r"yet \(.*\)$", "yet (DATES)", text, flags=re.MULTILINE)
        return re.sub(r"\d+", "N", text).splitlines()

    assert shape(run.stdout) == shape(shown), run.stdout
    assert "recorded as ledger #1" in run.stdout and len(run.stdout.splitlines()) <= 15


def test_cli_refuses_to_record_a_what_if(server: LiveServer, tmp_path: Path) -> None:
    path = CANDIDATES / "colorado_lending_from_2027.json"
    assert json.loads(path.read_text())["as_of"] == "2027-01-01"
    remote = [sys.executable, "-m", "crossgate.cli", "gate", "check", str(path),
              "--server", server.url, "--token", server.tokens["ci"]]
    local = [sys.executable, "-m", "crossgate.cli", "gate", "check", str(path),
             "--data-dir", str(tmp_path / "local")]
    for command in (remote, local):
        refused = subprocess.run(command, capture_output=True, text=True)
        assert refused.returncode == 2 and "$.as_of" in refused.stderr, refused.stderr
        dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True)
        assert dry.returncode == 1, dry.stderr  # the Colorado item is missing from 2027-01-01
        assert "what-if as of 2027-01-01" in dry.stdout
