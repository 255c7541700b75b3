"""The release lifecycle end to end (DESIGN.md, "Release lifecycle"): a real server, the shipped
profile, the real ledger. One version of a HIGH system walks development -> staging ->
production, is refused production first, is rolled back to and from; change types, tier history
and log retention over HTTP; replays read the history as it stood."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.candidates import current, passing_at
from tests.conftest import LiveServer


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def walker(version: str = "2.0.0") -> dict[str, Any]:
    body = current("high_pass")
    body["system"]["id"] = "walk-bot"
    body["release"]["version"] = version
    return body


def at(body: dict[str, Any], stage: str) -> dict[str, Any]:
    return {**body, "release": {**body["release"], "stage": stage}}


def dry(ci: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = ci.post("/v1/gate/decide", params={"dry_run": "true"}, json=body)
    assert answer.status_code == 200, answer.text
    out: dict[str, Any] = answer.json()
    return out


def record(ci: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = ci.post("/v1/gate/decide", json=body)
    assert answer.status_code == 200, answer.text
    out: dict[str, Any] = answer.json()
    return out


def step(ci: httpx.Client, body: dict[str, Any], stage: str) -> dict[str, Any]:
    """Record the body at `stage` with passing evidence for exactly what the stage requires."""
    return record(ci, passing_at(body, stage, dry(ci, at(body, stage))["required"]))


def codes(decision: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v["code"], v["item"]) for v in decision["violations"]}


def rollback(version: str, target: str) -> dict[str, Any]:
    now = datetime.now(UTC) - timedelta(minutes=1)
    body = walker(version)
    body["release"].update(change_type="rollback", rollback_to=target)
    body["evidence"] = [{"id": "rb-1", "type": "ev:rollback_tested", "result": "pass",
                         "collected_at": stamp(now)}]
    body["approvals"] = [{"role": "ml_lead", "approver": "lead@example.com",
                          "approved_at": stamp(now)}]
    body["findings"], body["exceptions"] = [], []
    return body


def test_a_version_walks_the_stages_in_order_and_rolls_back(fresh_server: LiveServer) -> None:
    body = walker()
    with fresh_server.client("ci") as ci:
        early = record(ci, body)  # production before anything else
        dev = step(ci, body, "development")
        staging = step(ci, body, "staging")
        production = record(ci, body)
        back = record(ci, rollback("2.0.1", "2.0.0"))
        nowhere = record(ci, rollback("2.0.2", "1.9.9"))
    assert not early["allow"] and ("stage_order", "production") in codes(early)
    assert early["lifecycle"]["previous_stage"] == "staging"
    assert early["lifecycle"]["stage_order"] is None
    assert dev["allow"], dev["violations"]
    assert dev["lifecycle"]["previous_stage"] is None
    assert staging["allow"], staging["violations"]
    assert staging["lifecycle"]["stage_order"]["decision_id"] == dev["decision_id"]
    assert production["allow"], production["violations"]
    satisfied_by = production["lifecycle"]["stage_order"]
    assert satisfied_by["decision_id"] == staging["decision_id"]
    assert satisfied_by["seq"] == staging["recorded"]["seq"]
    # The earlier stages needed a subset of production's items.
    assert set(dev["required"]["items"]) < set(staging["required"]["items"])
    assert set(staging["required"]["items"]) < set(production["required"]["items"])
    assert back["allow"], back["violations"]
    assert back["lifecycle"]["restores"]["decision_id"] == production["decision_id"]
    assert back["lifecycle"]["restores"]["version"] == "2.0.0"
    assert back["required"] == {"items": ["ev:rollback_tested"], "approvals": ["ml_lead"],
                                "criteria": back["required"]["criteria"]}
    assert not nowhere["allow"] and ("rollback_target", "1.9.9") in codes(nowhere)
    assert nowhere["lifecycle"]["restores"] is None
    with fresh_server.client("auditor") as auditor:
        # The production decision replays against the history it read (seq of staging), even
        # though later decisions (the rollbacks) changed the history since.
        replayed = auditor.post(f"/v1/decisions/{production['decision_id']}/replay").json()
        assert replayed["identical"] is True, replayed["differences"]
        assert replayed["revision"]["history"] == production["revision"]["history"]
        assert replayed["outcome"]["lifecycle"]["stage_order"]["decision_id"] == staging["decision_id"]
        rolled = auditor.post(f"/v1/decisions/{back['decision_id']}/replay").json()
        assert rolled["identical"] is True, rolled["differences"]


def test_a_rollback_only_to_what_production_allowed(fresh_server: LiveServer) -> None:
    body = walker("5.0.0")
    with fresh_server.client("ci") as ci:
        step(ci, body, "development")
        step(ci, body, "staging")  # allowed at staging, never in production
        refused = record(ci, rollback("5.0.1", "5.0.0"))
        no_approval = rollback("5.0.2", "5.0.0")
        no_approval["approvals"] = []
        unapproved = dry(ci, no_approval)
    assert ("rollback_target", "5.0.0") in codes(refused)
    assert ("missing_approval", "ml_lead") in codes(unapproved)


def test_change_types_and_rollbacks_are_checked_as_input(server: LiveServer) -> None:
    body = walker()
    without_target = rollback("2.0.1", "2.0.0")
    del without_target["release"]["rollback_to"]
    target_on_a_model_change = {**body, "release": {**body["release"], "rollback_to": "1.0.0"}}
    unknown_kind = {**body, "release": {**body["release"], "change_type": "hotfix"}}
    with server.client("ci") as ci:
        for bad in (without_target, target_on_a_model_change, unknown_kind):
            answer = ci.post("/v1/gate/decide", params={"dry_run": "true"}, json=bad)
            assert answer.status_code == 422, answer.text
            assert any(e["path"].startswith("$.release") for e in answer.json()["errors"])
        unknown_stage = dry(ci, at(body, "prod"))
    assert ("stage_order", "prod") in codes(unknown_stage)
    assert any("(development, staging, production)" in v["message"]
               for v in unknown_stage["violations"] if v["code"] == "stage_order")


def test_a_prompt_change_needs_a_strict_subset_of_a_model_change(server: LiveServer) -> None:
    body = at(walker(), "development")
    with server.client("ci") as ci:
        model = dry(ci, body)["required"]
        prompt = dry(ci, {**body, "release": {**body["release"], "change_type": "prompt"}})["required"]
        config = dry(ci, {**body, "release": {**body["release"], "change_type": "config"}})["required"]
        production_model = dry(ci, walker())["required"]
        production_prompt = dry(ci, {**walker(), "release": {**walker()["release"],
                                                             "change_type": "prompt"}})["required"]
    assert set(production_prompt["items"]) < set(production_model["items"])
    assert "ev:model_provenance" not in production_prompt["items"]
    assert "ev:red_team_exercise" in production_prompt["items"]
    assert set(prompt["items"]) <= set(model["items"]) and set(config["items"]) <= set(model["items"])


def test_lowering_the_tier_within_six_months_is_tier_change(fresh_server: LiveServer) -> None:
    body = walker("7.0.0")
    with fresh_server.client("ci") as ci:
        step(ci, body, "development")  # allowed at HIGH just now
        lowered = at(walker("7.0.1"), "development")
        lowered["system"]["risk_tier"] = "LOW"
        refused = dry(ci, lowered)
        lowered["exceptions"] = [{
            "item": "tier_change", "approved_by": "cro@example.com",
            "risk_acceptance": "Reclassified after the scope was cut to internal use.",
            "expires_at": stamp(datetime.now(UTC) + timedelta(days=30))}]
        waived = dry(ci, lowered)
    assert ("tier_change", "tier_change") in codes(refused)
    assert "tier HIGH" in next(v["message"] for v in refused["violations"]
                               if v["code"] == "tier_change")
    assert ("tier_change", "tier_change") not in codes(waived)
    assert [w["suppressed"] for w in waived["waived"]] == [["tier_change"]]


def test_log_retention_below_the_tiers_minimum(server: LiveServer) -> None:
    body = current("high_pass")
    for piece in body["evidence"]:
        if piece["type"] == "ev:logging_verified":
            piece["metrics"] = {"retention_days": 365}
    with server.client("ci") as ci:
        short = dry(ci, body)
        for piece in body["evidence"]:
            if piece["type"] == "ev:logging_verified":
                piece["metrics"] = {}
        unreported = dry(ci, body)
    assert ("threshold_not_met", "ev:logging_verified") in codes(short)
    assert "1095" in next(v["message"] for v in short["violations"]
                          if v["code"] == "threshold_not_met")
    assert ("threshold_not_met", "ev:logging_verified") in codes(unreported)


def test_gate_check_names_the_decision_that_satisfied_the_order(fresh_server: LiveServer,
                                                                 tmp_path: Path) -> None:
    body = walker("9.0.0")
    with fresh_server.client("ci") as ci:
        step(ci, body, "development")
        staging = step(ci, body, "staging")
    path = tmp_path / "candidate.json"
    path.write_text(json.dumps(body))
    run = subprocess.run([sys.executable, "-m", "crossgate.cli", "gate", "check", str(path),
                          "--server", fresh_server.url, "--token", fresh_server.tokens["ci"]],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (f"stage order: staging allowed version 9.0.0 in decision {staging['decision_id']}"
            in run.stdout)


def test_the_shipped_profile_carries_the_lifecycle_and_the_tests_follow_it(
        server: LiveServer) -> None:
    from crossgate.gate.input import ChangeType
    from tests.candidates import STAGES

    with server.client("ci") as ci:
        profile = ci.get("/v1/data/crossgate/profiles/deployment").json()["result"]
    assert tuple(s["name"] for s in profile["stages"]) == STAGES
    assert [s["position"] for s in profile["stages"]] == [1, 2, 3]
    assert profile["stages"][-1]["items"] is None  # production: every item of the tier
    assert set(profile["change_types"]) == {t.value for t in ChangeType}
    assert profile["change_types"]["rollback"] == {
        "title": profile["change_types"]["rollback"]["title"],
        "items": ["ev:rollback_tested"], "approvals": ["ml_lead"]}
    assert profile["stage_order_min_tier"] == "MEDIUM"
    assert profile["tier_change_window_days"] == 183
    assert {(m["min_tier"], m["min"]) for m in profile["minimums"]} == {
        ("LOW", 90), ("MEDIUM", 365), ("HIGH", 1095), ("CRITICAL", 2555)}
    # The shapes accept exactly the change types the input model does.
    shapes = (Path(__file__).resolve().parents[1] / "ontology" / "shapes.ttl").read_text()
    listed = shapes.split("sh:path cg:changeType ;", 1)[1].split("sh:in (", 1)[1].split(")", 1)[0]
    assert listed.split() == [f'"{t.value}"' for t in ChangeType]
