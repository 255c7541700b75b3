"""Gate decisions for CI, the decision records, replay and ledger verification."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from crossgate.api import gate_models as M
from crossgate.api.deps import AUDIT, DECIDE, READ_DECISIONS, RuntimeDep, require
from crossgate.api.errors import ApiError, ErrorBody
from crossgate.gate.decide import WhatIfNotRecordable, check_recordable, decide, replay
from crossgate.gate.input import GateInput, in_range
from crossgate.ledger.base import MAX_LIMIT
from crossgate.policy.engines import engine_error_decision
from crossgate.tokens import TokenInfo

router = APIRouter(tags=["gate"])

Decider = Annotated[TokenInfo, Depends(require(*DECIDE))]
DecisionReader = Annotated[TokenInfo, Depends(require(*READ_DECISIONS))]
Auditor = Annotated[TokenInfo, Depends(require(*AUDIT))]

_ERROR = {"model": ErrorBody}
ERRORS: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: _ERROR, 422: _ERROR}
# A body that is not JSON is 400; one over the size limit 413.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 400: _ERROR, 413: _ERROR}
# The largest offset SQLite and PostgreSQL take (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1


@router.post("/v1/gate/decide", response_model=M.Decision, responses=BODY_ERRORS)
def gate_decide(
    body: GateInput, request: Request, runtime: RuntimeDep, token: Decider, dry_run: bool = False
) -> dict[str, Any]:
    """Allow or deny a release, with every reason; recorded in the ledger unless dry_run.
    The decision time is the server's clock; the candidate's as_of (a what-if) needs dry_run."""
    started = time.perf_counter()
    requester = {"name": token.name, "role": token.role}
    try:
        check_recordable(body, not dry_run)
    except WhatIfNotRecordable as error:
        raise ApiError(422, str(error),
                       errors=[{"path": error.path, "message": str(error)}]) from error
    try:
        snapshot = runtime.policy()
    except Exception as exc:
        return {**engine_error_decision(f"policy data unavailable: {exc}"),
                "decision_id": None, "recorded": None, "revision": None,
                "what_if": body.as_of is not None, "requested_by": requester}
    output = decide(body, runtime.policies, snapshot, None if dry_run else runtime.ledger,
                    runtime.history, requested_by=requester)
    request.app.state.metrics.observe_decision(body.gate, output, time.perf_counter() - started)
    return output


def _summary(record: Any) -> dict[str, Any]:
    out = record.output
    return {
        "decision_id": record.decision_id, "seq": record.seq, "recorded_at": record.recorded_at,
        "system": record.system_id, "gate": record.gate, "outcome": record.outcome,
        "tier": out.get("tier"), "version": record.input.get("release", {}).get("version"),
        "violations": [v.get("code") for v in out.get("violations", [])],
        "requested_by": out.get("requested_by"),
    }


def _bound(name: str, value: datetime | None) -> datetime | None:
    """A since/until bound inside the range every timestamp of the product lies in."""
    if value is None:
        return None
    if value.tzinfo is None:  # the ledger reads a bound without an offset as UTC
        value = value.replace(tzinfo=UTC)
    try:
        return in_range(value)
    except (ValueError, OverflowError) as exc:
        raise ApiError(422, f"{name}: {exc}", errors=[{"path": name, "message": str(exc)}]) from exc


@router.get("/v1/decisions", response_model=M.DecisionList, responses=ERRORS)
def decisions(
    runtime: RuntimeDep, _: DecisionReader,
    system: str | None = None,
    outcome: Literal["allow", "deny"] | None = None,
    since: Annotated[datetime | None, Query(description="Recorded at or after (RFC 3339)")] = None,
    until: Annotated[datetime | None, Query(description="Recorded before (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """Recorded decisions, newest first: every one by default, up to 10,000 per page."""
    records = runtime.ledger.list(system=system, outcome=outcome, since=_bound("since", since),
                                  until=_bound("until", until), limit=limit, offset=offset)
    return {"decisions": [_summary(r) for r in records], "limit": limit, "offset": offset}


@router.get("/v1/decisions/{decision_id}", response_model=M.DecisionRecord,
            responses={**ERRORS, 404: _ERROR})
def decision(decision_id: str, runtime: RuntimeDep, _: DecisionReader) -> dict[str, Any]:
    record = runtime.ledger.get(decision_id)
    if record is None:
        raise ApiError(404, f"no decision {decision_id!r}")
    return {**_summary(record), "input": record.input, "output": record.output,
            "policy_revision": record.policy_revision, "data_revision": record.data_revision,
            "hash": record.hash, "prev_hash": record.prev_hash}


@router.post("/v1/decisions/{decision_id}/replay", response_model=M.Replay,
             responses={**ERRORS, 404: _ERROR, 409: _ERROR})
def decision_replay(decision_id: str, runtime: RuntimeDep, _: DecisionReader) -> dict[str, Any]:
    """Verify the record (its hash and its place in the chain), then re-evaluate it with its
    recorded revisions. A record that fails verification is 409: it is not replayed."""
    found = runtime.ledger.get_checked(decision_id)
    if found is None:
        raise ApiError(404, f"no decision {decision_id!r}")
    record, check = found
    if not check.ok:
        message = f"decision {decision_id!r} (seq {check.seq}) fails verification: {check.reason}"
        raise ApiError(409, message, errors=[{"path": check.failed or "hash",
                                              "message": check.reason or "verification failed"}],
                       extra={"verified": {"hash": check.hash, "chain": check.chain},
                              "seq": check.seq})
    if not record.policy_revision or not record.data_revision:
        raise ApiError(409, "this decision names no revisions; it cannot be replayed")
    try:
        result = replay(record.input, record.output, record.gate, runtime.policies,
                        record.policy_revision, record.data_revision, runtime.ledger)
    except FileNotFoundError as exc:
        raise ApiError(409, str(exc)) from exc
    return {"decision_id": decision_id, "original_outcome": record.outcome,
            "verified": {"hash": check.hash, "chain": check.chain}, **result}


@router.get("/v1/ledger/verify", response_model=M.LedgerVerification, responses=ERRORS)
async def ledger_verify(runtime: RuntimeDep, _: Auditor) -> dict[str, Any]:
    result = await run_in_threadpool(runtime.ledger.verify)
    return result.as_dict()
