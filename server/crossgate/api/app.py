"""The FastAPI application: lifespan (runtime, tokens), error shapes, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from crossgate import __version__, web
from crossgate.api.metrics import Metrics
from crossgate.api.routes import audit, coverage, exports, gate, graph, health, imports, metrics, opa, sparql
from crossgate.config import Settings
from crossgate.runtime import Runtime
from crossgate.tokens import TokenStore


def json_path(loc: tuple[object, ...]) -> str:
    """A pydantic error location as a JSON path: ("body", "system", "roles", 0) -> $.system.roles[0]."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"path": json_path(tuple(err["loc"])), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": "invalid input", "errors": errors}, status_code=422)


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime or Runtime(settings, progress=print)
        app.state.tokens = TokenStore(settings.tokens_path)
        app.state.metrics = Metrics()
        try:
            yield
        finally:
            app.state.tokens.close()
            app.state.runtime.close()

    app = FastAPI(title="crossgate", version=__version__, lifespan=lifespan,
                  description="Compliance crosswalk server with Rego deployment gates.")
    app.add_exception_handler(RequestValidationError, validation_error)
    for module in (health, graph, coverage, sparql, gate, opa, metrics, audit, imports, exports,
                   web):
        app.include_router(module.router)
    return app
