"""An in-memory picture of one graph revision: what coverage, compile and exports read.

Built once per revision from the named queries (a few ms for the shipped content) and then
shared read-only, so request handlers never run more than one query for graph facts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from crossgate.graph import queries as Q
from crossgate.graph import vocab as V
from crossgate.graph.ids import try_short_id
from crossgate.graph.store import GraphStore

KINDS = {str(V.OBLIGATION): "obligation", str(V.CONTROL): "control",
         str(V.POLICY_STATEMENT): "policy"}
_APPLICABILITY_KEYS = {
    str(V.APPLIES_TO_JURISDICTION): "jurisdictions",
    str(V.APPLIES_TO_ROLE): "roles",
    str(V.APPLIES_TO_RISK_CLASS): "risk_classes",
    str(V.APPLIES_TO_USE_CASE): "use_cases",
    str(V.APPLIES_TO_TIER): "tiers",
}
_TRIGGER_KEYS = {str(V.TRIGGER_USE_CASE): "use_cases", str(V.TRIGGER_ROLE): "roles",
                 str(V.TRIGGER_RISK_CLASS): "risk_classes"}


@dataclass
class Applicability:
    jurisdictions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    risk_classes: list[str] = field(default_factory=list)
    use_cases: list[str] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)
    personal_data: bool | None = None
    user_facing: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "jurisdictions": sorted(self.jurisdictions), "roles": sorted(self.roles),
            "risk_classes": sorted(self.risk_classes), "use_cases": sorted(self.use_cases),
            "tiers": sorted(self.tiers), "personal_data": self.personal_data,
            "user_facing": self.user_facing,
        }


@dataclass
class Requirement:
    id: str
    iri: str
    kind: str  # obligation | control | policy
    title: str
    summary: str | None
    citation: str | None
    framework: str | None
    part_of: str | None
    status: str
    applies_from: str | None
    applies_to: str | None
    superseded_by: str | None
    applicability: Applicability = field(default_factory=Applicability)


@dataclass
class Mapping:
    iri: str
    source: str
    target: str
    relation: str
    strength: int | None = None
    rationale: str | None = None
    rationale_type: str | None = None
    author: str | None = None
    created: str | None = None
    source_doc: str | None = None
    import_id: str | None = None
    sheet: str | None = None
    row: int | None = None
    file_sha256: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "iri"} | {
            "id": try_short_id(self.iri)
        }


@dataclass
class GraphModel:
    revision: int
    frameworks: dict[str, dict[str, str | None]]
    requirements: dict[str, Requirement]
    evidence_types: dict[str, dict[str, str | None]]
    mappings: list[Mapping]
    profiles: dict[str, dict[str, object]]

    def node_title(self, short_id: str) -> str:
        if short_id in self.requirements:
            return self.requirements[short_id].title
        if short_id in self.evidence_types:
            return self.evidence_types[short_id].get("title") or short_id
        return short_id

    def mappings_from(self) -> dict[str, list[Mapping]]:
        out: dict[str, list[Mapping]] = defaultdict(list)
        for m in self.mappings:
            out[m.source].append(m)
        return out

    def mappings_to(self) -> dict[str, list[Mapping]]:
        out: dict[str, list[Mapping]] = defaultdict(list)
        for m in self.mappings:
            out[m.target].append(m)
        return out


def _int(value: str | None) -> int | None:
    return int(float(value)) if value not in (None, "") else None


def load_model(store: GraphStore, revision: int) -> GraphModel:
    frameworks = {
        row["id"]: {"title": row.get("title"), "jurisdiction": row.get("jurisdiction"),
                    "publisher": row.get("publisher")}
        for row in store.select(Q.FRAMEWORKS)
    }
    requirements: dict[str, Requirement] = {}
    by_iri: dict[str, Requirement] = {}
    for row in store.select(Q.REQUIREMENTS):
        req = Requirement(
            id=row["id"], iri=row["r"], kind=KINDS[row["kind"]],
            title=row.get("title") or row["id"], summary=row.get("summary"),
            citation=row.get("citation"), framework=row.get("fwid"),
            part_of=try_short_id(row["parent"]) if row.get("parent") else None,
            status=row.get("status") or "in_force", applies_from=row.get("from"),
            applies_to=row.get("to"),
            superseded_by=try_short_id(row["replacedBy"]) if row.get("replacedBy") else None,
        )
        requirements[req.id] = req
        by_iri[req.iri] = req
    for row in store.select(Q.APPLICABILITY):
        found = by_iri.get(row["r"])
        if found is None:
            continue
        req = found
        key = _APPLICABILITY_KEYS.get(row["p"])
        if key:
            getattr(req.applicability, key).append(row["v"])
        elif row["p"] == str(V.REQUIRES_PERSONAL_DATA):
            req.applicability.personal_data = row["v"] in ("true", "1")
        elif row["p"] == str(V.REQUIRES_USER_FACING):
            req.applicability.user_facing = row["v"] in ("true", "1")
    evidence = {
        row["id"]: {"title": row.get("title"), "summary": row.get("summary")}
        for row in store.select(Q.EVIDENCE_TYPES)
    }
    mappings = [
        Mapping(
            iri=row["m"], source=try_short_id(row["source"]), target=try_short_id(row["target"]),
            relation=row["relation"], strength=_int(row.get("strength")),
            rationale=row.get("rationale"), rationale_type=row.get("rationaleType"),
            author=row.get("author"), created=row.get("created"),
            source_doc=row.get("sourceDoc"), import_id=row.get("importId"),
            sheet=row.get("sheet"), row=_int(row.get("row")), file_sha256=row.get("fileSha"),
        )
        for row in store.select(Q.MAPPINGS)
    ]
    mappings.sort(key=lambda m: (m.source, m.target))
    return GraphModel(revision, frameworks, requirements, evidence, mappings,
                      _load_profiles(store))


def _load_profiles(store: GraphStore) -> dict[str, dict[str, object]]:
    profiles: dict[str, dict[str, object]] = {}
    by_iri: dict[str, dict[str, object]] = {}
    for row in store.select(Q.GATE_PROFILES):
        profile: dict[str, object] = {
            "id": row["id"], "tiers": list(V.TIERS), "items": [], "approvals": [],
            "thresholds": [], "blocking_findings": [], "strategies": {},
            "jurisdiction_rules": [],
            "near_miss_ratio": float(row["nearMiss"]) if row.get("nearMiss") else 0.1,
            # Absent values fall back to the defaults of DESIGN.md ("Time is the server's"),
            # which the policies also use for a profile without them.
            "clock_skew_s": _int(row.get("skew")) if row.get("skew") else 300,
            "max_exception_days": (_int(row.get("maxExceptionDays"))
                                   if row.get("maxExceptionDays") else 90),
            "allow_blocking_waivers": row.get("blockingWaivers") in ("true", "1"),
            "blocking_waiver_role": row.get("waiverRole") or "compliance",
            # Release lifecycle (DESIGN.md): absent stages or change types mean no stage order
            # and every item for every change; the defaults below are the contract's.
            "stages": [], "change_types": {}, "minimums": [],
            "stage_order_min_tier": row.get("stageOrderMinTier") or "MEDIUM",
            "tier_change_window_days": (_int(row.get("tierWindow"))
                                        if row.get("tierWindow") else 183),
        }
        profiles[row["name"]] = by_iri[row["p"]] = profile

    def target(row: dict[str, str], key: str) -> list[dict[str, object]] | None:
        profile = by_iri.get(row["p"])
        return profile[key] if profile is not None else None  # type: ignore[return-value]

    for row in store.select(Q.GATE_ITEMS):
        items = target(row, "items")
        if items is not None:
            items.append({
                "item": row["evid"], "min_tier": row["minTier"],
                "condition": row.get("condition"), "max_age_days": _int(row.get("maxAge")),
                "control": row.get("ctrlid"), "title": row.get("title") or row["evid"],
                "remediation": row.get("remediation") or f"Provide evidence {row['evid']}.",
            })
    for row in store.select(Q.GATE_APPROVALS):
        approvals = target(row, "approvals")
        if approvals is not None:
            approvals.append({"role": row["role"], "scope": row.get("scope"),
                              "min_tier": row["minTier"]})
    for row in store.select(Q.GATE_THRESHOLDS):
        thresholds = target(row, "thresholds")
        if thresholds is not None:
            thresholds.append({"item": row["evid"], "metric": row["metric"],
                               "max": float(row["max"])})
    for row in store.select(Q.GATE_MINIMUMS):
        minimums = target(row, "minimums")
        if minimums is not None:
            minimums.append({"item": row["evid"], "metric": row["metric"],
                             "min": float(row["min"]), "min_tier": row["minTier"]})
    _load_lifecycle(store, by_iri)
    for row in store.select(Q.GATE_BLOCKING):
        blocking = target(row, "blocking_findings")
        if blocking is not None:
            blocking.append({"severity": row["severity"], "status": row.get("status") or "open"})
    for row in store.select(Q.GATE_STRATEGIES):
        owner = by_iri.get(row["p"])
        if owner is not None:
            owner["strategies"][row["tier"]] = row["strategy"]  # type: ignore[index]
    triggers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(Q.GATE_RULE_TRIGGERS):
        triggers[row["rule"]][_TRIGGER_KEYS[row["p"]]].append(row["v"])
    for row in store.select(Q.GATE_RULES):
        rules = target(row, "jurisdiction_rules")
        if rules is not None:
            t = triggers.get(row["rule"], {})
            rules.append({
                "id": row["id"], "title": row.get("title") or row["id"],
                "jurisdiction": row["jurisdiction"],
                "use_cases": sorted(t.get("use_cases", [])), "roles": sorted(t.get("roles", [])),
                "risk_classes": sorted(t.get("risk_classes", [])),
                "item": row["evid"], "max_age_days": _int(row.get("maxAge")),
                "requirement": row.get("reqid"),
                "remediation": row.get("remediation") or f"Provide evidence {row['evid']}.",
            })
    for profile in profiles.values():
        for key in ("items", "approvals", "thresholds", "minimums", "blocking_findings",
                    "jurisdiction_rules"):
            profile[key].sort(key=lambda d: tuple(str(v) for v in d.values()))  # type: ignore[attr-defined]
    return profiles


def _load_lifecycle(store: GraphStore, by_iri: dict[str, dict[str, object]]) -> None:
    """Stages (in position order) and change type rules of each profile.

    `items` is the sorted list of evidence types a stage or change type narrows the tier's
    items to, or None when it lists none (every item applies); `approvals` likewise for the
    roles a change type needs instead of the tier's approval rules.
    """
    stages: dict[tuple[str, str], dict[str, object]] = {}
    for row in store.select(Q.GATE_STAGES):
        if row["p"] not in by_iri:
            continue
        stage = stages.setdefault((row["p"], row["name"]), {
            "name": row["name"], "position": _int(row["position"]),
            "title": row.get("title") or row["name"], "items": None})
        if row.get("evid"):
            stage["items"] = sorted({*(stage["items"] or []), row["evid"]})  # type: ignore[misc]
    for (iri, _name), stage in sorted(stages.items(), key=lambda kv: (kv[0][0], kv[1]["position"])):
        by_iri[iri]["stages"].append(stage)  # type: ignore[attr-defined]
    for row in store.select(Q.GATE_CHANGE_TYPES):
        owner = by_iri.get(row["p"])
        if owner is None:
            continue
        rule = owner["change_types"].setdefault(row["name"], {  # type: ignore[attr-defined]
            "title": row.get("title") or row["name"], "items": None, "approvals": None})
        if row.get("evid"):
            rule["items"] = sorted({*(rule["items"] or []), row["evid"]})
        if row.get("role"):
            rule["approvals"] = sorted({*(rule["approvals"] or []), row["role"]})
