"""OPA compatibility: the Data API (so an unmodified OPA client can ask for a decision) and the
bundle endpoint (so an OPA fleet can pull the same policies and data)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from crossgate.api.deps import DECIDE, RuntimeDep, require
from crossgate.gate.decide import decide
from crossgate.gate.input import GateInput, normalise
from crossgate.policy.engines import EngineError
from crossgate.tokens import TokenInfo

router = APIRouter(tags=["opa"])

Decider = Annotated[TokenInfo, Depends(require(*DECIDE))]
BundleReader = Annotated[TokenInfo, Depends(require("ci", "auditor"))]


def opa_error(status: int, code: str, message: str,
              errors: list[dict[str, str]] | None = None) -> JSONResponse:
    """An error body shaped like OPA's: {"code", "message", "errors"}."""
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


def _gate_of(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[:2] == ["crossgate", "gate"] and parts[3] == "decision":
        return parts[2]
    return None


@router.post("/v1/data/{path:path}")
async def data_post(path: str, request: Request, runtime: RuntimeDep, _: Decider) -> Response:
    try:
        body = await request.json()
    except ValueError:
        return opa_error(400, "invalid_parameter", "request body is not JSON")
    if not isinstance(body, dict):
        return opa_error(400, "invalid_parameter", "request body must be an object")
    return _evaluate(path, body.get("input"), request, runtime)


@router.get("/v1/data/{path:path}")
def data_get(path: str, request: Request, runtime: RuntimeDep, _: Decider) -> Response:
    return _evaluate(path, None, request, runtime)


def _evaluate(path: str, raw_input: Any, request: Request, runtime: Any) -> Response:
    gate = _gate_of(path)
    snapshot = runtime.policy()
    if gate is not None:
        if raw_input is None:
            return JSONResponse({})  # a decision needs input: undefined, as OPA answers
        try:
            candidate = GateInput.model_validate({"gate": gate, **raw_input})
        except ValidationError as exc:
            return opa_error(400, "invalid_parameter", "invalid input", [
                {"path": "$." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors()])
        started = time.perf_counter()
        output = decide(candidate, runtime.policies, snapshot, runtime.ledger)
        request.app.state.metrics.observe_decision(gate, output, time.perf_counter() - started)
        return JSONResponse({"result": output, "decision_id": output["decision_id"]})
    try:
        given = raw_input
        if isinstance(raw_input, dict) and "system" in raw_input:
            try:
                given = normalise(GateInput.model_validate(raw_input), None)
            except ValidationError:
                given = raw_input
        result = runtime.policies.engine(snapshot).evaluate(path.strip("/").replace("/", "."),
                                                             given)
    except EngineError as exc:
        return opa_error(500, "internal_error", str(exc))
    if result is None:
        return JSONResponse({})
    return JSONResponse({"result": result})


@router.get("/bundles/crossgate.tar.gz")
def bundle(request: Request, runtime: RuntimeDep, _: BundleReader) -> Response:
    snapshot = runtime.policy()
    if request.headers.get("if-none-match") == snapshot.etag:
        return Response(status_code=304, headers={"ETag": snapshot.etag})
    return Response(snapshot.bundle, media_type="application/gzip",
                    headers={"ETag": snapshot.etag,
                             "Content-Disposition": 'attachment; filename="crossgate.tar.gz"'})

