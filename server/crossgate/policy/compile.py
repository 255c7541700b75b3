"""Graph revision -> the JSON data document the Rego policies read (docs/policy-data.md).

The heavy work (crosswalk reach of every evidence type) happens here, once per revision, so a
decision is lookups only. The document's canonical JSON hash is the data revision a decision names.
"""

from __future__ import annotations

import hashlib
import json
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
    return {
        "frameworks": frameworks,
        "requirements": dict(sorted(requirements.items())),
        "evidence_reach": evidence_reach,
        "profiles": model.profiles,
    }
