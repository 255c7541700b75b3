"""The SPARQL 1.1 Protocol endpoint, query-only (GET ?query=, POST form, POST sparql-query)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs

import anyio
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from crossgate.api.deps import Reader, RuntimeDep
from crossgate.api.errors import ApiError, ErrorBody
from crossgate.api.routes import ERRORS, media
from crossgate.graph.sparql import SparqlError, run_query

# What /sparql answers: the results in the negotiated format, or the error shape (400 for an
# update, a malformed or federated query; 413 past the row limit; 503 past the time limit or
# with every worker busy, with Retry-After).
_RESPONSES = {
    **ERRORS,
    503: {"model": ErrorBody, "description": "time limit reached, or every query worker busy"},
    **media("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
            "text/tab-separated-values", "text/turtle", "application/n-triples",
            "application/rdf+xml", description="query results"),
}
router = APIRouter(tags=["sparql"], responses=_RESPONSES)
_setup_lock = threading.Lock()


@dataclass
class _Admission:
    """Per app: how many queries run at once (the workers) and how many may wait. Waiting
    queries wait here, on the event loop, holding no request thread."""

    running: anyio.CapacityLimiter
    queue: int


def _admission(request: Request, runtime) -> _Admission:
    with _setup_lock:
        admission = getattr(request.app.state, "sparql_admission", None)
        if admission is None:
            settings = runtime.settings
            admission = _Admission(anyio.CapacityLimiter(max(1, settings.sparql_workers)),
                                   max(0, settings.sparql_queue))
            request.app.state.sparql_admission = admission
    return admission


def _busy(message: str, timeout_s: float) -> ApiError:
    return ApiError(503, message, errors=[{"path": "query", "message": message}],
                    headers={"Retry-After": str(max(1, math.ceil(timeout_s)))})


async def _answer(query: str | None, request: Request, runtime) -> Response:
    if not query:
        raise HTTPException(400, "missing query: pass ?query=..., a form field query=..., or an "
                                 "application/sparql-query body")
    settings = runtime.settings
    admission = _admission(request, runtime)
    running = admission.running
    if running.available_tokens == 0 and running.statistics().tasks_waiting >= admission.queue:
        raise _busy(f"too many SPARQL queries at once ({running.total_tokens:g} running, "
                    f"{admission.queue} waiting); retry later", settings.sparql_timeout_s)
    acquired = False
    with anyio.move_on_after(settings.sparql_timeout_s):
        await running.acquire()
        acquired = True
    if not acquired:
        raise _busy("no SPARQL worker came free within the time limit; retry later",
                    settings.sparql_timeout_s)
    try:
        # The thread waits for the worker, which is killed at the deadline: nothing is abandoned.
        raw = await run_in_threadpool(
            lambda: run_query(runtime.store, query, request.headers.get("accept"),
                              settings.sparql_timeout_s, settings.sparql_max_rows,
                              allowed_services=settings.sparql_service_allowlist,
                              pool=runtime.query_pool))
    except SparqlError as exc:
        raise ApiError(exc.status, exc.message,
                       errors=[{"path": "query", "message": exc.message}]) from exc
    finally:
        running.release()
    return Response(raw.body, media_type=raw.media_type)


@router.get("/sparql")
async def sparql_get(request: Request, runtime: RuntimeDep, _: Reader) -> Response:
    if "update" in request.query_params:
        raise HTTPException(400, "this endpoint is query-only: SPARQL updates are not accepted")
    return await _answer(request.query_params.get("query"), request, runtime)


@router.post("/sparql")
async def sparql_post(request: Request, runtime: RuntimeDep, _: Reader) -> Response:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = (await request.body()).decode("utf-8", errors="replace")
    if ctype == "application/sparql-update":
        raise HTTPException(400, "this endpoint is query-only: SPARQL updates are not accepted")
    if ctype == "application/sparql-query":
        return await _answer(body, request, runtime)
    if ctype == "application/x-www-form-urlencoded":
        form = parse_qs(body)
        if "update" in form:
            raise HTTPException(400, "this endpoint is query-only: SPARQL updates are not accepted")
        queries = form.get("query") or []
        return await _answer(queries[0] if queries else None, request, runtime)
    raise HTTPException(415, "send application/sparql-query or a form with query=")
