"""The FastAPI application: lifespan (runtime, tokens), error shapes, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossgate import __version__, web
from crossgate.api.errors import http_error, validation_error
from crossgate.api.metrics import Metrics
from crossgate.api.routes import audit, coverage, exports, gate, graph, health, imports, metrics, opa, sparql
from crossgate.config import Settings
from crossgate.runtime import Runtime
from crossgate.tokens import TokenStore


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
    app.add_exception_handler(StarletteHTTPException, http_error)
    for module in (health, graph, coverage, sparql, gate, opa, metrics, audit, imports, exports,
                   web):
        app.include_router(module.router)
    return app
