"""Ledger pages: the decision list with verification status, one decision, gate analytics."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from crossgate import filters as F
from crossgate.ledger import Ledger
from crossgate.ledger.records import LedgerRecord
from crossgate.web import analytics, charts
from crossgate.web.common import (
    LEDGER_PAGES,
    Session,
    UIRoute,
    bad_filter,
    error_page,
    page,
    render,
    runtime_of,
)
from crossgate.web.data import latest_by_system

router = APIRouter(route_class=UIRoute, include_in_schema=False)
Auditor = Annotated[Session, Depends(page(*LEDGER_PAGES))]
PAGE_SIZE = 50


# Pages the decision list can address: the ledger's offset is a signed 64-bit integer.
MAX_PAGE = (2**63 - 1) // PAGE_SIZE
OUTCOMES = ("allow", "deny")
BUCKETS = ("day", "week")


def _day(params: QueryParams, name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise F.OutOfRange(name, f"{value[:40]!r} is not a date (YYYY-MM-DD)") from None
    return F.day_bound(day, name)


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole days in UTC: since inclusive, until inclusive (so the ledger's bound is the next
    midnight)."""
    start = datetime.combine(since, datetime.min.time(), UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC) if until else None
    return start, end


@router.get("/ui/decisions")
def decisions(request: Request, session: Auditor) -> Response:
    runtime = runtime_of(request)
    ledger = runtime.ledger
    params = request.query_params
    system = (params.get("system") or "").strip() or None
    outcome = params.get("outcome") or None
    try:
        if outcome not in (None, *OUTCOMES):
            raise F.UnknownValue("outcome", "outcome", outcome, OUTCOMES)
        since, until = _day(params, "since"), _day(params, "until")
        page_no = F.page_number(params.get("page"), "page", MAX_PAGE)
    except ValueError as exc:
        raise bad_filter(request, exc, session) from None
    start, end = _bounds(since, until)
    total = ledger.count(system=system, outcome=outcome, since=start, until=end)
    records = ledger.list(system=system, outcome=outcome, since=start, until=end,
                          limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    check = verification(ledger, force=params.get("verify") == "now")
    systems = sorted(latest_by_system(ledger))
    return render(request, "decisions.html", session=session, active="decisions",
                  records=records, total=total, page=page_no, page_size=PAGE_SIZE,
                  system=system or "", outcome=outcome or "",
                  since=since.isoformat() if since else "",
                  until=until.isoformat() if until else "",
                  check=check, systems=systems)


# Verifying re-hashes every record (about 1 ms each for real decisions): pages verify on their
# own up to this many records, and reuse a result while the head has not moved for VERIFY_TTL_S.
AUTO_VERIFY_MAX = 1000
VERIFY_TTL_S = 300.0
_verify_lock = threading.Lock()
_verified: dict[int, dict[str, Any]] = {}


def verification(ledger: Ledger, force: bool = False) -> dict[str, Any]:
    """The chain's verification for the page: {result, at, ms, head, fresh, stale_by, ran}.

    result is None when the ledger is too long to verify on a page view and nobody asked."""
    head = ledger.head()
    head_seq = head.seq if head is not None else 0
    last = _verified.get(id(ledger))
    now = time.monotonic()
    reusable = (last is not None and last["head_seq"] == head_seq
                and now - last["monotonic"] < VERIFY_TTL_S)
    if force or (not reusable and head_seq <= AUTO_VERIFY_MAX):
        started = time.perf_counter()
        result = ledger.verify()
        last = {"result": result, "head_seq": head_seq, "monotonic": time.monotonic(),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "ms": (time.perf_counter() - started) * 1000}
        with _verify_lock:
            _verified[id(ledger)] = last
        return {**last, "ran": True, "stale_by": 0, "head": head}
    if last is None:
        return {"result": None, "ran": False, "stale_by": head_seq, "head": head}
    return {**last, "ran": False, "stale_by": head_seq - last["head_seq"], "head": head}


@router.get("/ui/decisions/{decision_id}")
def decision(decision_id: str, request: Request, session: Auditor) -> Response:
    record = runtime_of(request).ledger.get(decision_id)
    if record is None:
        raise error_page(request, 404, "Not found", f"No decision {decision_id!r} in the ledger.",
                         session)
    out = record.output
    inp = record.input
    satisfied = out.get("satisfied") or {}
    evidence = [{**e, "satisfied": satisfied.get(e.get("id"), [])}
                for e in inp.get("evidence") or []]
    groups: dict[str, list[dict[str, Any]]] = {}
    for warning in out.get("warnings") or []:
        groups.setdefault(str(warning.get("code") or "?"), []).append(warning)
    first = {analytics.NEAR_MISS_CODE: 0, "unsatisfied_requirement": 1}
    warning_groups = sorted(groups.items(), key=lambda kv: (first.get(kv[0], 2), kv[0]))
    return render(request, "decision.html", session=session, active="decisions", r=record,
                  out=out, inp=inp, evidence=evidence, system=inp.get("system") or {},
                  warning_groups=warning_groups,
                  release=inp.get("release") or {},
                  known=runtime_of(request).view().model.requirements)


@router.get("/ui/analytics")
def gate_analytics(request: Request, session: Auditor) -> Response:
    runtime = runtime_of(request)
    params = request.query_params
    try:
        since, until = _day(params, "since"), _day(params, "until")
    except ValueError as exc:
        raise bad_filter(request, exc, session) from None
    start, end = _bounds(since, until)
    gate = (params.get("gate") or "").strip()
    records: list[LedgerRecord] = []
    gates: set[str] = set()
    for record in runtime.ledger.iter_all():
        gates.add(record.gate)
        moment = analytics.parse_time(record.recorded_at)
        if (start and moment < start) or (end and moment >= end) or (gate and record.gate != gate):
            continue
        records.append(analytics.slim(record))
    size = params.get("bucket") or ""
    known_gates = gates | set(runtime.view().model.profiles)
    try:
        if gate and gate not in known_gates:
            raise F.UnknownValue("gate", "gate", gate, known_gates)
        if size and size not in BUCKETS:
            raise F.UnknownValue("bucket", "bucket", size, BUCKETS)
    except ValueError as exc:
        raise bad_filter(request, exc, session) from None
    if not size:
        size = analytics.choose_bucket(records)
    buckets = analytics.pass_rate(records, size)
    allow = sum(1 for r in records if r.outcome == "allow")
    codes, items, denied = analytics.rejection_reasons(records)
    cycles, median_cycle = analytics.cycle_times(records)
    profile: dict[str, Any] = runtime.view().model.profiles.get(gate or "deployment") or {}
    near = analytics.near_misses(records, list(profile.get("thresholds") or []))
    ratio = profile.get("near_miss_ratio")
    return render(request, "analytics.html", session=session, active="analytics",
                  records=records, allow=allow, deny=len(records) - allow, buckets=buckets,
                  chart=charts.pass_rate_chart(buckets), size=size, codes=codes, items=items,
                  denied=denied, cycles=cycles, median_cycle=median_cycle, near=near,
                  near_ratio=ratio, gates=sorted(gates), gate=gate,
                  since=since.isoformat() if since else "",
                  until=until.isoformat() if until else "",
                  duration=analytics.human_duration, near_code=analytics.NEAR_MISS_CODE)
