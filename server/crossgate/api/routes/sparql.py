"""The SPARQL 1.1 Protocol endpoint, query-only (GET ?query=, POST form, POST sparql-query)."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from crossgate.api.deps import Reader, RuntimeDep
from crossgate.graph.sparql import SparqlError, run_query

router = APIRouter(tags=["sparql"])


async def _answer(query: str | None, request: Request, runtime) -> Response:
    if not query:
        raise HTTPException(400, "missing query: pass ?query=..., a form field query=..., or an "
                                 "application/sparql-query body")
    settings = runtime.settings
    try:
        raw = await asyncio.wait_for(
            run_in_threadpool(run_query, runtime.store, query, request.headers.get("accept"),
                              settings.sparql_timeout_s, settings.sparql_max_rows),
            timeout=settings.sparql_timeout_s + 1,
        )
    except TimeoutError as exc:
        raise HTTPException(503, f"the query ran past its time limit "
                                 f"({settings.sparql_timeout_s:g} s)") from exc
    except SparqlError as exc:
        raise HTTPException(exc.status, exc.message) from exc
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
