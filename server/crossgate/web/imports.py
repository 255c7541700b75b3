"""Imports: their history with who made them and what changed, and revert (legal, admin).

`_import_history`, `_import_diff` and `_revert` are the only places that know the import
backend (crossgate.sheets.commit); switch them if that backend moves behind another API.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from crossgate.runtime import Runtime
from crossgate.sheets.commit import ImportRecord, ImportRefused, import_history, revert_import
from crossgate.web.common import (
    IMPORT_PAGES,
    IMPORT_REVERT,
    Session,
    UIRoute,
    check_post,
    error_page,
    page,
    render,
    runtime_of,
)

router = APIRouter(route_class=UIRoute, include_in_schema=False)
Viewer = Annotated[Session, Depends(page(*IMPORT_PAGES))]
Reverter = Annotated[Session, Depends(page(*IMPORT_REVERT))]

# Where the import endpoint keeps each committed plan (<import id>.json, commit_plan's
# record_dir). When it is there the page shows the item-level diff; otherwise a triple diff.
RECORD_DIR_NAME = "imports"
MAX_DIFF_LINES = 300


# -- the backend seam --------------------------------------------------------------------------


def _import_history(runtime: Runtime) -> list[ImportRecord]:
    """Committed imports, newest first, each with the revision that reverted it (if any)."""
    return import_history(runtime.store)


def _import_diff(runtime: Runtime, record: ImportRecord) -> dict[str, Any]:
    """What an import changed: the recorded plan's item diff when kept, and in any case the
    triples its revision added to and removed from each graph it touched."""
    plan = None
    path = runtime.settings.data_path / RECORD_DIR_NAME / f"{record.import_id}.json"
    if path.is_file():
        try:
            plan = json.loads(path.read_text())
        except (OSError, ValueError):
            plan = None
    store = runtime.store
    before = store.revision(record.revision - 1).graphs if record.revision > 1 else {}
    after = record.graphs
    graphs = []
    for graph in sorted(set(before) | set(after)):
        if before.get(graph) == after.get(graph):
            continue
        old = _triples(store, graph, before.get(graph))
        new = _triples(store, graph, after.get(graph))
        added, removed = sorted(new - old), sorted(old - new)
        graphs.append({"graph": graph, "added": added[:MAX_DIFF_LINES],
                       "removed": removed[:MAX_DIFF_LINES], "n_added": len(added),
                       "n_removed": len(removed)})
    return {"plan": plan, "graphs": graphs}


def _triples(store: Any, graph: str, sha: str | None) -> set[str]:
    if not sha:
        return set()
    text = store.version_ntriples(graph, sha)
    return {line for line in text.splitlines() if line.strip()}


def _revert(runtime: Runtime, import_id: str, who: str) -> int:
    return revert_import(runtime.store, import_id, who).number


# -- pages -------------------------------------------------------------------------------------


@router.get("/ui/imports")
def imports(request: Request, session: Viewer) -> Response:
    runtime = runtime_of(request)
    history = _import_history(runtime)
    revisions = runtime.store.history()
    params = request.query_params
    return render(request, "imports.html", session=session, active="imports",
                  history=history, revisions=revisions[:100], more=max(0, len(revisions) - 100),
                  may_revert=session.may(IMPORT_REVERT), notice=params.get("reverted"),
                  new_revision=params.get("revision"), error=None)


@router.get("/ui/imports/{import_id}")
def import_detail(import_id: str, request: Request, session: Viewer) -> Response:
    runtime = runtime_of(request)
    record = next((r for r in _import_history(runtime) if r.import_id == import_id), None)
    if record is None:
        raise error_page(request, 404, "Not found", f"No import {import_id!r} in the history.",
                         session)
    diff = _import_diff(runtime, record)
    return render(request, "import.html", session=session, active="imports", record=record,
                  diff=diff, may_revert=session.may(IMPORT_REVERT), pretty=_pretty)


def _pretty(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


@router.post("/ui/imports/{import_id}/revert")
def revert(import_id: str, request: Request, session: Reverter,
           csrf: Annotated[str, Form()] = "") -> Response:
    check_post(request, session, csrf)
    runtime = runtime_of(request)
    who = f"{session.name} ({session.role}, dashboard)"
    try:
        number = _revert(runtime, import_id, who)
    except ImportRefused as exc:
        history = _import_history(runtime)
        return render(request, "imports.html", exc.status, session=session, active="imports",
                      history=history, revisions=runtime.store.history()[:100], more=0,
                      may_revert=True, notice=None, new_revision=None,
                      error=f"Import {import_id} was not reverted: {exc.message}")
    return RedirectResponse(f"/ui/imports?reverted={import_id}&revision={number}", 303)

