"""OPA compatibility: the Data API (so an unmodified OPA client can ask for a decision) and the
bundle endpoint (so an OPA fleet can pull the same policies and data)."""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from crossgate.api.deps import DECIDE, RuntimeDep, require
from crossgate.api.errors import ApiError, error_response, json_path
from crossgate.api.routes import ERRORS, attachment, media
from crossgate.gate.decide import WhatIfNotRecordable, check_recordable, decide
from crossgate.gate.input import GateInput, normalise
from crossgate.policy.engines import EngineError
from crossgate.tokens import TokenInfo

router = APIRouter(tags=["opa"], responses=ERRORS)

Decider = Annotated[TokenInfo, Depends(require(*DECIDE))]
BundleReader = Annotated[TokenInfo, Depends(require("ci", "auditor"))]


# A segment of a rule path: a Rego identifier, so the path reads as a ref data.a.b.c.
_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DataAnswer(BaseModel):
    """OPA's Data API answer: `result` absent when the path is undefined for the input."""

    result: Any = None
    decision_id: str | None = None


def _rule_path(path: str) -> str:
    """`crossgate/gate/deployment/decision` -> `crossgate.gate.deployment.decision`; ApiError 400
    for a path that is not a Rego ref (an empty segment as in `a//b`, a NUL, `0`, `a-b`)."""
    segments = path.removesuffix("/").split("/")
    for i, segment in enumerate(segments):
        if not _SEGMENT.match(segment):
            shown = segment if len(segment) <= 40 else segment[:37] + "..."
            raise ApiError(400, f"malformed data path: segment {i + 1} ({shown!r}) is not a "
                                "Rego identifier ([A-Za-z_][A-Za-z0-9_]*)",
                           errors=[{"path": "path", "message": f"segment {i + 1}: {shown!r}"}])
    return ".".join(segments)


def _gate_of(rule: str) -> str | None:
    parts = rule.split(".")
    if len(parts) == 4 and parts[:2] == ["crossgate", "gate"] and parts[3] == "decision":
        return parts[2]
    return None


@router.post("/v1/data/{path:path}", response_model=DataAnswer, response_model_exclude_unset=True,
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object", "properties": {"input": {}}}}}}})
async def data_post(path: str, request: Request, runtime: RuntimeDep, token: Decider) -> Response:
    """Evaluate data.<path> for {"input": ...}, as OPA's Data API does: {"result": ...}, or {}
    when the path is undefined. A gate decision path records the decision."""
    rule = _rule_path(path)
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "request body is not JSON", errors=[{"path": "$", "message":
                                                                 "not JSON"}]) from None
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be an object",
                       errors=[{"path": "$", "message": "must be an object"}])
    return _evaluate(rule, body.get("input"), request, runtime, token)


@router.get("/v1/data/{path:path}", response_model=DataAnswer, response_model_exclude_unset=True)
def data_get(path: str, request: Request, runtime: RuntimeDep, token: Decider) -> Response:
    """data.<path> without input: {"result": ...}, or {} when undefined."""
    return _evaluate(_rule_path(path), None, request, runtime, token)


def _evaluate(rule: str, raw_input: Any, request: Request, runtime: Any,
              token: TokenInfo) -> Response:
    gate = _gate_of(rule)
    snapshot = runtime.policy()
    if gate is not None:
        if raw_input is None:
            return JSONResponse({})  # a decision needs input: undefined, as OPA answers
        if not isinstance(raw_input, dict):
            raise ApiError(400, "input must be an object (a candidate release)",
                           errors=[{"path": "$.input", "message": "must be an object"}])
        try:
            candidate = GateInput.model_validate({"gate": gate, **raw_input})
        except ValidationError as exc:
            errors = [{"path": json_path(("input", *e["loc"])), "message": e["msg"]}
                      for e in exc.errors()]
            raise ApiError(400, "invalid input", errors=errors) from None
        try:  # a decision asked for here is recorded, so a what-if date is refused
            check_recordable(candidate, recording=True)
        except WhatIfNotRecordable as error:
            path = "$.input" + error.path.removeprefix("$")
            raise ApiError(400, str(error), errors=[{"path": path, "message": str(error)}]) from None
        started = time.perf_counter()
        output = decide(candidate, runtime.policies, snapshot, runtime.ledger, runtime.history,
                        requested_by={"name": token.name, "role": token.role})
        request.app.state.metrics.observe_decision(gate, output, time.perf_counter() - started)
        return JSONResponse({"result": output, "decision_id": output["decision_id"]})
    try:
        given = raw_input
        history = None
        if isinstance(raw_input, dict) and "system" in raw_input:
            try:
                candidate = GateInput.model_validate(raw_input)
            except ValidationError:
                given = raw_input
            else:
                given = normalise(candidate, None)
                history = runtime.history.for_system(candidate.system.id)
        result = runtime.policies.engine(snapshot).evaluate(rule, given, history)
    except EngineError as exc:
        return error_response(500, str(exc))
    if result is None:
        return JSONResponse({})
    return JSONResponse({"result": result})


@router.get("/bundles/crossgate.tar.gz", response_class=Response,
            responses={**media("application/gzip", description="the OPA bundle"),
                       304: {"description": "the bundle has the ETag given in If-None-Match"}})
def bundle(request: Request, runtime: RuntimeDep, _: BundleReader) -> Response:
    snapshot = runtime.policy()
    if request.headers.get("if-none-match") == snapshot.etag:
        return Response(status_code=304, headers={"ETag": snapshot.etag})
    return Response(snapshot.bundle, media_type="application/gzip",
                    headers={"ETag": snapshot.etag,
                             "Content-Disposition": attachment("crossgate.tar.gz")})

