"""Graph, coverage and access over HTTP against a real server with the shipped content."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LiveServer, seeded_store


def test_health_needs_no_token(server: LiveServer) -> None:
    with server.client() as c:
        body = c.get("/healthz").json()
    assert body["status"] == "ok" and body["revision"] >= 1


def test_tokens_and_roles(server: LiveServer) -> None:
    with server.client() as c:
        assert c.get("/v1/frameworks").status_code == 401
        bad = c.get("/v1/frameworks", headers={"Authorization": "Bearer cg_nope"})
        assert bad.status_code == 401
    with server.client("ci") as c:
        refused = c.get("/v1/frameworks")
        assert refused.status_code == 403 and "analyst" in refused.json()["message"]
    for role in ("analyst", "admin", "auditor", "legal"):
        with server.client(role) as c:
            assert c.get("/v1/frameworks").status_code == 200, role


def test_frameworks_and_a_requirement_with_its_mappings(server: LiveServer) -> None:
    with server.client("analyst") as c:
        frameworks = {f["id"]: f for f in c.get("/v1/frameworks").json()["frameworks"]}
        assert frameworks["fw:eu-ai-act"]["jurisdiction"] == "EU"
        assert frameworks["fw:eu-ai-act"]["requirements"]["obligation"] >= 40
        req = c.get("/v1/requirements/euaia:art-14").json()
        assert req["kind"] == "obligation" and req["framework"] == "fw:eu-ai-act"
        assert req["citation"] and req["applies_from"]
        assert req["incoming"], "controls map to Art. 14"
        for m in req["incoming"]:
            assert m["target"] == "euaia:art-14"
            assert m["relation"] in {"equal", "superset", "subset", "intersects", "related",
                                     "not_related"}
        chm = c.get("/v1/requirements/ctrl:CHM-002").json()
        assert chm["kind"] == "control"
        assert c.get("/v1/requirements/euaia:art-999").status_code == 404


def test_gap_question_for_high_risk_provider(server: LiveServer) -> None:
    """Which EU AI Act obligations for a high-risk provider have no control mapped?"""
    params = {"framework": "fw:eu-ai-act", "jurisdiction": "EU", "role": "provider",
              "risk_class": "high-risk", "as_of": "2028-01-01"}
    with server.client("analyst") as c:
        report = c.get("/v1/coverage", params=params).json()
    rows = {r["id"]: r for r in report["requirements"]}
    assert rows, "EU requirements are reported"
    applicable = [r for r in rows.values() if r["status"] != "not_applicable"]
    assert applicable
    for r in applicable:
        if r["status"] in ("satisfied", "partial"):
            assert r["path"][-1] == r["id"] and len(r["path"]) >= 2
            assert r["path"][0].startswith(("ctrl:", "pol:"))
        else:
            assert r["status"] == "unsatisfied" and r["path"] == []
    # deployer-only obligations are excluded for a provider
    for r in rows.values():
        if r["id"] == "euaia:art-26":
            assert r["status"] == "not_applicable"
    summary = report["summary"]["fw:eu-ai-act"]
    assert summary["applicable"] == len(applicable)
    assert summary["satisfied"] + summary["partial"] + summary["unsatisfied"] == len(applicable)


def test_as_of_moves_obligations_from_upcoming_to_in_force(server: LiveServer) -> None:
    params = {"framework": "fw:eu-ai-act", "role": "provider", "risk_class": "high-risk"}
    with server.client("analyst") as c:
        before = c.get("/v1/coverage", params={**params, "as_of": "2026-11-23"}).json()
        after = c.get("/v1/coverage", params={**params, "as_of": "2028-01-01"}).json()
    art14_before = next(r for r in before["requirements"] if r["id"] == "euaia:art-14")
    art14_after = next(r for r in after["requirements"] if r["id"] == "euaia:art-14")
    assert art14_before["legal_state"] == "upcoming" and art14_before["applies_from"] > "2026-11-23"
    assert art14_after["legal_state"] == "in_force"
    assert before["summary"]["fw:eu-ai-act"]["upcoming"] > after["summary"]["fw:eu-ai-act"]["upcoming"]


def test_repealed_colorado_law_does_not_apply(server: LiveServer) -> None:
    with server.client("analyst") as c:
        report = c.get("/v1/coverage", params={"jurisdiction": "US-CO",
                                               "as_of": "2027-06-01"}).json()
    old = [r for r in report["requirements"] if r["framework"] == "fw:us-co-sb24-205"]
    new = [r for r in report["requirements"] if r["framework"] == "fw:us-co-sb26-189"]
    assert old and all(r["status"] == "not_applicable" for r in old)
    assert new and any(r["status"] != "not_applicable" for r in new)


def test_post_coverage_with_evidence(server: LiveServer) -> None:
    body = {
        "system": {"id": "s1", "risk_tier": "HIGH", "jurisdictions": ["EU"],
                   "roles": ["provider"], "eu_ai_act_class": "high-risk",
                   "personal_data": True, "user_facing": True},
        "evidence_types": ["ev:human_oversight_tested"],
        "as_of": "2028-01-01",
    }
    with server.client("analyst") as c:
        report = c.post("/v1/coverage", json=body).json()
        art14 = next(r for r in report["requirements"] if r["id"] == "euaia:art-14")
        assert art14["status"] in ("satisfied", "partial")
        assert art14["path"][0] == "ev:human_oversight_tested"
        none = c.post("/v1/coverage", json={**body, "evidence_types": []}).json()
        assert all(r["status"] in ("unsatisfied", "not_applicable") for r in none["requirements"])
        bad = c.post("/v1/coverage", json={**body, "surprise": 1})
        assert bad.status_code == 422
        assert any(e["path"] == "$.surprise" for e in bad.json()["errors"])
        unknown = c.post("/v1/coverage", json={**body, "evidence_types": ["ev:nope"]})
        assert unknown.status_code == 422


def test_dashboard_cookie_authenticates_get_only(server: LiveServer) -> None:
    cookie = {"crossgate_session": server.tokens["analyst"]}
    with server.client(cookies=cookie) as c:
        assert c.get("/v1/frameworks").status_code == 200
        assert c.post("/v1/coverage", json={"system": {}}).status_code == 401


# ---------------------------------------------------------------------------------------------
# Filter values: a typo is an error listing the allowed values, never "0 gaps"

TYPOS = [  # (parameter, misspelt value, an allowed value the message must list)
    ("role", "povider", "provider"),
    ("risk_class", "high riks", "high-risk"),
    ("tier", "HUGE", "CRITICAL"),
    ("jurisdiction", "Europe", "EU"),
    ("status", "unsatisfeid", "unsatisfied"),
    ("use_case", "hirng", "employment"),
    ("framework", "fw:eu-ai-akt", "fw:eu-ai-act"),
]


@pytest.mark.parametrize(("param", "value", "allowed"), TYPOS)
def test_unknown_coverage_filter_is_422_listing_allowed_values(
        server: LiveServer, param: str, value: str, allowed: str) -> None:
    with server.client("analyst") as c:
        answer = c.get("/v1/coverage", params={param: value})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid_input"
    assert body["errors"][0]["path"] == param
    assert repr(value) in body["errors"][0]["message"]
    assert allowed in body["errors"][0]["message"] and allowed in body["message"]


def test_coverage_filters_accept_the_importers_spellings(server: LiveServer) -> None:
    """"high risk" and "Provider" are what the importer accepts for high-risk and provider;
    the answer is the same as for the canonical spelling."""
    base = {"framework": "fw:eu-ai-act", "as_of": "2028-01-01"}
    with server.client("analyst") as c:
        canonical = c.get("/v1/coverage", params={**base, "role": "provider",
                                                   "risk_class": "high-risk",
                                                   "jurisdiction": "EU", "tier": "HIGH"})
        spelt = c.get("/v1/coverage", params={**base, "role": "Provider",
                                               "risk_class": "high risk",
                                               "jurisdiction": "eu", "tier": "high"})
        no_class = c.get("/v1/coverage", params={**base, "risk_class": "none"})
    assert canonical.status_code == spelt.status_code == no_class.status_code == 200
    assert spelt.json()["requirements"] == canonical.json()["requirements"]
    assert any(r["status"] == "unsatisfied" or r["status"] == "partial"
               for r in canonical.json()["requirements"])


def test_post_coverage_checks_the_systems_vocabulary(server: LiveServer) -> None:
    system = {"id": "s", "risk_tier": "HIGH", "jurisdictions": ["EU"],
              "roles": ["provider", "povider"], "eu_ai_act_class": "high-risk"}
    with server.client("analyst") as c:
        bad_role = c.post("/v1/coverage", json={"system": system})
        bad_class = c.post("/v1/coverage", json={"system": {
            **system, "roles": ["provider"], "eu_ai_act_class": "high riks"}})
        bad_place = c.post("/v1/coverage", json={"system": {
            **system, "roles": ["provider"], "jurisdictions": ["EU", "Europe"]}})
        bad_framework = c.post("/v1/coverage", json={"system": {**system, "roles": ["provider"]},
                                                     "framework": ["fw:nope"]})
        # a jurisdiction no framework names is still a well-formed one a system may be in
        fine = c.post("/v1/coverage", json={"system": {
            **system, "roles": ["Provider"], "eu_ai_act_class": "high risk",
            "jurisdictions": ["EU", "JP"]}})
    assert bad_role.status_code == 422
    assert bad_role.json()["errors"][0]["path"] == "$.system.roles[1]"
    assert "deployer" in bad_role.json()["message"]
    assert bad_class.status_code == 422
    assert bad_class.json()["errors"][0]["path"] == "$.system.eu_ai_act_class"
    assert bad_place.status_code == 422
    assert bad_place.json()["errors"][0]["path"] == "$.system.jurisdictions[1]"
    assert bad_framework.status_code == 422
    assert bad_framework.json()["errors"][0]["path"] == "$.framework[0]"
    assert fine.status_code == 200, fine.text


def test_requirement_list_filters(server: LiveServer) -> None:
    with server.client("analyst") as c:
        kind = c.get("/v1/requirements", params={"kind": "contrl"})
        framework = c.get("/v1/requirements", params={"framework": "fw:nope"})
        controls = c.get("/v1/requirements", params={"kind": "Control"})
    assert kind.status_code == 422 and kind.json()["errors"][0]["path"] == "kind"
    assert "obligation" in kind.json()["message"]
    assert framework.status_code == 422 and framework.json()["errors"][0]["path"] == "framework"
    assert "fw:eu-ai-act" in framework.json()["message"]
    assert controls.status_code == 200
    rows = controls.json()["requirements"]
    assert rows and {r["kind"] for r in rows} == {"control"}


def test_cli_coverage_exits_2_on_an_unknown_filter_value(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(seeded_store() / "graph", data_dir / "graph")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "crossgate.cli", "coverage", *args,
                               "--data-dir", str(data_dir)],
                              capture_output=True, text=True, timeout=120)

    for option, value, allowed in [("--role", "povider", "provider"),
                                   ("--risk-class", "high riks", "high-risk"),
                                   ("--jurisdiction", "Europe", "EU"),
                                   ("--tier", "HUGE", "CRITICAL")]:
        done = run(option, value)
        assert done.returncode == 2, (option, done.stdout)
        assert f"unknown {option[2:].replace('-', ' ')} {value!r}" in done.stderr
        assert allowed in done.stderr
    done = run("--role", "Provider", "--risk-class", "high risk", "--gaps", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["requirements"]


def _status_from_dates(row: dict, stored: str, applies_to: str | None, day: str) -> str:
    """The legal status a requirement's dates give on a day (docs/api.md, coverage semantics),
    restated independently of graph/applicability.py."""
    if stored == "proposed":
        return "proposed"
    if stored in ("repealed", "superseded") and (applies_to is None or day > applies_to):
        return stored
    if applies_to is not None and day > applies_to:
        return "repealed"
    if row["applies_from"] is not None and row["applies_from"] > day:
        return "upcoming"
    return "in_force"


def test_requirement_status_is_computed_for_the_date_asked(server: LiveServer) -> None:
    from datetime import UTC, date, datetime, timedelta

    with server.client("analyst") as analyst:
        today = analyst.get("/v1/requirements").json()
        assert today["as_of"] == datetime.now(UTC).date().isoformat()
        facts = {r["id"]: analyst.get(f"/v1/requirements/{r['id']}").json()
                 for r in today["requirements"] if r["kind"] == "obligation"}
        # the day before and after every date in the content, and today
        days = {today["as_of"]}
        for fact in facts.values():
            for key in ("applies_from", "applies_to"):
                if fact[key]:
                    moment = date.fromisoformat(fact[key])
                    days |= {(moment + timedelta(days=d)).isoformat() for d in (-1, 0, 1)}
        checked = 0
        for day in sorted(days):
            listed = analyst.get("/v1/requirements", params={"as_of": day, "kind": "obligation"})
            assert listed.status_code == 200 and listed.json()["as_of"] == day
            for row in listed.json()["requirements"]:
                fact = facts[row["id"]]
                # whether the law was proposed or ended (its kind of status, whatever the day)
                base = fact["legal_status"] if fact["legal_status"] in (
                    "proposed", "repealed", "superseded") else "in_force"
                assert row["status"] == _status_from_dates(row, base, fact["applies_to"], day), (
                    row["id"], day)
                checked += 1
        assert checked > 1000
        # an Omnibus prohibition that starts on 2026-12-02 is upcoming the day before
        ncii = analyst.get("/v1/requirements/euaia:art-5-1-ncii",
                           params={"as_of": "2026-12-01"}).json()
        assert ncii["legal_status"] == "upcoming"
        assert analyst.get("/v1/requirements/euaia:art-5-1-ncii",
                           params={"as_of": "2026-12-02"}).json()["legal_status"] == "in_force"
        # parts come with their titles and summaries
        art73 = analyst.get("/v1/requirements/euaia:art-73").json()
        assert art73["parts"] and all(p["title"] and p["legal_status"] for p in art73["parts"])
        assert {p["id"] for p in art73["parts"]} >= {"euaia:art-73-2"}
        bad = analyst.get("/v1/requirements", params={"as_of": "9999-12-31"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "as_of"
