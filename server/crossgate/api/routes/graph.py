"""Frameworks and requirements, with the mappings in and out of each."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from crossgate.api.deps import Reader, RuntimeDep

router = APIRouter(prefix="/v1", tags=["graph"])


@router.get("/frameworks")
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


@router.get("/requirements")
def requirements(
    runtime: RuntimeDep, _: Reader, framework: str | None = None, kind: str | None = None
) -> dict[str, object]:
    model = runtime.view().model
    rows = [
        {"id": r.id, "title": r.title, "kind": r.kind, "framework": r.framework,
         "citation": r.citation, "status": r.status, "applies_from": r.applies_from}
        for r in sorted(model.requirements.values(), key=lambda r: r.id)
        if (framework is None or r.framework == framework) and (kind is None or r.kind == kind)
    ]
    return {"revision": model.revision, "requirements": rows}


@router.get("/requirements/{req_id:path}")
def requirement(req_id: str, runtime: RuntimeDep, _: Reader) -> dict[str, object]:
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
    parts = sorted(r.id for r in model.requirements.values() if r.part_of == req_id)
    return {
        "id": req.id, "iri": req.iri, "kind": req.kind, "title": req.title,
        "summary": req.summary, "citation": req.citation, "framework": req.framework,
        "part_of": req.part_of, "parts": parts, "legal_status": req.status,
        "applies_from": req.applies_from, "applies_to": req.applies_to,
        "superseded_by": req.superseded_by, "applicability": req.applicability.as_dict(),
        "outgoing": [m.as_dict() for m in outgoing],
        "incoming": [m.as_dict() for m in incoming],
        "revision": view.revision,
    }
