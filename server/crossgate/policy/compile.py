"""Graph revision -> the JSON data document the Rego policies read (docs/policy-data.md).

The heavy work happens here, once per revision, so a decision is lookups and set operations only:
the crosswalk reach of every evidence type, and `index`, the requirements grouped by what a
decision asks of them (applicability by dimension and value, date boundaries, framework, kind,
coverage reached per evidence type). The document's canonical JSON hash is the data revision a
decision names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from crossgate.graph.closure import Crosswalk
from crossgate.graph.model import GraphModel


def canonical_json(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(document: Any) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def compile_data(model: GraphModel, crosswalk: Crosswalk) -> dict[str, Any]:
    frameworks = {
        fw_id: {"title": fw.get("title") or fw_id, "jurisdiction": fw.get("jurisdiction")}
        for fw_id, fw in model.frameworks.items()
    }
    requirements = {
        req.id: {
            "title": req.title, "framework": req.framework, "kind": req.kind,
            "citation": req.citation, "status": req.status, "applies_from": req.applies_from,
            "applies_to": req.applies_to, "superseded_by": req.superseded_by,
            "applicability": req.applicability.as_dict(),
        }
        for req in model.requirements.values()
    }
    evidence_reach: dict[str, dict[str, Any]] = {}
    for ev in sorted(model.evidence_types):
        reached = {
            target: {"coverage": hit.coverage, "path": list(hit.path)}
            for target, hit in crosswalk.reach(ev).items()
            if target in requirements
        }
        evidence_reach[ev] = dict(sorted(reached.items()))
    requirements = dict(sorted(requirements.items()))
    return {
        "frameworks": frameworks,
        "requirements": requirements,
        "evidence_reach": evidence_reach,
        "profiles": model.profiles,
        "index": build_index(requirements, evidence_reach),
    }


# --- index -----------------------------------------------------------------------------------
#
# Sets of requirement ids are JSON objects whose keys are the ids and whose values are all
# `true`: JSON has no sets, and Rego turns such an object into a set with one native call
# (`object.keys`), where a list would need a comprehension with one step per element. Every
# entry mirrors one test the policies used to make per requirement and per decision; the
# semantics are in docs/policy-data.md ("index") and tests/test_policy_compile.py checks each
# entry against a brute-force reading of the requirements.

#: List-valued applicability restrictions: a non-empty list must share a value with the system.
RESTRICTIONS = ("jurisdictions", "roles", "risk_classes", "use_cases", "tiers")
#: Flag restrictions: `true` needs the system's flag of the same name to be true.
FLAGS = ("personal_data", "user_facing")
#: Statuses that apply only while an applies_to date is set (never when it is null).
ENDED_STATUSES = ("repealed", "superseded")
#: Coverage levels a piece of evidence can satisfy a requirement with.
COVERAGE_LEVELS = ("full", "partial")
#: Coverage group of requirements without a framework.
NO_FRAMEWORK = "(none)"


def id_set(ids: Iterable[str]) -> dict[str, bool]:
    """A set of ids as the index stores it: {id: true}, keys sorted."""
    return dict.fromkeys(sorted(set(ids)), True)


def _restriction(req: Mapping[str, Any], name: str) -> Any:
    applicability = req.get("applicability")
    return applicability.get(name) if isinstance(applicability, Mapping) else None


def _by_date(requirements: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """[{"date", "ids"}] for the requirements whose `key` is set, one entry per date, sorted."""
    groups: dict[Any, set[str]] = {}
    for rid, req in requirements.items():
        date = req.get(key)
        if date is not None:
            groups.setdefault(date, set()).add(rid)
    ordered = sorted(groups.items(), key=lambda kv: str(kv[0]))
    return [{"date": date, "ids": id_set(ids)} for date, ids in ordered]


def label(rid: str, req: Mapping[str, Any]) -> str:
    """How a warning names an obligation: "<id> (<title>, <citation>)"; a title that is not a
    string is replaced by the id, a citation that is not a string by ""."""
    title = req.get("title")
    citation = req.get("citation")
    return (f"{rid} ({title if isinstance(title, str) else rid}, "
            f"{citation if isinstance(citation, str) else ''})")


def build_index(requirements: Mapping[str, Mapping[str, Any]],
                evidence_reach: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The precomputed lookups the policies use instead of scanning every requirement."""
    restricted: dict[str, set[str]] = {name: set() for name in RESTRICTIONS}
    admits: dict[str, dict[str, set[str]]] = {name: {} for name in RESTRICTIONS}
    requires: dict[str, set[str]] = {name: set() for name in FLAGS}
    by_framework: dict[str, set[str]] = {}
    obligations: set[str] = set()
    never: set[str] = set()
    for rid, req in requirements.items():
        for name in RESTRICTIONS:
            values = _restriction(req, name)
            if values is None or values == []:
                continue  # no restriction on this dimension
            restricted[name].add(rid)
            # The values a system may have: a list's elements (an object's values, as Rego
            # iterates it); any other restriction admits no system.
            listed = values if isinstance(values, list) else (
                list(values.values()) if isinstance(values, Mapping) else [])
            for value in listed:
                if isinstance(value, str):
                    admits[name].setdefault(value, set()).add(rid)
        for name in FLAGS:
            if _restriction(req, name) is True:
                requires[name].add(rid)
        framework = req.get("framework")
        by_framework.setdefault(framework if isinstance(framework, str) else NO_FRAMEWORK, set()).add(rid)
        if req.get("kind") == "obligation":
            obligations.add(rid)
        status = req.get("status")
        if status == "proposed" or (status in ENDED_STATUSES and req.get("applies_to") is None):
            never.add(rid)
    reach = {
        ev: {r: link["coverage"] for r, link in sorted(links.items())
             if link.get("coverage") in COVERAGE_LEVELS}
        for ev, links in sorted(evidence_reach.items())
    }
    return {
        "restricted": {name: id_set(ids) for name, ids in restricted.items()},
        "admits": {name: {value: id_set(ids) for value, ids in sorted(by_value.items())}
                   for name, by_value in admits.items()},
        "requires": {name: id_set(ids) for name, ids in requires.items()},
        "never": id_set(never),
        "starts": _by_date(requirements, "applies_from"),
        "ends": _by_date(requirements, "applies_to"),
        "by_framework": {f: id_set(ids) for f, ids in sorted(by_framework.items())},
        "obligations": {rid: label(rid, requirements[rid]) for rid in sorted(obligations)},
        "reach": reach,
    }
