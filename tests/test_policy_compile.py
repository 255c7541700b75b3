"""The compile step's index (docs/policy-data.md, "index") on the shipped content.

- Every entry of `index` agrees with a brute-force reading of the requirements and the evidence
  reach, written here independently of `crossgate.policy.compile.build_index`.
- The set algebra the policies do with the index (rego/lib/applicability.rego) gives, for a grid
  of systems and dates, exactly the requirements the documented semantics make applicable.
- Whole decisions on the compiled shipped content are identical to the ones the policies gave
  before the index existed (tests/fixtures/decisions_shipped.json, captured once with those
  policies: every candidate at its own as_of, plus the variants below).
- tests/fixtures/policy_data.json carries the index its requirements compile to.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from crossgate.gate.input import normalise
from crossgate.policy.compile import NO_FRAMEWORK, build_index, canonical_json
from crossgate.policy.engines import RegorusEngine, evaluate_decision, load_policies
from tests.candidates import names, promoted_history, shifted, what_if

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = ROOT / "tests" / "fixtures" / "candidates"
FIXTURE_DATA = ROOT / "tests" / "fixtures" / "policy_data.json"
SHIPPED_DECISIONS = ROOT / "tests" / "fixtures" / "decisions_shipped.json"

# Inputs beyond the candidates whose decisions were captured with the policies before the index:
# name -> (candidate, as_of, patch merged into its system, patch merged into every evidence piece).
VARIANTS: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {
    "high_pass_day_before_eu_high_risk": ("high_pass", "2027-12-01", {}, {}),
    "high_pass_eu_high_risk_day": ("high_pass", "2027-12-02", {}, {}),
    "critical_pass_2030_everything_stale": ("critical_pass", "2030-08-02", {}, {}),
    "nyc_hiring_gpai_provider": (
        "nyc_hiring_pass", "2026-08-02",
        {"roles": ["provider", "developer"], "eu_ai_act_class": "gpai",
         "jurisdictions": ["EU", "US-NYC"]}, {}),
    "colorado_developer_no_class": (
        "colorado_lending_from_2027", "2027-01-01",
        {"roles": ["developer"], "use_cases": ["lending", "employment"], "eu_ai_act_class": None}, {}),
    "low_pass_many_states_2025": (
        "low_pass", "2025-08-02",
        {"jurisdictions": ["EU", "US-CA", "US-TX", "US-UT", "US-IL"],
         "roles": ["deployer", "importer", "distributor"],
         "eu_ai_act_class": "limited-risk", "personal_data": True, "user_facing": True}, {}),
    "high_pass_all_evidence_failed": ("high_pass", "2026-11-15", {}, {"result": "fail"}),
    "medium_user_facing_no_roles": (
        "medium_user_facing_pass", "2026-11-15", {"roles": [], "jurisdictions": [], "use_cases": []}, {}),
}


def variant_input(name: str) -> dict[str, Any]:
    candidate, as_of, system_patch, evidence_patch = VARIANTS[name]
    body = what_if(candidate)
    if as_of < body["as_of"]:
        # An earlier what-if date moves the evidence with it: evidence dated after the
        # decision time is future_dated now, and these variants are about applicability.
        body = shifted(body, date.fromisoformat(as_of))
    body["as_of"] = as_of
    body["system"].update(system_patch)
    for piece in body.get("evidence", []):
        piece.update(evidence_patch)
    return normalise(body)


def candidate_inputs() -> dict[str, dict[str, Any]]:
    return {name: normalise(what_if(name)) for name in names()}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The policy data document compiled from the shipped content."""
    from crossgate.config import Settings
    from crossgate.runtime import Runtime

    runtime = Runtime(Settings(data_dir=tmp_path_factory.mktemp("shipped")))
    try:
        runtime.view()
        return copy.deepcopy(runtime.policy().data)
    finally:
        runtime.close()


# --- the index against brute force --------------------------------------------------------------

RESTRICTIONS = ("jurisdictions", "roles", "risk_classes", "use_cases", "tiers")
FLAGS = ("personal_data", "user_facing")


def keys(id_set: dict[str, Any]) -> set[str]:
    assert all(v is True for v in id_set.values()), "index id sets map ids to true"
    assert list(id_set) == sorted(id_set), "index id sets are sorted"
    return set(id_set)


def test_the_shipped_content_has_an_index(shipped: dict[str, Any]) -> None:
    assert set(shipped) == {"frameworks", "requirements", "evidence_reach", "profiles", "index"}
    assert len(shipped["requirements"]) > 150
    assert shipped["index"] == build_index(shipped["requirements"], shipped["evidence_reach"])


