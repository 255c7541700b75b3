"""The history document, `data.crossgate.history` (DESIGN.md, "Release lifecycle").

Decisions that depend on earlier decisions (stage order, rollback targets, tier changes) read a
document folded from the ledger, kept apart from the compiled graph data so that a recorded
decision never recompiles anything:

    {"seq": <the ledger sequence folded up to>,
     "systems": {<system id>: {
         "releases": {<version>: {<stage>: <entry>}},   # the latest allowed decision per stage
         "latest": <entry>}}}                           # the latest allowed decision at all

    entry = {"decision_id", "seq", "at" (RFC 3339, UTC), "at_ns", "tier", "change_type"}

Only recorded, allowed decisions of the deployment gate count. `fold` is the one rule; the live
`HistoryBook` applies it record by record as the ledger grows, and `history_upto` applies it
from the start for a replay, so a decision replays against exactly the history it read.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from crossgate.ledger import Ledger, LedgerRecord

HISTORY_GATE = "deployment"


def empty() -> dict[str, Any]:
    return {"seq": 0, "systems": {}}


def _decision_ns(record: LedgerRecord) -> int:
    """The instant the decision was made at: the server's time it was evaluated at."""
    at_ns = record.input.get("as_of_ns") if isinstance(record.input, dict) else None
    if isinstance(at_ns, int) and not isinstance(at_ns, bool):
        return at_ns
    moment = datetime.fromisoformat(str(record.recorded_at).replace("Z", "+00:00"))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return ((moment - epoch) // timedelta(microseconds=1)) * 1000


def _rfc3339(at_ns: int) -> str:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_ns // 1000)
    return moment.isoformat().replace("+00:00", "Z")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def fold(history: dict[str, Any], record: LedgerRecord) -> dict[str, Any]:
    """`history` after `record` (changed in place and returned)."""
    history["seq"] = max(int(history.get("seq", 0)), record.seq)
    if record.gate != HISTORY_GATE or record.outcome != "allow":
        return history
    candidate: dict[str, Any] = record.input if isinstance(record.input, dict) else {}
    system = _object(candidate.get("system"))
    release = _object(candidate.get("release"))
    version, stage = release.get("version"), release.get("stage")
    at_ns = _decision_ns(record)
    entry = {
        "decision_id": record.decision_id, "seq": record.seq, "at": _rfc3339(at_ns),
        "at_ns": at_ns, "tier": system.get("risk_tier"), "change_type": release.get("change_type"),
    }
    mine = history["systems"].setdefault(record.system_id, {"releases": {}, "latest": None})
    if isinstance(version, str) and isinstance(stage, str):
        mine["releases"].setdefault(version, {})[stage] = entry
    mine["latest"] = entry
    return history


def fold_all(records: Iterable[LedgerRecord], history: dict[str, Any] | None = None) -> dict[str, Any]:
    history = history if history is not None else empty()
    for record in records:
        fold(history, record)
    return history


def history_upto(ledger: Ledger, seq: int) -> dict[str, Any]:
    """The history as it stood once the record `seq` was appended (for replays)."""
    history = fold_all(ledger.iter_range(0, seq))
    history["seq"] = seq
    return history


def for_system(history: dict[str, Any], system_id: str) -> dict[str, Any]:
    """The part of the history a decision about `system_id` reads (the policies look up only
    the candidate's own system), so an engine is handed a few entries, not the whole ledger's."""
    mine = history["systems"].get(system_id)
    return {"seq": history["seq"], "systems": {system_id: mine} if mine is not None else {}}


class HistoryBook:
    """The live history of one ledger, caught up with the ledger's head before each read.

    Catching up reads only the records appended since the last read (by this process or by
    another one sharing a PostgreSQL ledger), so the cost of a decision does not grow with the
    ledger.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._history = empty()

    def _catch_up(self) -> None:
        head = self._ledger.head()
        if head is not None and head.seq > self._history["seq"]:
            fold_all(self._ledger.iter_range(self._history["seq"], head.seq), self._history)
            self._history["seq"] = head.seq

    def current(self) -> dict[str, Any]:
        """The history up to the ledger's head (a copy the caller may keep)."""
        with self._lock:
            self._catch_up()
            return copy.deepcopy(self._history)

    def for_system(self, system_id: str) -> dict[str, Any]:
        """`for_system` of the current history."""
        with self._lock:
            self._catch_up()
            return copy.deepcopy(for_system(self._history, system_id))
