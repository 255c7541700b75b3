"""GET /metrics in the Prometheus text format (any valid token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from crossgate.api.deps import RuntimeDep, authenticate
from crossgate.api.routes import ERRORS, media
from crossgate.tokens import TokenInfo

router = APIRouter(tags=["metrics"], responses=ERRORS)


@router.get("/metrics", response_class=Response,
            responses=media("text/plain", description="Prometheus text exposition format"))
def metrics(request: Request, runtime: RuntimeDep,
            _: Annotated[TokenInfo, Depends(authenticate)]) -> Response:
    m = request.app.state.metrics
    view = runtime.view()
    m.graph_revision.set(view.revision)
    snapshot = runtime.policy()
    m.policy.info({"policy_revision": snapshot.policy_revision,
                   "data_revision": snapshot.data_revision, "bundle_revision": snapshot.revision})
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
