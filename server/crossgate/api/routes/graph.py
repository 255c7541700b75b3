"""Frameworks and requirements, with the mappings in and out of each."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from crossgate import filters as F
from crossgate.api.deps import Reader, RuntimeDep
from crossgate.api.errors import ApiError
from crossgate.api.routes import ERRORS, unknown_value
from crossgate.graph.applicability import effective_state

router = APIRouter(prefix="/v1", tags=["graph"], responses=ERRORS)

Kind = Literal["obligation", "control", "policy"]


class Framework(BaseModel):
    id: str
    title: str | None
    jurisdiction: str | None
    publisher: str | None
    requirements: dict[str, int] = Field(description="number of requirements by kind")


class Frameworks(BaseModel):
    revision: int
    frameworks: list[Framework]


class RequirementRow(BaseModel):
    id: str
    title: str
    kind: Kind
    framework: str | None
    citation: str | None
    status: str
    applies_from: str | None


def _day(as_of: date | None) -> date:
    """The date a legal status is given for: `as_of`, default today (UTC); 422 outside the
    product's range."""
    try:
        return F.day_bound(as_of, "as_of") or datetime.now(UTC).date()
    except F.OutOfRange as exc:
        raise ApiError(422, str(exc), errors=[exc.as_error()]) from None


class Part(BaseModel):
    id: str
    title: str
    summary: str | None
    citation: str | None
    legal_status: str
    applies_from: str | None


class Requirements(BaseModel):
    revision: int
    as_of: str = Field(description="The date every row's status is given for")
    requirements: list[RequirementRow]


class Mapping(BaseModel):
    id: str
    source: str
    target: str
    relation: str
    strength: int | None
    rationale: str | None
    rationale_type: str | None
    author: str | None
    created: str | None
    source_doc: str | None
    import_id: str | None
    sheet: str | None
    row: int | None
    file_sha256: str | None


class Applicability(BaseModel):
    jurisdictions: list[str]
    roles: list[str]
    risk_classes: list[str]
    use_cases: list[str]
    tiers: list[str]
    personal_data: bool | None
    user_facing: bool | None


class RequirementDetail(BaseModel):
    id: str
    iri: str
    kind: Kind
    title: str
    summary: str | None
    citation: str | None
    framework: str | None
    part_of: str | None
    parts: list[Part]
    legal_status: str = Field(description="As of `as_of`, from the requirement's dates")
    as_of: str
    applies_from: str | None
    applies_to: str | None
    superseded_by: str | None
    applicability: Applicability
    outgoing: list[Mapping]
    incoming: list[Mapping]
    revision: int


class EvidenceTypeDetail(BaseModel):
    id: str
    kind: Literal["evidence_type"]
    title: str | None
    summary: str | None
    outgoing: list[Mapping]


@router.get("/frameworks", response_model=Frameworks)
def frameworks(runtime: RuntimeDep, _: Reader) -> dict[str, object]:
    view = runtime.view()
    counts: dict[str, dict[str, int]] = {}
    for req in view.model.requirements.values():
        fw = counts.setdefault(req.framework or "", {})
        fw[req.kind] = fw.get(req.kind, 0) + 1
    return {
        "revision": view.revision,
        "frameworks": [
            {"id": fw_id, **fw, "requirements": counts.get(fw_id, {})}
            for fw_id, fw in sorted(view.model.frameworks.items())
        ],
    }


@router.get("/requirements", response_model=Requirements)
def requirements(
    runtime: RuntimeDep, _: Reader, framework: str | None = None, kind: str | None = None,
    as_of: date | None = None,
) -> dict[str, object]:
    """Requirements, optionally of one framework and of one kind; an unknown framework or kind
    is 422 listing the known ones. `status` is the legal status as of `as_of` (default today),
    computed from each requirement's dates."""
    day = _day(as_of)
    model = runtime.view().model
    try:
        framework = F.check_one(framework, F.FRAMEWORK, model, "framework")
        kind = F.check_one(kind, F.KIND, model, "kind")
    except F.UnknownValue as exc:
        raise unknown_value(exc) from None
    rows = [
        {"id": r.id, "title": r.title, "kind": r.kind, "framework": r.framework,
         "citation": r.citation, "status": effective_state(r, day),
         "applies_from": r.applies_from}
        for r in sorted(model.requirements.values(), key=lambda r: r.id)
        if (framework is None or r.framework == framework) and (kind is None or r.kind == kind)
    ]
    return {"revision": model.revision, "as_of": day.isoformat(), "requirements": rows}


@router.get("/requirements/{req_id:path}", response_model=RequirementDetail | EvidenceTypeDetail)
def requirement(req_id: str, runtime: RuntimeDep, _: Reader,
                as_of: date | None = None) -> dict[str, object]:
    """One requirement with its parts (titles, summaries) and mappings, its legal status as of
    `as_of` (default today); or an evidence type with what it maps to."""
    day = _day(as_of)
    view = runtime.view()
    model = view.model
    req = model.requirements.get(req_id)
    if req is None:
        if req_id in model.evidence_types:
            ev = model.evidence_types[req_id]
            return {"id": req_id, "kind": "evidence_type", **ev,
                    "outgoing": [m.as_dict() for m in model.mappings_from().get(req_id, [])]}
        raise HTTPException(404, f"no requirement with id {req_id!r}")
    outgoing = model.mappings_from().get(req_id, [])
    incoming = model.mappings_to().get(req_id, [])
    parts = [
        {"id": r.id, "title": r.title, "summary": r.summary, "citation": r.citation,
         "legal_status": effective_state(r, day), "applies_from": r.applies_from}
        for r in sorted(model.requirements.values(), key=lambda r: r.id) if r.part_of == req_id
    ]
    return {
        "id": req.id, "iri": req.iri, "kind": req.kind, "title": req.title,
        "summary": req.summary, "citation": req.citation, "framework": req.framework,
        "part_of": req.part_of, "parts": parts,
        "legal_status": effective_state(req, day), "as_of": day.isoformat(),
        "applies_from": req.applies_from, "applies_to": req.applies_to,
        "superseded_by": req.superseded_by, "applicability": req.applicability.as_dict(),
        "outgoing": [m.as_dict() for m in outgoing],
        "incoming": [m.as_dict() for m in incoming],
        "revision": view.revision,
    }
