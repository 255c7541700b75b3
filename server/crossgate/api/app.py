"""The FastAPI application: lifespan (runtime, tokens), the request edge, error shapes, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from crossgate import __version__, web
from crossgate.api.edge import NoSniff, RequestEdge
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

    # The interactive docs (/docs) load their scripts from the package, never a CDN: the server
    # runs offline. No /redoc: its page fetches a logo from the ReDoc CDN whatever is served.
    app = FastAPIOffline(title="crossgate", version=__version__, lifespan=lifespan, redoc_url=None,
                         description="Compliance crosswalk server with Rego deployment gates.",
                         static_url="/static/api-docs")
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(RequestEdge, json_limit=lambda: settings.max_json_bytes)
    for module in (health, graph, coverage, sparql, gate, opa, metrics, audit, imports, exports,
                   web):
        app.include_router(module.router)
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: NoSniff(build())  # type: ignore[method-assign]
    return app