def test_restrictions_and_admitting_values_match_the_requirements(shipped: dict[str, Any]) -> None:
    reqs, index = shipped["requirements"], shipped["index"]
    for name in RESTRICTIONS:
        lists = {rid: (req.get("applicability") or {}).get(name) for rid, req in reqs.items()}
        assert keys(index["restricted"][name]) == {rid for rid, v in lists.items() if v}
        values = {v for lst in lists.values() if isinstance(lst, list) for v in lst}
        assert set(index["admits"][name]) == values
        for value in values:
            assert keys(index["admits"][name][value]) == {
                rid for rid, lst in lists.items() if isinstance(lst, list) and value in lst}
    for flag in FLAGS:
        assert keys(index["requires"][flag]) == {
            rid for rid, req in reqs.items() if (req.get("applicability") or {}).get(flag) is True}
    # The shipped content restricts on every dimension and both flags.
    assert all(index["restricted"][name] for name in RESTRICTIONS)
    assert all(index["requires"][flag] for flag in FLAGS)


def test_dates_statuses_frameworks_and_obligations_match_the_requirements(shipped: dict[str, Any]) -> None:
    reqs, index = shipped["requirements"], shipped["index"]
    assert keys(index["never"]) == {
        rid for rid, r in reqs.items()
        if r["status"] == "proposed"
        or (r["status"] in ("repealed", "superseded") and r["applies_to"] is None)}
    for key, entry in (("applies_from", "starts"), ("applies_to", "ends")):
        dates = sorted({r[key] for r in reqs.values() if r[key] is not None})
        assert [g["date"] for g in index[entry]] == dates
        for group in index[entry]:
            assert keys(group["ids"]) == {rid for rid, r in reqs.items() if r[key] == group["date"]}
    assert index["starts"], "the shipped content has dated requirements"
    frameworks = {r["framework"] if isinstance(r["framework"], str) else NO_FRAMEWORK for r in reqs.values()}
    assert set(index["by_framework"]) == frameworks
    for fw, ids in index["by_framework"].items():
        assert keys(ids) == {rid for rid, r in reqs.items()
                             if (r["framework"] if isinstance(r["framework"], str) else NO_FRAMEWORK) == fw}
    obligations = {rid for rid, r in reqs.items() if r["kind"] == "obligation"}
    assert set(index["obligations"]) == obligations
    for rid in obligations:
        r = reqs[rid]
        title = r["title"] if isinstance(r["title"], str) else rid
        citation = r["citation"] if isinstance(r["citation"], str) else ""
        assert index["obligations"][rid] == f"{rid} ({title}, {citation})"


def test_reach_by_coverage_matches_the_evidence_reach(shipped: dict[str, Any]) -> None:
    reach, index = shipped["evidence_reach"], shipped["index"]
    assert set(index["reach"]) == set(reach)
    for ev, links in reach.items():
        assert index["reach"][ev] == {r: link["coverage"] for r, link in links.items()}
        assert list(index["reach"][ev]) == sorted(index["reach"][ev])
    assert any(index["reach"].values())


# --- the set algebra of the policies against the documented semantics -------------------------

ROLE_ALIASES = {"provider": ["developer"], "developer": ["provider"]}


def applies_by_semantics(req: dict[str, Any], system: dict[str, Any], as_of: str) -> bool:
    """docs/policy-data.md, one requirement at a time: as-of status and applicability."""
    status = req["status"]
    if status == "proposed":
        return False
    if status in ("repealed", "superseded") and req["applies_to"] is None:
        return False
    if req["applies_to"] is not None and as_of > req["applies_to"]:
        return False
    app = req.get("applicability") or {}
    roles = set(system["roles"]) | {a for r in system["roles"] for a in ROLE_ALIASES.get(r, [])}
    have = {
        "jurisdictions": set(system["jurisdictions"]), "roles": roles,
        "use_cases": set(system["use_cases"]), "tiers": {system["risk_tier"]},
        "risk_classes": {system["eu_ai_act_class"]} if isinstance(system["eu_ai_act_class"], str) else None,
    }
    for name in RESTRICTIONS:
        wanted = app.get(name)
        if not wanted or have[name] is None:
            continue
        if not set(wanted) & have[name]:
            return False
    return all(not (app.get(flag) is True and system.get(flag) is not True) for flag in FLAGS)


