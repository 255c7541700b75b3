"""Graph pages: coverage overview and heatmap, gaps, one requirement, the crosswalk matrix."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crossgate import filters as F
from crossgate.graph.applicability import effective_state
from crossgate.graph.coverage import STATUSES, compute
from crossgate.graph.model import Mapping
from crossgate.web import charts
from crossgate.web.common import (
    GRAPH_PAGES,
    LEDGER_PAGES,
    RELATION_GLYPHS,
    RELATION_MEANING,
    Session,
    UIRoute,
    bad_filter,
    error_page,
    page,
    render,
    runtime_of,
    url_id,
)
from crossgate.web.data import (
    PRESETS,
    SOURCE_MODES,
    ProfileForm,
    evidence_reaching,
    form_of_decision,
    form_options,
    latest_by_system,
    path_steps,
    profile_of_decision,
    report,
)

router = APIRouter(route_class=UIRoute, include_in_schema=False)
Reader = Annotated[Session, Depends(page(*GRAPH_PAGES))]
MAX_HEATMAP_SYSTEMS = 40


GAP_STATUSES = ("unsatisfied", "partial")


def _form(request: Request, session: Session, model: Any) -> ProfileForm:
    try:
        return ProfileForm.from_query(request.query_params, model)
    except ValueError as exc:
        raise bad_filter(request, exc, session) from None


@router.get("/ui/overview")
def overview(request: Request, session: Reader) -> Response:
    runtime = runtime_of(request)
    view = runtime.view()
    form = _form(request, session, view.model)
    rep = report(view, form)
    summary = rep.summary()
    rows = []
    for fw_id, counts in summary.items():
        fw = view.model.frameworks.get(fw_id, {})
        rows.append({"id": fw_id, "title": fw.get("title") or fw_id,
                     "jurisdiction": fw.get("jurisdiction"), "counts": counts,
                     "total": sum(counts[s] for s in STATUSES),
                     "bar": charts.stacked_bar(counts)})
    heatmap = _heatmap(request, session, view, form)
    return render(request, "overview.html", session=session, active="overview", form=form,
                  options=form_options(view), rows=rows, presets=PRESETS,
                  source_modes=SOURCE_MODES, evidence_types=view.model.evidence_types,
                  heatmap=heatmap, bar_width=260, chosen=bool(request.query_params))


def _heatmap(request: Request, session: Session, view: Any, form: ProfileForm
             ) -> dict[str, Any]:
    """Frameworks x systems seen in the ledger, each system with the profile and evidence types
    of its latest decision, as of the form's date."""
    if not session.may(LEDGER_PAGES):
        return {"allowed": False, "systems": [], "rows": [], "idle": [], "truncated": 0}
    latest = latest_by_system(runtime_of(request).ledger)
    ordered = sorted(latest.values(), key=lambda r: r.seq, reverse=True)
    shown = sorted(ordered[:MAX_HEATMAP_SYSTEMS], key=lambda r: r.system_id)
    systems: list[dict[str, Any]] = []
    cells: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for record in shown:
        profile, evidence = profile_of_decision(record)
        sources = [e for e in evidence if e in view.model.evidence_types]
        rep = compute(view.model, view.crosswalk, sources, profile, form.as_of)
        systems.append({"id": record.system_id, "record": record,
                        "evidence": len(sources), "params": form_of_decision(record)})
        for fw_id, counts in rep.summary().items():
            level = charts.heat_level(counts["satisfied"], counts["partial"],
                                      counts["applicable"])
            cells[fw_id][record.system_id] = {**counts, "level": level}
    rows: list[dict[str, Any]] = []
    idle: list[str] = []
    for fw_id in sorted(cells):
        title = view.model.frameworks.get(fw_id, {}).get("title") or fw_id
        row = [cells[fw_id].get(s["id"]) for s in systems]
        if any(c and c["level"] is not None for c in row):
            rows.append({"id": fw_id, "title": title, "cells": row})
        else:
            idle.append(title)
    return {"allowed": True, "systems": systems, "rows": rows, "idle": idle,
            "truncated": max(0, len(ordered) - len(shown))}


@router.get("/ui/gaps")
def gaps(request: Request, session: Reader) -> Response:
    view = runtime_of(request).view()
    model = view.model
    form = _form(request, session, model)
    wanted_status = request.query_params.getlist("status")
    unknown = [s for s in wanted_status if s not in GAP_STATUSES]
    if unknown:
        raise bad_filter(request, F.UnknownValue("status", "status", unknown[0], GAP_STATUSES),
                         session)
    wanted_status = wanted_status or list(GAP_STATUSES)
    rep = report(view, form, frameworks=set(form.frameworks) or None)
    applicable = [r for r in rep.requirements if r.status != "not_applicable"]
    rows = [r for r in applicable if r.status in wanted_status]
    incoming = model.mappings_to()
    reaching = evidence_reaching(view)
    items = []
    for r in rows:
        items.append({
            "req": r,
            "requirement": model.requirements.get(r.id),
            "incoming": sorted(incoming.get(r.id, []),
                               key=lambda m: (_relation_rank(m.relation), m.source)),
            "evidence": reaching.get(r.id, []),
        })
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("unsatisfied", "partial")}
    return render(request, "gaps.html", session=session, active="gaps", form=form,
                  options=form_options(view), frameworks=model.frameworks, items=items,
                  counts=counts, applicable=len(applicable), wanted_status=wanted_status,
                  source_modes=SOURCE_MODES, evidence_types=model.evidence_types,
                  chosen=bool(request.query_params))


