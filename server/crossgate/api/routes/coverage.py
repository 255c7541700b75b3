"""Coverage of requirements by the control library (GET) or by a system's evidence (POST)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from crossgate.api.deps import Reader, RuntimeDep
from crossgate.gate.input import System
from crossgate.graph.applicability import SystemProfile, profile_of_system
from crossgate.graph.coverage import compute, sources_for

router = APIRouter(prefix="/v1", tags=["coverage"])


class CoverageRequest(BaseModel):
    """A system described as the gate input describes it, and the evidence types it has."""

    model_config = ConfigDict(extra="forbid")
    system: System
    evidence_types: list[str] = Field(default_factory=list)
    as_of: date | None = None
    framework: list[str] | None = None


@router.get("/coverage")
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
    type): "which obligations for a high-risk provider have no control mapped?"."""
    view = runtime.view()
    _check_frameworks(view, framework)
    system = SystemProfile(
        jurisdictions=tuple(jurisdiction) if jurisdiction else None,
        roles=tuple(role) if role else None,
        risk_class=risk_class, use_cases=tuple(use_case) if use_case else None, tier=tier,
    )
    sources = sources_for(view.model, by)
    report = compute(view.model, view.crosswalk, sources, system, as_of or date.today(),
                     frameworks=set(framework) if framework else None)
    out = report.as_dict()
    out["sources"] = by
    if status:
        out["requirements"] = [r for r in out["requirements"] if r["status"] in status]  # type: ignore[attr-defined]
    return out


@router.post("/coverage")
def coverage_post(body: CoverageRequest, runtime: RuntimeDep, _: Reader) -> dict[str, object]:
    """Coverage of each requirement by the evidence types one system has."""
    view = runtime.view()
    _check_frameworks(view, body.framework)
    unknown = [e for e in body.evidence_types if e not in view.model.evidence_types
               and e not in view.model.requirements]
    if unknown:
        raise HTTPException(422, {"message": "unknown evidence types",
                                  "errors": [{"path": f"$.evidence_types[{i}]", "value": e}
                                             for i, e in enumerate(body.evidence_types)
                                             if e in unknown]})
    system = profile_of_system(body.system.model_dump())
    report = compute(view.model, view.crosswalk, body.evidence_types, system,
                     body.as_of or date.today(),
                     frameworks=set(body.framework) if body.framework else None)
    return report.as_dict()


def _check_frameworks(view, frameworks: list[str] | None) -> None:
    for fw in frameworks or []:
        if fw not in view.model.frameworks:
            raise HTTPException(404, f"no framework {fw!r}; GET /v1/frameworks lists them")
