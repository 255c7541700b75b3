"""Graph and ledger facts the pages share: system profiles from forms and from recorded
decisions, coverage sources, the reach of evidence types, the systems seen in the ledger.

Coverage itself is graph.coverage.compute, the function behind /v1/coverage; this module only
decides what to feed it.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import QueryParams

from crossgate import filters as F
from crossgate.graph.applicability import SystemProfile, profile_of_system
from crossgate.graph.closure import FULL, PASSES
from crossgate.graph.coverage import CoverageReport, compute, sources_for
from crossgate.graph.model import GraphModel
from crossgate.graph.view import GraphView
from crossgate.ledger import Ledger
from crossgate.ledger.records import LedgerRecord

SOURCE_MODES = {"library": "Whole control library (controls and policies)",
                "all_evidence": "Every evidence type",
                "evidence": "Only the evidence types ticked below"}
TRI = {"": None, "yes": True, "no": False}


@dataclass
class ProfileForm:
    """The system profile and coverage sources of the overview and gaps forms (GET params)."""

    jurisdictions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    risk_class: str = ""
    tier: str = ""
    use_cases: list[str] = field(default_factory=list)
    personal_data: str = ""
    user_facing: str = ""
    sources: str = "library"
    evidence: list[str] = field(default_factory=list)
    as_of: date = field(default_factory=date.today)
    frameworks: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params: QueryParams, model: GraphModel) -> ProfileForm:
        """The form from the query; a value outside its set raises filters.UnknownValue (or
        OutOfRange for a date), which the page answers with 422, as GET /v1/coverage does."""
        def one(name: str, value_set: F.ValueSet) -> str:
            return F.check_one(params.get(name, "").strip() or None, value_set, model, name) or ""

        def many(name: str, value_set: F.ValueSet) -> list[str]:
            return F.check(_clean(params.getlist(name)), value_set, model, name)

        form = cls(
            jurisdictions=many("jurisdiction", F.JURISDICTION),
            roles=many("role", F.ROLE),
            risk_class=one("risk_class", F.RISK_CLASS),
            tier=one("tier", F.TIER),
            use_cases=many("use_case", F.USE_CASE),
            personal_data=params.get("personal_data", "").strip(),
            user_facing=params.get("user_facing", "").strip(),
            sources=params.get("sources", "library").strip() or "library",
            evidence=_clean(params.getlist("ev")),
            frameworks=many("framework", F.FRAMEWORK),
        )
        if form.sources not in SOURCE_MODES:
            raise F.UnknownValue("sources", "sources", form.sources, SOURCE_MODES)
        for name in ("personal_data", "user_facing"):
            if getattr(form, name) not in TRI:
                raise F.UnknownValue(name, name.replace("_", " "), getattr(form, name),
                                     [v for v in TRI if v])
        unknown = [e for e in form.evidence if e not in model.evidence_types]
        if unknown:
            raise F.UnknownValue("ev", "evidence type", unknown[0], model.evidence_types)
        raw = params.get("as_of", "").strip()
        if raw:
            try:
                form.as_of = date.fromisoformat(raw)
            except ValueError:
                raise F.OutOfRange("as_of", f"{raw[:40]!r} is not a date (YYYY-MM-DD)") from None
        return form

    def system(self) -> SystemProfile:
        """Attributes left empty exclude nothing, as in GET /v1/coverage."""
        return SystemProfile(
            jurisdictions=tuple(self.jurisdictions) or None,
            roles=tuple(self.roles) or None,
            risk_class=self.risk_class or None,
            use_cases=tuple(self.use_cases) or None,
            tier=self.tier or None,
            personal_data=TRI[self.personal_data],
            user_facing=TRI[self.user_facing],
        )

    def sources_in(self, view: GraphView) -> list[str]:
        if self.sources == "library":
            return sources_for(view.model, "controls")
        if self.sources == "all_evidence":
            return sources_for(view.model, "evidence")
        return [e for e in self.evidence if e in view.model.evidence_types]

    def params(self, **override: Any) -> dict[str, Any]:
        """The form as query parameters (for links that keep the profile)."""
        out: dict[str, Any] = {
            "jurisdiction": self.jurisdictions, "role": self.roles,
            "risk_class": self.risk_class, "tier": self.tier, "use_case": self.use_cases,
            "personal_data": self.personal_data, "user_facing": self.user_facing,
            "sources": self.sources if self.sources != "library" else "",
            "ev": self.evidence if self.sources == "evidence" else [],
            "as_of": self.as_of.isoformat() if self.as_of != date.today() else "",
            "framework": self.frameworks,
        }
        out.update(override)
        return out

    def described(self) -> str:
        parts = []
        for label, values in (("jurisdictions", self.jurisdictions), ("roles", self.roles),
                              ("use cases", self.use_cases)):
            if values:
                parts.append(f"{label} {', '.join(values)}")
        if self.risk_class:
            parts.append(f"EU AI Act class {self.risk_class}")
        if self.tier:
            parts.append(f"tier {self.tier}")
        for label, value in (("personal data", self.personal_data),
                             ("user-facing", self.user_facing)):
            if value:
                parts.append(f"{label} {value}")
        return "; ".join(parts) if parts else "no attributes given (every requirement applies)"


def _clean(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in out:
            out.append(value)
    return out


def report(view: GraphView, form: ProfileForm, frameworks: set[str] | None = None
           ) -> CoverageReport:
    return compute(view.model, view.crosswalk, form.sources_in(view), form.system(),
                   form.as_of, frameworks=frameworks)


def form_options(view: GraphView) -> dict[str, list[str]]:
    """Choices for the profile form: the values the filters accept (crossgate/filters.py),
    jurisdictions and use cases as the graph names them."""
    model = view.model
    return {
        "jurisdictions": sorted(j for j in F.JURISDICTION.allowed(model) if j != "ORG"),
        "roles": sorted(F.ROLE.allowed(model)),
        "risk_classes": sorted(F.RISK_CLASS.allowed(model)),
        "use_cases": sorted(F.USE_CASE.allowed(model)),
        "tiers": list(F.TIER.allowed(model)),
    }


# Saved example profiles (presets) for the overview form.
PRESETS: list[tuple[str, dict[str, Any]]] = [
    ("EU and Colorado high-risk provider and deployer, tier HIGH",
     {"jurisdiction": ["EU", "US-CO"], "role": ["provider", "deployer"],
      "risk_class": "high-risk", "tier": "HIGH", "personal_data": "yes",
      "user_facing": "yes"}),
    ("New York City hiring tool, deployer, tier MEDIUM",
     {"jurisdiction": ["US-NYC"], "role": ["deployer"], "use_case": ["employment"],
      "tier": "MEDIUM"}),
    ("Colorado lending assistant, deployer, tier HIGH",
     {"jurisdiction": ["US-CO"], "role": ["deployer"], "use_case": ["lending"],
      "tier": "HIGH"}),
    ("General-purpose AI model provider in the EU",
     {"jurisdiction": ["EU"], "role": ["provider"], "risk_class": "gpai"}),
    ("No profile: every requirement applies", {}),
]


# -- reach of evidence types (per graph revision) ----------------------------------------------


@dataclass(frozen=True)
class EvidenceHit:
    evidence: str
    coverage: str  # full | partial
    path: tuple[str, ...]


_reach_lock = threading.Lock()
_reach_cache: dict[int, dict[str, list[EvidenceHit]]] = {}


def evidence_reaching(view: GraphView) -> dict[str, list[EvidenceHit]]:
    """target id -> the evidence types whose coverage reaches it (full first), this revision."""
    cached = _reach_cache.get(view.revision)
    if cached is not None:
        return cached
    index: dict[str, list[EvidenceHit]] = defaultdict(list)
    for ev in sorted(view.model.evidence_types):
        for target, hit in view.crosswalk.reach(ev).items():
            index[target].append(EvidenceHit(ev, hit.coverage, hit.path))
    for hits in index.values():
        hits.sort(key=lambda h: (h.coverage != FULL, len(h.path), h.evidence))
    with _reach_lock:
        _reach_cache.clear()
        _reach_cache[view.revision] = dict(index)
    return dict(index)


def path_steps(view: GraphView, path: tuple[str, ...]) -> list[dict[str, str | None]]:
    """A reach path as steps with the relation of each hop (the best passing mapping)."""
    by_pair: dict[tuple[str, str], str] = {}
    wanted = set(itertools.pairwise(path))
    rank = {"equal": 0, "superset": 1, "subset": 2, "intersects": 3}
    for m in view.model.mappings:
        key = (m.source, m.target)
        if key in wanted and PASSES.get(m.relation) is not None and (
                key not in by_pair or rank[m.relation] < rank[by_pair[key]]):
            by_pair[key] = m.relation
    steps: list[dict[str, str | None]] = []
    for i, node in enumerate(path):
        relation = by_pair.get((path[i - 1], node)) if i else None
        steps.append({"id": node, "title": view.model.node_title(node), "relation": relation})
    return steps


# -- systems seen in the ledger ----------------------------------------------------------------


_latest_lock = threading.Lock()
_latest_cache: dict[int, tuple[object, dict[str, LedgerRecord]]] = {}


def latest_by_system(ledger: Ledger) -> dict[str, LedgerRecord]:
    """system id -> its latest decision record. One pass over the ledger, repeated only when
    the ledger's head moved (the ledger is append-only)."""
    head = ledger.head()
    key = (head.seq, head.hash) if head is not None else None
    cached = _latest_cache.get(id(ledger))
    if cached is not None and cached[0] == key:
        return cached[1]
    latest: dict[str, LedgerRecord] = {}
    for record in ledger.iter_all():
        latest[record.system_id] = record
    with _latest_lock:
        _latest_cache[id(ledger)] = (key, latest)
    return latest


def profile_of_decision(record: LedgerRecord) -> tuple[SystemProfile, list[str]]:
    """The system profile and evidence types (not failed) of a recorded gate input, read as
    POST /v1/coverage reads a system."""
    profile = profile_of_system(record.input.get("system") or {})
    evidence = sorted({e.get("type") for e in record.input.get("evidence") or []
                       if e.get("type") and e.get("result") != "fail"})
    return profile, evidence


def form_of_decision(record: LedgerRecord) -> dict[str, Any]:
    """Overview query parameters reproducing a recorded system and its evidence."""
    system = record.input.get("system") or {}
    _, evidence = profile_of_decision(record)
    return {
        "jurisdiction": system.get("jurisdictions") or [], "role": system.get("roles") or [],
        "risk_class": system.get("eu_ai_act_class") or "none",
        "tier": system.get("risk_tier") or "", "use_case": system.get("use_cases") or [],
        "personal_data": "yes" if system.get("personal_data") else "no",
        "user_facing": "yes" if system.get("user_facing") else "no",
        "sources": "evidence", "ev": evidence,
    }
