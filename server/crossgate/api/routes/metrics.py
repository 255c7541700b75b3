"""GET /metrics in the Prometheus text format (any valid token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from crossgate.api.deps import RuntimeDep, authenticate
from crossgate.tokens import TokenInfo

router = APIRouter(tags=["metrics"])


@router.get("/metrics")
def metrics(request: Request, runtime: RuntimeDep,
            _: Annotated[TokenInfo, Depends(authenticate)]) -> Response:
    m = request.app.state.metrics
    view = runtime.view()
    m.graph_revision.set(view.revision)
    snapshot = runtime.policy()
    m.policy.info({"policy_revision": snapshot.policy_revision,
                   "data_revision": snapshot.data_revision, "bundle_revision": snapshot.revision})
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