def applies_by_index(index: dict[str, Any], all_ids: set[str], system: dict[str, Any],
                     as_of: str) -> set[str]:
    """What rego/lib/applicability.rego computes: (all - excluded) - inoperative."""
    roles = set(system["roles"]) | {a for r in system["roles"] for a in ROLE_ALIASES.get(r, [])}
    values = {
        "jurisdictions": set(system["jurisdictions"]), "roles": roles,
        "use_cases": set(system["use_cases"]), "tiers": {system["risk_tier"]},
        "risk_classes": {system["eu_ai_act_class"]} if isinstance(system["eu_ai_act_class"], str) else set(),
    }
    excluded: set[str] = set()
    for name in RESTRICTIONS:
        if name == "risk_classes" and not values[name]:
            continue
        admitted = set().union(*(set(index["admits"][name].get(v, {})) for v in values[name]))
        excluded |= set(index["restricted"][name]) - admitted
    for flag in FLAGS:
        if system.get(flag) is not True:
            excluded |= set(index["requires"][flag])
    inoperative = set(index["never"]).union(*(set(g["ids"]) for g in index["ends"] if as_of > g["date"]))
    return (all_ids - excluded) - inoperative


def test_the_index_algebra_gives_the_documented_applicability(shipped: dict[str, Any]) -> None:
    reqs, index = shipped["requirements"], shipped["index"]
    dates = ["2023-01-01", "2025-08-02", "2026-11-15", "2027-12-01", "2027-12-02", "2031-01-01"]
    systems = []
    for jurisdictions, roles, klass, use_cases, tier, flags in itertools.product(
            [[], ["EU"], ["EU", "US-CO"], ["US-NYC", "US-CA", "US-TX"]],
            [[], ["deployer"], ["provider"], ["developer", "distributor"]],
            [None, "high-risk", "gpai-systemic"],
            [[], ["employment"], ["lending", "healthcare"]],
            ["LOW", "HIGH", "CRITICAL"],
            [(False, False), (True, True)]):
        systems.append({"jurisdictions": jurisdictions, "roles": roles, "eu_ai_act_class": klass,
                        "use_cases": use_cases, "risk_tier": tier,
                        "personal_data": flags[0], "user_facing": flags[1]})
    all_ids = set(reqs)
    checked = 0
    for system in systems[::7]:
        for as_of in dates:
            expected = {rid for rid, r in reqs.items() if applies_by_semantics(r, system, as_of)}
            assert applies_by_index(index, all_ids, system, as_of) == expected, (system, as_of)
            checked += 1
    assert checked > 300
    # not_started: the union of the start groups after the date is every dated requirement after it.
    for as_of in dates:
        by_index = set().union(*(set(g["ids"]) for g in index["starts"] if g["date"] > as_of))
        assert by_index == {rid for rid, r in reqs.items()
                            if r["applies_from"] is not None and r["applies_from"] > as_of}


def test_requirements_without_a_framework_are_grouped_apart() -> None:
    reqs = {
        "x:none": {"framework": None, "kind": "obligation", "status": "in_force", "applies_from": None,
                   "applies_to": None, "title": None, "citation": None, "applicability": None},
        "x:fw": {"framework": "fw:x", "kind": "control", "status": "proposed", "applies_from": "2027-01-01",
                 "applies_to": None, "title": "T", "citation": "C", "applicability": {"roles": ["provider"]}},
    }
    index = build_index(reqs, {"ev:a": {"x:fw": {"coverage": "partial", "path": ["ev:a", "x:fw"]},
                                         "x:none": {"coverage": "related", "path": []}}})
    assert index["by_framework"] == {NO_FRAMEWORK: {"x:none": True}, "fw:x": {"x:fw": True}}
    assert index["obligations"] == {"x:none": "x:none (x:none, )"}
    assert index["never"] == {"x:fw": True}
    assert index["restricted"]["roles"] == {"x:fw": True}
    assert index["admits"]["roles"] == {"provider": {"x:fw": True}}
    assert index["reach"] == {"ev:a": {"x:fw": "partial"}}


# --- decisions before and after -----------------------------------------------------------------

def test_shipped_decisions_are_identical_to_those_before(shipped: dict[str, Any]) -> None:
    expected = json.loads(SHIPPED_DECISIONS.read_text())
    engine = RegorusEngine(load_policies(ROOT / "rego"), shipped)
    inputs = {**candidate_inputs(), **{f"variant:{name}": variant_input(name) for name in VARIANTS}}
    assert set(inputs) == set(expected)
    different = []
    for name, inp in sorted(inputs.items()):
        # Each fixture's system and version was promoted through the stages before its own.
        decision = evaluate_decision(engine, inp, timeout_s=None, history=promoted_history(inp))
        errors = [v for v in decision["violations"] if v["code"] == "engine_error"]
        assert not errors, (name, errors)
        if canonical_json(decision) != canonical_json(expected[name]):
            different.append(name)
    assert not different


def test_the_fixture_data_carries_the_index_of_its_requirements() -> None:
    data = json.loads(FIXTURE_DATA.read_text())
    assert data["index"] == build_index(data["requirements"], data["evidence_reach"])
