"""Gate decisions for CI, the decision records, replay and ledger verification."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from crossgate.api.deps import AUDIT, DECIDE, READ_DECISIONS, RuntimeDep, require
from crossgate.gate.decide import decide, replay
from crossgate.gate.input import GateInput
from crossgate.policy.engines import engine_error_decision
from crossgate.tokens import TokenInfo

router = APIRouter(tags=["gate"])

Decider = Annotated[TokenInfo, Depends(require(*DECIDE))]
DecisionReader = Annotated[TokenInfo, Depends(require(*READ_DECISIONS))]
Auditor = Annotated[TokenInfo, Depends(require(*AUDIT))]


@router.post("/v1/gate/decide")
def gate_decide(
    body: GateInput, request: Request, runtime: RuntimeDep, _: Decider, dry_run: bool = False
) -> dict[str, Any]:
    """Allow or deny a release, with every reason; recorded in the ledger unless dry_run."""
    started = time.perf_counter()
    try:
        snapshot = runtime.policy()
    except Exception as exc:
        return {**engine_error_decision(f"policy data unavailable: {exc}"),
                "decision_id": None, "recorded": None}
    output = decide(body, runtime.policies, snapshot, None if dry_run else runtime.ledger)
    request.app.state.metrics.observe_decision(body.gate, output, time.perf_counter() - started)
    return output


def _summary(record: Any) -> dict[str, Any]:
    out = record.output
    return {
        "decision_id": record.decision_id, "seq": record.seq, "recorded_at": record.recorded_at,
        "system": record.system_id, "gate": record.gate, "outcome": record.outcome,
        "tier": out.get("tier"), "version": record.input.get("release", {}).get("version"),
        "violations": [v.get("code") for v in out.get("violations", [])],
    }


@router.get("/v1/decisions")
def decisions(
    runtime: RuntimeDep, _: DecisionReader,
    system: str | None = None, outcome: str | None = None,
    since: datetime | None = None, until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    if outcome not in (None, "allow", "deny"):
        raise HTTPException(422, "outcome must be allow or deny")
    records = runtime.ledger.list(system=system, outcome=outcome, since=since, until=until,
                                  limit=limit, offset=offset)
    return {"decisions": [_summary(r) for r in records], "limit": limit, "offset": offset}


@router.get("/v1/decisions/{decision_id}")
def decision(decision_id: str, runtime: RuntimeDep, _: DecisionReader) -> dict[str, Any]:
    record = runtime.ledger.get(decision_id)
    if record is None:
        raise HTTPException(404, f"no decision {decision_id!r}")
    return {**_summary(record), "input": record.input, "output": record.output,
            "policy_revision": record.policy_revision, "data_revision": record.data_revision,
            "hash": record.hash, "prev_hash": record.prev_hash}


@router.post("/v1/decisions/{decision_id}/replay")
def decision_replay(decision_id: str, runtime: RuntimeDep, _: DecisionReader) -> dict[str, Any]:
    record = runtime.ledger.get(decision_id)
    if record is None:
        raise HTTPException(404, f"no decision {decision_id!r}")
    if not record.policy_revision or not record.data_revision:
        raise HTTPException(409, "this decision names no revisions; it cannot be replayed")
    try:
        result = replay(record.input, record.output, record.gate, runtime.policies,
                        record.policy_revision, record.data_revision)
    except FileNotFoundError as exc:
        raise HTTPException(409, str(exc)) from exc
    return {"decision_id": decision_id, "original_outcome": record.outcome, **result}


@router.get("/v1/ledger/verify")
async def ledger_verify(runtime: RuntimeDep, _: Auditor) -> dict[str, Any]:
    result = await run_in_threadpool(runtime.ledger.verify)
    return result.as_dict() if hasattr(result, "as_dict") else dict(result.__dict__)
