"""Coverage of requirements by the control library (GET) or by a system's evidence (POST)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from crossgate import filters as F
from crossgate.api.deps import Reader, RuntimeDep
from crossgate.api.errors import ApiError
from crossgate.api.routes import ERRORS, unknown_value
from crossgate.gate.input import System
from crossgate.graph.applicability import profile_of_system
from crossgate.graph.coverage import STATUSES, compute, sources_for
from crossgate.graph.model import GraphModel
from crossgate.graph.vocab import LEGAL_STATUSES

router = APIRouter(prefix="/v1", tags=["coverage"], responses=ERRORS)

Status = Literal[STATUSES]  # type: ignore[valid-type]
LegalState = Literal[LEGAL_STATUSES]  # type: ignore[valid-type]


class CoverageRequest(BaseModel):
    """A system described as the gate input describes it, and the evidence types it has."""

    model_config = ConfigDict(extra="forbid")
    system: System
    evidence_types: list[str] = Field(default_factory=list)
    as_of: date | None = None
    framework: list[str] | None = None


class RequirementCoverage(BaseModel):
    id: str
    title: str
    framework: str | None
    kind: str
    citation: str | None
    status: Status
    legal_state: LegalState
    applies_from: str | None
    path: list[str] = Field(description="source ... requirement, the chain that covers it")
    path_titles: list[str]
    reason: str | None = Field(description="why it does not apply")


class Coverage(BaseModel):
    as_of: date
    revision: int
    summary: dict[str, dict[str, int]] = Field(
        description="per framework: applicable, each status, upcoming")
    requirements: list[RequirementCoverage]


class LibraryCoverage(Coverage):
    sources: Literal["controls", "evidence"]


class SystemCoverage(Coverage):
    sources: list[str] = Field(description="the evidence types given")


@router.get("/coverage", response_model=LibraryCoverage)
def coverage_get(
    runtime: RuntimeDep,
    _: Reader,
    framework: Annotated[list[str] | None, Query()] = None,
    jurisdiction: Annotated[list[str] | None, Query()] = None,
    role: Annotated[list[str] | None, Query()] = None,
    risk_class: str | None = None,
    use_case: Annotated[list[str] | None, Query()] = None,
    tier: str | None = None,
    as_of: date | None = None,
    by: Literal["controls", "evidence"] = "controls",
    status: Annotated[list[str] | None, Query()] = None,
) -> dict[str, object]:
    """Coverage of each applicable requirement by the whole control library (or every evidence
    type): "which obligations for a high-risk provider have no control mapped?". Every filter
    value must be one the graph knows (importer spellings such as "high risk" are accepted);
    anything else is 422 listing the allowed values."""
    view = runtime.view()
    model = view.model
    try:
        frameworks = F.check(framework or [], F.FRAMEWORK, model, "framework")
        statuses = F.check(status or [], F.STATUS, model, "status")
        system = F.profile(model, jurisdiction=jurisdiction, role=role, risk_class=risk_class,
                           use_case=use_case, tier=tier)
    except F.UnknownValue as exc:
        raise unknown_value(exc) from None
    sources = sources_for(model, by)
    report = compute(model, view.crosswalk, sources, system, as_of or date.today(),
                     frameworks=set(frameworks) or None)
    out = report.as_dict()
    out["sources"] = by
    if statuses:
        out["requirements"] = [r for r in out["requirements"] if r["status"] in statuses]  # type: ignore[attr-defined]
    return out


@router.post("/coverage", response_model=SystemCoverage)
def coverage_post(body: CoverageRequest, runtime: RuntimeDep, _: Reader) -> dict[str, object]:
    """Coverage of each requirement by the evidence types one system has. Roles and the EU AI
    Act class must be ones the graph's vocabulary defines; jurisdictions and use cases must be
    well-formed (a system may name one no requirement mentions)."""
    view = runtime.view()
    model = view.model
    unknown = [{"path": f"$.evidence_types[{i}]", "message": f"unknown evidence type {e!r}"}
               for i, e in enumerate(body.evidence_types)
               if e not in model.evidence_types and e not in model.requirements]
    if unknown:
        raise ApiError(422, "unknown evidence types", errors=unknown)
    try:
        frameworks = F.check(body.framework or [], F.FRAMEWORK, model, "$.framework",
                             indexed=True)
        system = _checked_system(body.system, model)
    except F.UnknownValue as exc:
        raise unknown_value(exc) from None
    report = compute(model, view.crosswalk, body.evidence_types, profile_of_system(system),
                     body.as_of or date.today(), frameworks=set(frameworks) or None)
    return report.as_dict()


def _checked_system(system: System, model: GraphModel) -> dict[str, object]:
    out = system.model_dump()
    out["roles"] = F.check(system.roles, F.ROLE, model, "$.system.roles", indexed=True)
    if system.eu_ai_act_class is not None:
        out["eu_ai_act_class"] = F.check_one(system.eu_ai_act_class, F.RISK_CLASS, model,
                                             "$.system.eu_ai_act_class")
    out["jurisdictions"] = F.well_formed(system.jurisdictions, F.JURISDICTION,
                                         "$.system.jurisdictions")
    out["use_cases"] = F.well_formed(system.use_cases, F.USE_CASE, "$.system.use_cases")
    return out
