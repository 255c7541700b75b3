"""Coverage: for each applicable requirement, is it satisfied, partial or unsatisfied, as of a
date, by a set of sources (the evidence types a system has, or the whole control library), and
which chain of mappings says so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from crossgate.graph.applicability import SystemProfile, applies_to, effective_state
from crossgate.graph.closure import FULL, Crosswalk, Reach
from crossgate.graph.model import GraphModel

SATISFIED, PARTIAL, UNSATISFIED, NOT_APPLICABLE = (
    "satisfied", "partial", "unsatisfied", "not_applicable")
STATUSES = (SATISFIED, PARTIAL, UNSATISFIED, NOT_APPLICABLE)


@dataclass
class RequirementCoverage:
    id: str
    title: str
    framework: str | None
    kind: str
    citation: str | None
    status: str  # satisfied | partial | unsatisfied | not_applicable
    legal_state: str  # in_force | upcoming | repealed | superseded | proposed
    applies_from: str | None
    path: list[str] = field(default_factory=list)
    path_titles: list[str] = field(default_factory=list)
    reason: str | None = None  # why not applicable

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class CoverageReport:
    as_of: str
    revision: int
    sources: list[str]
    requirements: list[RequirementCoverage]

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for req in self.requirements:
            counts = out.setdefault(req.framework or "(none)", Counter())
            counts[req.status] += 1
            if req.status != NOT_APPLICABLE:
                counts["applicable"] += 1
                if req.legal_state == "upcoming":
                    counts["upcoming"] += 1
        keys = ("applicable", *STATUSES, "upcoming")
        return {fw: {k: counts.get(k, 0) for k in keys} for fw, counts in sorted(out.items())}

    def as_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of, "revision": self.revision, "sources": self.sources,
            "summary": self.summary(),
            "requirements": [r.as_dict() for r in self.requirements],
        }


def sources_for(model: GraphModel, by: str) -> list[str]:
    """What covers requirements when no system evidence is given: every evidence type
    (by="evidence"), or the whole control library with the policy statements (by="controls")."""
    if by == "evidence":
        return list(model.evidence_types)
    return [r.id for r in model.requirements.values() if r.kind in ("control", "policy")]


def crosswalk_of(model: GraphModel) -> Crosswalk:
    return Crosswalk((m.source, m.target, m.relation) for m in model.mappings)


def compute(
    model: GraphModel,
    crosswalk: Crosswalk,
    sources: Iterable[str],
    system: SystemProfile,
    as_of: date,
    frameworks: set[str] | None = None,
    kinds: set[str] | None = None,
) -> CoverageReport:
    sources = sorted(set(sources))
    reach: dict[str, Reach] = crosswalk.reach_from(sources)
    rows = []
    for req in sorted(model.requirements.values(), key=lambda r: (r.framework or "", r.id)):
        if frameworks and req.framework not in frameworks:
            continue
        if kinds and req.kind not in kinds:
            continue
        state = effective_state(req, as_of)
        row = RequirementCoverage(req.id, req.title, req.framework, req.kind, req.citation,
                                  UNSATISFIED, state, req.applies_from)
        if state in ("repealed", "superseded", "proposed"):
            row.status, row.reason = NOT_APPLICABLE, f"{state} as of {as_of.isoformat()}"
        elif not applies_to(req.applicability, system):
            row.status, row.reason = NOT_APPLICABLE, "excluded by the system's attributes"
        elif req.id in sources:
            row.status, row.path = SATISFIED, [req.id]
        elif req.id in reach:
            hit = reach[req.id]
            row.status = SATISFIED if hit.coverage == FULL else PARTIAL
            row.path = list(hit.path)
        row.path_titles = [model.node_title(node) for node in row.path]
        rows.append(row)
    return CoverageReport(as_of.isoformat(), model.revision, sources, rows)