def _relation_rank(relation: str) -> int:
    return list(RELATION_GLYPHS).index(relation) if relation in RELATION_GLYPHS else 99


def _mapping_rows(model: Any, mappings: list[Mapping], other: str) -> list[dict[str, Any]]:
    rows = []
    for m in sorted(mappings, key=lambda m: (_relation_rank(m.relation), getattr(m, other))):
        node = getattr(m, other)
        rows.append({"m": m, "node": node, "title": model.node_title(node),
                     "known": node in model.requirements or node in model.evidence_types})
    return rows


@router.get("/ui/requirements/{req_id:path}")
def requirement(req_id: str, request: Request, session: Reader) -> Response:
    view = runtime_of(request).view()
    model = view.model
    req = model.requirements.get(req_id)
    evidence = model.evidence_types.get(req_id)
    if req is None and evidence is None:
        raise error_page(request, 404, "Not found",
                         f"No requirement, control, policy or evidence type {req_id!r} in "
                         f"graph revision {view.revision}.", session)
    incoming = _mapping_rows(model, model.mappings_to().get(req_id, []), "source")
    outgoing = _mapping_rows(model, model.mappings_from().get(req_id, []), "target")

    def node(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["node"], "title": row["title"], "relation": row["m"].relation,
                "strength": row["m"].strength,
                "href": f"/ui/requirements/{url_id(row['node'])}" if row["known"] else None}

    title = req.title if req is not None else (evidence or {}).get("title") or req_id
    drawing = charts.neighbourhood({"id": req_id, "title": title},
                                   [node(r) for r in incoming], [node(r) for r in outgoing])
    reached_by = [
        {"hit": hit, "steps": path_steps(view, hit.path)}
        for hit in evidence_reaching(view).get(req_id, [])
    ]
    reaches = []
    if evidence is not None:
        for target, hit in sorted(view.crosswalk.reach(req_id).items(),
                                  key=lambda kv: (kv[1].coverage != "full", kv[0])):
            reaches.append({"target": target, "title": model.node_title(target),
                            "coverage": hit.coverage, "steps": path_steps(view, hit.path)})
    today = datetime.now(UTC).date()
    parts = [{"id": r.id, "title": r.title, "summary": r.summary,
              "legal_status": effective_state(r, today), "applies_from": r.applies_from}
             for r in sorted(model.requirements.values(), key=lambda r: r.id) if r.part_of == req_id]
    legal_status = effective_state(req, today) if req is not None else None
    framework = model.frameworks.get(req.framework or "", {}) if req is not None else {}
    return render(request, "requirement.html", session=session, active="gaps", id=req_id,
                  req=req, evidence=evidence, title=title, framework=framework,
                  incoming=incoming, outgoing=outgoing, drawing=drawing, reached_by=reached_by,
                  reaches=reaches, parts=parts, model=model, meaning=RELATION_MEANING,
                  legal_status=legal_status, today=today.isoformat())


@router.get("/ui/matrix")
def matrix(request: Request, session: Reader) -> Response:
    model = runtime_of(request).view().model
    frameworks = model.frameworks
    params = request.query_params
    source = params.get("source") or ("fw:crossgate-controls" if "fw:crossgate-controls"
                                      in frameworks else next(iter(sorted(frameworks)), ""))
    target = params.get("target") or ("fw:eu-ai-act" if "fw:eu-ai-act" in frameworks
                                      else next(iter(sorted(frameworks)), ""))
    show_all = params.get("all") == "1"
    for name in ("source", "target"):
        if params.get(name) and params[name] not in frameworks:
            raise bad_filter(request, F.UnknownValue(name, "framework", params[name], frameworks),
                             session)
    fw_of = {r.id: r.framework for r in model.requirements.values()}
    cells: dict[tuple[str, str], Mapping] = {}
    reverse = 0
    for m in model.mappings:
        if fw_of.get(m.source) == source and fw_of.get(m.target) == target:
            cells[(m.source, m.target)] = m
        elif fw_of.get(m.source) == target and fw_of.get(m.target) == source:
            reverse += 1
    if show_all:
        row_ids = sorted(r.id for r in model.requirements.values() if r.framework == source)
        col_ids = sorted(r.id for r in model.requirements.values() if r.framework == target)
    else:
        row_ids = sorted({s for s, _ in cells})
        col_ids = sorted({t for _, t in cells})
    rel_counts: dict[str, int] = defaultdict(int)
    for m in cells.values():
        rel_counts[m.relation] += 1
    return render(request, "matrix.html", session=session, active="matrix",
                  frameworks=frameworks, source=source, target=target, show_all=show_all,
                  rows=[(r, model.node_title(r)) for r in row_ids],
                  cols=[(c, model.node_title(c)) for c in col_ids], cells=cells,
                  reverse=reverse, rel_counts=rel_counts, meaning=RELATION_MEANING)
