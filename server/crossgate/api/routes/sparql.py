"""The SPARQL 1.1 Protocol endpoint, query-only (GET ?query=, POST form, POST sparql-query)."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from crossgate.api.deps import Reader, RuntimeDep
from crossgate.api.errors import ApiError
from crossgate.graph.query_pool import QueryPool
from crossgate.graph.sparql import SparqlError, run_query
from crossgate.graph.store import EmbeddedStore

router = APIRouter(tags=["sparql"])
_pool_lock = threading.Lock()


def _pool(request: Request, runtime) -> QueryPool | None:
    """The app's query workers, started with the first query (embedded store only)."""
    store = runtime.store
    if not isinstance(store, EmbeddedStore):
        return None
    with _pool_lock:
        pool = getattr(request.app.state, "sparql_pool", None)
        if pool is None:
            settings = runtime.settings
            pool = QueryPool(store.path, settings.sparql_workers, settings.sparql_queue,
                             settings.sparql_memory_mb)
            request.app.state.sparql_pool = pool
    return pool


async def _answer(query: str | None, request: Request, runtime) -> Response:
    if not query:
        raise HTTPException(400, "missing query: pass ?query=..., a form field query=..., or an "
                                 "application/sparql-query body")
    settings = runtime.settings
    pool = _pool(request, runtime)
    try:
        # The thread waits for the worker, which is killed at the deadline: nothing is abandoned.
        raw = await run_in_threadpool(
            lambda: run_query(runtime.store, query, request.headers.get("accept"),
                              settings.sparql_timeout_s, settings.sparql_max_rows,
                              allowed_services=settings.sparql_service_allowlist, pool=pool))
    except SparqlError as exc:
        headers = ({"Retry-After": str(exc.retry_after_s)}
                   if exc.retry_after_s is not None and exc.status == 503 else None)
        raise ApiError(exc.status, exc.message, errors=[{"path": "query", "message": exc.message}],
                       headers=headers) from exc
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
